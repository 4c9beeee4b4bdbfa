package collector

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// Every instance opens the queue when it starts. A queue that already has its
// settings must get no stream update: nats-server rewrites a stream's configuration
// unlocked against a concurrent consumer creation (see eventstore.EnsureStream), so
// an update on every start races with the other instances' workers.
func TestOpenQueueAgainUpdatesNothing(t *testing.T) {
	e := newEnv(t)
	var updates atomic.Int32
	sub, err := e.nc.Subscribe("$JS.EVENT.ADVISORY.STREAM.UPDATED.>", func(m *nats.Msg) {
		updates.Add(1)
		t.Logf("update announced: %s", m.Subject)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		e.queueOn(e.connect())
	}
	time.Sleep(300 * time.Millisecond)
	if n := updates.Load(); n != 0 {
		t.Fatalf("opening the queue again announced %d stream updates, want none", n)
	}
}
