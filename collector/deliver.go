package collector

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// deliveryError is a failed delivery. A permanent one is not retried.
type deliveryError struct {
	permanent bool
	err       error
}

func (e *deliveryError) Error() string { return e.err.Error() }
func (e *deliveryError) Unwrap() error { return e.err }

func permanent(format string, a ...any) error {
	return &deliveryError{permanent: true, err: fmt.Errorf(format, a...)}
}

func transient(format string, a ...any) error {
	return &deliveryError{err: fmt.Errorf(format, a...)}
}

// isPermanent reports whether err is a delivery failure that retrying will
// not fix.
func isPermanent(err error) bool {
	var d *deliveryError
	return errors.As(err, &d) && d.permanent
}

// Signature is the X-Arkeep-Signature value of a webhook body:
// "sha256=" + hex(HMAC-SHA256(secret, body)). Receivers recompute it over
// the raw body and compare with hmac.Equal.
func Signature(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// MessageID is the email Message-ID of a step: "<" + the first 32 hex
// digits of sha256(stepID) + "@arkeep>". It is derived from the step id
// alone, so a repeated send carries the same Message-ID.
func MessageID(stepID string) string {
	sum := sha256.Sum256([]byte(stepID))
	return "<" + hex.EncodeToString(sum[:])[:32] + "@arkeep>"
}

// maxResponseBody bounds how much of a webhook response is read (and
// discarded) so the connection can be reused.
const maxResponseBody = 64 << 10

// webhook POSTs the job as JSON. 2xx = delivered; 4xx other than 408/429 =
// permanent failure; anything else (3xx, 408, 429, 5xx, network) = transient.
func (w *Worker) webhook(ctx context.Context, j Job) error {
	u, err := url.Parse(j.Webhook)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return permanent("webhook %q: not an http(s) URL", j.Webhook)
	}
	body, err := json.Marshal(j)
	if err != nil {
		return permanent("webhook: encode job: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return permanent("webhook %q: %v", j.Webhook, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "arkeep-collector")
	req.Header.Set("Idempotency-Key", j.StepID)
	req.Header.Set("X-Arkeep-Signature", Signature(w.cfg.WebhookSecret, body))
	resp, err := w.http.Do(req)
	if err != nil {
		return transient("webhook %s: %v", u.Redacted(), err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	_ = resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 400 && c < 500 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests:
		return permanent("webhook %s: HTTP %s", u.Redacted(), resp.Status)
	default:
		return transient("webhook %s: HTTP %s", u.Redacted(), resp.Status)
	}
}

func newHTTPClient() *http.Client {
	return &http.Client{
		// A redirect would turn the POST into a GET (or replay the
		// body elsewhere): report the 3xx as the answer instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// email sends the reminder through the configured relay. SMTP 5xx replies
// are permanent failures, everything else is transient.
func (w *Worker) email(ctx context.Context, j Job) error {
	to, err := mail.ParseAddress(j.Email)
	if err != nil {
		return permanent("email %q: %v", j.Email, err)
	}
	from, err := mail.ParseAddress(w.cfg.SMTPFrom)
	if err != nil {
		return permanent("email: SMTPFrom %q: %v", w.cfg.SMTPFrom, err)
	}
	if j.CustomerName != "" {
		to.Name = j.CustomerName
	}
	msg, err := composeEmail(j, from, to, w.cfg.Now())
	if err != nil {
		return permanent("email: compose: %v", err)
	}
	return smtpErr(w.sendSMTP(ctx, from.Address, to.Address, msg))
}

func (w *Worker) sendSMTP(ctx context.Context, from, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.SMTPTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", w.cfg.SMTPAddr)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	host, _, _ := net.SplitHostPort(w.cfg.SMTPAddr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello("arkeep"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return err
		}
	}
	if w.cfg.SMTPAuth != nil {
		if err := c.Auth(w.cfg.SMTPAuth); err != nil {
			return err
		}
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	wc, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := wc.Write(msg); err != nil {
		_ = wc.Close()
		return err
	}
	if err := wc.Close(); err != nil {
		return err
	}
	// The relay accepted the message at the end of DATA; a failed QUIT
	// does not undo that.
	_ = c.Quit()
	return nil
}

// smtpErr classifies an SMTP conversation error.
func smtpErr(err error) error {
	if err == nil {
		return nil
	}
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 && tp.Code < 600 {
		return permanent("email: relay refused: %v", err)
	}
	return transient("email: %v", err)
}

// subjects by action, in English.
var emailSubjects = map[string]string{
	"notice":               "Invoice %s",
	"pre_due_reminder":     "Invoice %s falls due soon",
	"due_reminder":         "Invoice %s is due",
	"reminder":             "Reminder: invoice %s is overdue",
	"short_payment_notice": "Invoice %s: payment received, balance outstanding",
}

var emailLeads = map[string]string{
	"notice":               "This is a notice of invoice %s.",
	"pre_due_reminder":     "This is a friendly reminder that invoice %s falls due soon.",
	"due_reminder":         "Our records show that invoice %s is now due.",
	"reminder":             "Our records show that invoice %s is overdue and not yet fully paid.",
	"short_payment_notice": "Thank you for your payment. It did not settle invoice %s in full.",
}

// composeEmail builds the message: headers (Message-ID from the step id) and
// a quoted-printable plain-text body naming the invoice, the amount
// outstanding and the due date.
func composeEmail(j Job, from, to *mail.Address, now time.Time) ([]byte, error) {
	subjFmt, ok := emailSubjects[j.Action]
	if !ok {
		subjFmt = "Invoice %s"
	}
	leadFmt, ok := emailLeads[j.Action]
	if !ok {
		leadFmt = "This is a message about invoice %s."
	}
	name := j.CustomerName
	if name == "" {
		name = "customer"
	}
	var body strings.Builder
	fmt.Fprintf(&body, "Dear %s,\n\n", name)
	fmt.Fprintf(&body, leadFmt+"\n\n", j.Invoice)
	fmt.Fprintf(&body, "Invoice: %s\n", j.Invoice)
	fmt.Fprintf(&body, "Amount outstanding: %s %s\n", j.Outstanding, j.Currency)
	fmt.Fprintf(&body, "Due date: %s\n\n", j.Due)
	body.WriteString("If you have already paid, please disregard this message.\n\n")
	fmt.Fprintf(&body, "Reference: %s\n", j.StepID)

	var buf bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", fmt.Sprintf(subjFmt, j.Invoice)))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", MessageID(j.StepID))
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	buf.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&buf)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body.String(), "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
