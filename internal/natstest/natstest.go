// Package natstest holds test helpers that need only a NATS connection, so that
// any package's tests can use them, eventstore's own included.
package natstest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// StreamUpdates counts the stream updates a server announces.
type StreamUpdates struct {
	nc *nats.Conn
	n  atomic.Int32
}

// WatchStreamUpdates counts, from now on, the updates the server announces of stream
// ("*" for every stream) on its JetStream advisory subject, until the test ends.
func WatchStreamUpdates(t testing.TB, nc *nats.Conn, stream string) *StreamUpdates {
	t.Helper()
	u := &StreamUpdates{nc: nc}
	sub, err := nc.Subscribe("$JS.EVENT.ADVISORY.STREAM.UPDATED."+stream, func(m *nats.Msg) {
		u.n.Add(1)
		t.Logf("update announced: %s", m.Subject)
	})
	if err != nil {
		t.Fatalf("natstest: subscribe to stream updates: %v", err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatalf("natstest: flush: %v", err)
	}
	return u
}

// Count is how many updates were announced, read after a pause: the server sends its
// advisories on its own time, so one announced just before may still be on its way.
func (u *StreamUpdates) Count() int {
	_ = u.nc.Flush()
	time.Sleep(300 * time.Millisecond)
	return int(u.n.Load())
}
