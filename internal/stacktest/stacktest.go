// Package stacktest starts the real parts that tests run against, so that each test
// package does not wire them again: an embedded JetStream server with fsync on every
// write, the AR store on it, a ledger service loaded from it and a live projection
// following it. Everything stops when the test ends.
package stacktest

import (
	"context"
	"testing"
	"time"

	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
)

// Stack is one running engine without its HTTP side.
type Stack struct {
	Store   *eventstore.Store
	Service *ledger.Service
	Live    *projections.Live
}

// Start starts a stack in a fresh directory. ctx bounds the live projection.
func Start(t testing.TB, ctx context.Context) *Stack {
	t.Helper()
	s := StartStore(t)
	s.Service = ledger.New(s.Store, time.Now)
	if err := s.Service.Load(ctx); err != nil {
		t.Fatalf("stacktest: Load: %v", err)
	}
	live, err := projections.StartLive(ctx, s.Store)
	if err != nil {
		t.Fatalf("stacktest: StartLive: %v", err)
	}
	s.Live = live
	return s
}

// StartStore starts only the server and the store.
func StartStore(t testing.TB) *Stack {
	t.Helper()
	srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatalf("stacktest: StartEmbedded: %v", err)
	}
	nc, err := eventstore.ConnectEmbedded(srv)
	if err != nil {
		srv.Shutdown()
		t.Fatalf("stacktest: ConnectEmbedded: %v", err)
	}
	t.Cleanup(func() { nc.Close(); srv.Shutdown(); srv.WaitForShutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		t.Fatalf("stacktest: eventstore.Open: %v", err)
	}
	return &Stack{Store: st}
}
