package collector

import (
	"testing"

	"github.com/arkeep/arkeep/internal/natstest"
)

// Every instance opens the queue when it starts. A queue that already has its
// settings must get no stream update: nats-server rewrites a stream's configuration
// unlocked against a concurrent consumer creation (see eventstore.EnsureStream), so
// an update on every start races with the other instances' workers.
func TestOpenQueueAgainUpdatesNothing(t *testing.T) {
	e := newEnv(t)
	updates := natstest.WatchStreamUpdates(t, e.nc, "*")
	for range 3 {
		e.queueOn(e.connect())
	}
	if n := updates.Count(); n != 0 {
		t.Fatalf("opening the queue again announced %d stream updates, want none", n)
	}
}
