package eventstore

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// DefaultMaxFileStore is the JetStream file storage limit used when
// EmbeddedConfig.MaxFileStore is zero. Without an explicit value the server
// sizes the limit from free disk space, which makes "store full" behaviour
// depend on the host; a fixed default keeps it predictable.
const DefaultMaxFileStore int64 = 10 << 30 // 10 GiB

// readyTimeout bounds how long StartEmbedded waits for the server to accept
// connections. JetStream recovery of a large store happens before the server
// is ready, so this is generous.
const readyTimeout = 2 * time.Minute

// EmbeddedConfig configures an in-process NATS server with JetStream.
type EmbeddedConfig struct {
	// StoreDir is where JetStream keeps its files. Required: silently
	// falling back to a temp dir would lose the ledger on reboot.
	StoreDir string
	// SyncAlways fsyncs every write before acknowledging it. The caller
	// decides; a ledger normally wants true.
	SyncAlways bool
	// MaxFileStore is the JetStream file storage limit in bytes;
	// 0 means DefaultMaxFileStore.
	MaxFileStore int64
	// Listen is "" for no network listener (in-process connections only),
	// otherwise "host:port"; port -1 picks a random free port.
	Listen string
}

// StartEmbedded starts an embedded NATS server with JetStream enabled and
// waits until it accepts connections. The caller owns the server and must
// call Shutdown (and WaitForShutdown) on it.
func StartEmbedded(cfg EmbeddedConfig) (*server.Server, error) {
	if err := checkStoreDir(cfg.StoreDir); err != nil {
		return nil, err
	}
	maxStore := cfg.MaxFileStore
	if maxStore == 0 {
		maxStore = DefaultMaxFileStore
	}
	if maxStore < 0 {
		return nil, fmt.Errorf("eventstore: invalid MaxFileStore %d", maxStore)
	}

	opts := &server.Options{
		ServerName:        "arkeep",
		JetStream:         true,
		StoreDir:          cfg.StoreDir,
		SyncAlways:        cfg.SyncAlways,
		JetStreamMaxStore: maxStore,
		NoLog:             true,
		NoSigs:            true,
	}
	if cfg.Listen == "" {
		opts.DontListen = true
	} else {
		host, port, err := splitListen(cfg.Listen)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = host, port
	}

	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("eventstore: create embedded server: %w", err)
	}
	// NoLog discards everything, including the reason JetStream failed to
	// start. Capture errors so StartEmbedded can report them.
	logs := &errorLog{}
	s.SetLogger(logs, false, false)

	// Start returns once listeners are launched. If enabling JetStream
	// fails, it returns early and the server never becomes ready, so check
	// JetStream explicitly instead of waiting out the timeout.
	s.Start()
	if !s.JetStreamEnabled() {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("eventstore: JetStream did not start on store dir %q: %s",
			cfg.StoreDir, logs.summary("unknown error"))
	}
	if !s.ReadyForConnections(readyTimeout) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("eventstore: embedded server not ready after %s: %s",
			readyTimeout, logs.summary("no error logged"))
	}
	return s, nil
}

// checkStoreDir fails early, with a readable message, when the directory
// cannot hold the store: the server's own failure is a log line, not an error.
func checkStoreDir(dir string) error {
	if dir == "" {
		return errors.New("eventstore: StoreDir is required")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("eventstore: store dir %q unusable: %w", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("eventstore: store dir %q not writable: %w", dir, err)
	}
	name := probe.Name()
	_ = probe.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("eventstore: store dir %q: remove probe %s: %w", dir, filepath.Base(name), err)
	}
	return nil
}

func splitListen(listen string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("eventstore: invalid Listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < -1 || port > 65535 {
		return "", 0, fmt.Errorf("eventstore: invalid Listen port %q", portStr)
	}
	return host, port, nil
}

// ConnectEmbedded connects to s in-process, without a network socket.
func ConnectEmbedded(s *server.Server) (*nats.Conn, error) {
	nc, err := nats.Connect("",
		nats.InProcessServer(s),
		nats.Name("arkeep-eventstore"),
		// In-process connections only drop when the server shuts down;
		// do not spin reconnecting to a server that is gone.
		nats.NoReconnect(),
	)
	if err != nil {
		return nil, fmt.Errorf("eventstore: connect in-process: %w", err)
	}
	return nc, nil
}

// ConnectURL connects to an external server or cluster. urls is a
// comma-separated list. Reconnects are unlimited: a ledger process should
// ride out server restarts rather than die, and publishes made while
// disconnected fail fast on their own timeout.
func ConnectURL(urls string) (*nats.Conn, error) {
	if strings.TrimSpace(urls) == "" {
		return nil, errors.New("eventstore: no NATS URL given")
	}
	nc, err := nats.Connect(urls,
		nats.Name("arkeep-eventstore"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.Timeout(5*time.Second),
	)
	if err != nil {
		return nil, fmt.Errorf("eventstore: connect %s: %w", urls, err)
	}
	return nc, nil
}

// errorLog is a server.Logger that drops everything except errors, which it
// keeps (bounded) so startup failures can be reported to the caller.
type errorLog struct {
	mu   sync.Mutex
	errs []string
}

const maxLoggedErrors = 8

func (l *errorLog) keep(format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) < maxLoggedErrors {
		l.errs = append(l.errs, fmt.Sprintf(format, v...))
	}
}

func (l *errorLog) summary(fallback string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) == 0 {
		return fallback
	}
	return strings.Join(l.errs, "; ")
}

func (l *errorLog) Noticef(string, ...any)         {}
func (l *errorLog) Warnf(string, ...any)           {}
func (l *errorLog) Debugf(string, ...any)          {}
func (l *errorLog) Tracef(string, ...any)          {}
func (l *errorLog) Errorf(format string, v ...any) { l.keep(format, v...) }
func (l *errorLog) Fatalf(format string, v ...any) { l.keep(format, v...) }
