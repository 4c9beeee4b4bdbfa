// Package baseline holds what the benchmarks measure arkeep against: the raw rates of
// the same embedded JetStream configuration, with nothing of arkeep in the way.
package baseline

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/arkeep/arkeep/eventstore"
	"github.com/nats-io/nats.go/jetstream"
)

// Server is an embedded JetStream with the AR stream, fsync on every write. Raw
// publishes go through Store.JetStream().
type Server struct {
	Store *eventstore.Store
	Stop  func()
}

// Start starts one in dir.
func Start(ctx context.Context, dir string) (*Server, error) {
	srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: dir, SyncAlways: true})
	if err != nil {
		return nil, err
	}
	nc, err := eventstore.ConnectEmbedded(srv)
	if err != nil {
		srv.Shutdown()
		return nil, err
	}
	stop := func() { nc.Close(); srv.Shutdown(); srv.WaitForShutdown() }
	st, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		stop()
		return nil, err
	}
	return &Server{Store: st, Stop: stop}, nil
}

// PublishAsync publishes n messages of size bytes asynchronously, with at most 4000
// acknowledgements outstanding (the client's own limit), and returns how long it took.
func PublishAsync(ctx context.Context, js jetstream.JetStream, size, n int) (time.Duration, error) {
	payload := bytes.Repeat([]byte("x"), size)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if _, err := js.PublishAsync(fmt.Sprintf("ar.acct.raw%d", i%1000), payload); err != nil {
			return 0, err
		}
		if js.PublishAsyncPending() >= 4000 {
			select {
			case <-js.PublishAsyncComplete():
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(10 * time.Minute):
		return 0, fmt.Errorf("raw publish: acknowledgements did not arrive")
	}
	return time.Since(t0), nil
}
