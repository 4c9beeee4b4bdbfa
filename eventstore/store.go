package eventstore

import (
	"context"
	"errors"
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
	// Replicas is the stream replication factor. 0 keeps the replicas of an
	// existing stream (and creates a new one with 1): only an explicit count
	// changes how a stream someone set up is replicated.
	Replicas int
}

// Store appends to and reads from the ledger stream. It is safe for
// concurrent use. It does not own the NATS connection.
type Store struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	name   string
}

// Open creates the stream, or updates it to the expected configuration (see
// EnsureStream), and returns a Store bound to it. With Config.Replicas 0 an
// existing stream keeps its replica count (see StreamReplicas).
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("eventstore: jetstream context: %w", err)
	}
	if cfg.Replicas, err = StreamReplicas(ctx, js, cfg.Stream, cfg.Replicas); err != nil {
		return nil, err
	}
	stream, err := EnsureStream(ctx, js, streamConfig(cfg))
	if err != nil {
		return nil, err
	}
	return &Store{js: js, stream: stream, name: cfg.Stream}, nil
}

// StreamReplicas is the replica count to create or update stream with when asked
// for requested: requested itself when above 0; for 0 ("keep what is there") the
// existing stream's count, or 1 when the stream does not exist yet. So a one-off
// command opening the ledger with the default never turns a production R3 stream
// into R1. A negative count is an error.
func StreamReplicas(ctx context.Context, js jetstream.JetStream, stream string, requested int) (int, error) {
	if requested < 0 {
		return 0, fmt.Errorf("eventstore: stream %q: invalid replicas %d", stream, requested)
	}
	if requested > 0 {
		return requested, nil
	}
	existing := 0
	st, err := js.Stream(ctx, stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
	case err != nil:
		return 0, fmt.Errorf("eventstore: stream %q info: %w", stream, err)
	default:
		existing = st.CachedInfo().Config.Replicas
	}
	return pickReplicas(requested, existing, 1), nil
}

// pickReplicas decides a replica count: requested when above 0, otherwise existing
// (the count of the stream that is there; 0 when there is none), otherwise ifNew,
// and at least 1.
func pickReplicas(requested, existing, ifNew int) int {
	switch {
	case requested > 0:
		return requested
	case existing > 0:
		return existing
	default:
		return max(ifNew, 1)
	}
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

// JetStream is the JetStream context the Store publishes and reads with, for the
// parts that keep their own streams beside the ledger (the reminder queue) and for
// raw measurements. The Store's own asynchronous appends share it: do not wait on
// its PublishAsyncComplete while the Store is appending.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

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
