package eventstore

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultStream is the stream name used when Config.Stream is empty.
const DefaultStream = "AR"

// duplicateWindow is how long JetStream remembers message ids. It bounds the
// window in which a retried Append is recognised as a duplicate; it must
// cover the client's retry horizon (publish timeout plus reconnects).
const duplicateWindow = 2 * time.Minute

// Config selects the stream backing a Store.
type Config struct {
	// Stream is the JetStream stream name; "" means DefaultStream.
	Stream string
	// Replicas is the stream replication factor; 0 means 1.
	Replicas int
}

// Store appends to and reads from the ledger stream. It is safe for
// concurrent use. It does not own the NATS connection.
type Store struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	name   string
}

// Open creates the stream, or updates it to the expected configuration, and
// returns a Store bound to it.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("eventstore: jetstream context: %w", err)
	}
	stream, err := js.CreateOrUpdateStream(ctx, streamConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("eventstore: create or update stream %q: %w", cfg.Stream, err)
	}
	return &Store{js: js, stream: stream, name: cfg.Stream}, nil
}

// streamConfig is the ledger's stream: an append-only, never-expiring log.
func streamConfig(cfg Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:     cfg.Stream,
		Subjects: []string{streamSubjects},
		// A ledger never drops history: no count, size or age limits.
		Retention:         jetstream.LimitsPolicy,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxAge:            0,
		MaxMsgsPerSubject: -1,
		// If a limit is ever hit (server storage), refuse new writes
		// rather than silently discarding old commits.
		Discard: jetstream.DiscardNew,
		// History is immutable through the API.
		DenyDelete: true,
		DenyPurge:  true,
		Storage:    jetstream.FileStorage,
		Replicas:   cfg.Replicas,
		// Direct gets may be served by non-leader replicas that lag;
		// reads of the last message must be consistent with CAS appends.
		AllowDirect: false,
		Duplicates:  duplicateWindow,
	}
}

// StreamName is the name of the backing stream.
func (s *Store) StreamName() string { return s.name }

// StreamInfo returns the backing stream's current configuration and state.
func (s *Store) StreamInfo(ctx context.Context) (*jetstream.StreamInfo, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("eventstore: stream %q info: %w", s.name, err)
	}
	return info, nil
}

// LastSeq is the stream's last sequence (0 when empty).
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	info, err := s.StreamInfo(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}
