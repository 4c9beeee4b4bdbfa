package collector

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultConsumer       = "collector"
	DefaultMaxDeliver     = 5
	DefaultAckWait        = 60 * time.Second
	DefaultWebhookTimeout = 10 * time.Second
	DefaultSMTPTimeout    = 20 * time.Second
	DefaultConcurrency    = 4
	DefaultDrainTimeout   = 30 * time.Second

	// minWebhookSecret is the shortest accepted HMAC key.
	minWebhookSecret = 16
)

// DefaultBackoff is the redelivery delay after the 1st, 2nd, ... failed
// attempt; the last value repeats.
var DefaultBackoff = []time.Duration{10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}

// Config configures a Worker. The zero value plus a WebhookSecret is a
// working configuration (email disabled).
type Config struct {
	// Consumer is the durable JetStream consumer name shared by every
	// instance. Default "collector". It is part of the stored data (the
	// consumer's state lives on the server): never rename it.
	Consumer string
	// MaxDeliver is the number of delivery attempts before a job is
	// recorded "failed" and dead-lettered. Default 5.
	MaxDeliver int
	// Backoff is the delay before the next attempt after a transient
	// failure: Backoff[0] after the 1st attempt, Backoff[1] after the 2nd,
	// the last value after any later one. Default 10s, 30s, 2m, 10m.
	Backoff []time.Duration
	// AckWait is how long the server waits for a worker to finish a job
	// before giving it to another worker (a worker that died). Default
	// 60s. It must be at least twice WebhookTimeout and SMTPTimeout, so a
	// job still being delivered is not handed out a second time; the worker
	// bounds each job's handling to 9/10 of it.
	AckWait time.Duration
	// WebhookSecret is the HMAC-SHA256 key of the X-Arkeep-Signature
	// header, at least 16 bytes. Required: any customer may have a webhook
	// contact, and the worker never sends an unsigned webhook.
	WebhookSecret []byte
	// WebhookTimeout bounds one webhook POST, connection included.
	// Default 10s.
	WebhookTimeout time.Duration
	// SMTPAddr is the mail relay as host:port; "" disables email (steps
	// with only an email contact then become manual tasks).
	SMTPAddr string
	// SMTPFrom is the envelope and header sender; required with SMTPAddr.
	SMTPFrom string
	// SMTPAuth authenticates to the relay; nil = no authentication.
	// STARTTLS is used whenever the relay offers it.
	SMTPAuth smtp.Auth
	// SMTPTimeout bounds one SMTP conversation. Default 20s.
	SMTPTimeout time.Duration
	// Concurrency is the number of jobs one Worker handles at once.
	// Default 4.
	Concurrency int
	// DrainTimeout is how long Close (or the end of Run's context) waits
	// for jobs in hand to finish before abandoning them to redelivery.
	// Default 30s.
	DrainTimeout time.Duration
	// Now is the clock (email Date header, dead-letter time). Default
	// time.Now.
	Now func() time.Time
	// Logger receives errors that do not stop the worker. Default
	// slog.Default().
	Logger *slog.Logger
}

// WithDefaults returns a copy of c with every unset field set to its
// default. Slices are copied, so the result does not alias c.
func (c Config) WithDefaults() Config {
	if c.Consumer == "" {
		c.Consumer = DefaultConsumer
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	c.Backoff = append([]time.Duration(nil), c.Backoff...)
	c.WebhookSecret = append([]byte(nil), c.WebhookSecret...)
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.WebhookTimeout == 0 {
		c.WebhookTimeout = DefaultWebhookTimeout
	}
	if c.SMTPTimeout == 0 {
		c.SMTPTimeout = DefaultSMTPTimeout
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports every problem of c (after defaults), joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("collector: "+format, a...)) }

	if c.Consumer == "" {
		bad("Consumer is empty")
	} else if strings.ContainsAny(c.Consumer, " \t\r\n.*>/\\") {
		bad("Consumer %q: a durable name may not contain whitespace, '.', '*', '>', '/' or '\\'", c.Consumer)
	}
	if c.MaxDeliver < 1 {
		bad("MaxDeliver %d: must be at least 1", c.MaxDeliver)
	}
	if len(c.Backoff) == 0 {
		bad("Backoff is empty")
	}
	for i, d := range c.Backoff {
		if d <= 0 {
			bad("Backoff[%d] = %s: must be positive", i, d)
		}
	}
	if c.AckWait <= 0 {
		bad("AckWait %s: must be positive", c.AckWait)
	}
	if len(c.WebhookSecret) < minWebhookSecret {
		bad("WebhookSecret: required, at least %d bytes (got %d)", minWebhookSecret, len(c.WebhookSecret))
	}
	if c.WebhookTimeout <= 0 {
		bad("WebhookTimeout %s: must be positive", c.WebhookTimeout)
	} else if c.AckWait > 0 && c.AckWait < 2*c.WebhookTimeout {
		bad("AckWait %s: must be at least twice WebhookTimeout (%s)", c.AckWait, c.WebhookTimeout)
	}
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			bad("SMTPAddr %q: want host:port: %v", c.SMTPAddr, err)
		}
		if c.SMTPFrom == "" {
			bad("SMTPFrom: required when SMTPAddr is set")
		} else if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			bad("SMTPFrom %q: %v", c.SMTPFrom, err)
		}
		if c.SMTPTimeout <= 0 {
			bad("SMTPTimeout %s: must be positive", c.SMTPTimeout)
		} else if c.AckWait > 0 && c.AckWait < 2*c.SMTPTimeout {
			bad("AckWait %s: must be at least twice SMTPTimeout (%s)", c.AckWait, c.SMTPTimeout)
		}
	}
	if c.Concurrency < 1 {
		bad("Concurrency %d: must be at least 1", c.Concurrency)
	}
	if c.DrainTimeout <= 0 {
		bad("DrainTimeout %s: must be positive", c.DrainTimeout)
	}
	if c.Now == nil {
		bad("Now is nil")
	}
	if c.Logger == nil {
		bad("Logger is nil")
	}
	return errors.Join(errs...)
}

// backoff is the delay after the attempt-th (1-based) failed attempt.
func (c Config) backoff(attempt int) time.Duration {
	i := attempt - 1
	if i < 0 {
		i = 0
	}
	if i >= len(c.Backoff) {
		i = len(c.Backoff) - 1
	}
	return c.Backoff[i]
}
