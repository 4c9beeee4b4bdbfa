package eventstore

import (
	"context"
	"testing"
	"time"

	"github.com/arkeep/arkeep/internal/clustertest"
	"github.com/nats-io/nats.go/jetstream"
)

func TestPickReplicas(t *testing.T) {
	for _, c := range []struct{ requested, existing, ifNew, want int }{
		{0, 0, 1, 1}, // nothing asked, nothing there: 1
		{0, 0, 0, 1}, // never 0
		{0, 0, 3, 3}, // a new snapshot store follows an R3 ledger stream
		{0, 3, 1, 3}, // nothing asked: an R3 stream stays R3
		{0, 1, 3, 1},
		{1, 3, 1, 1}, // asked for: set, whatever is there
		{3, 1, 1, 3},
		{5, 0, 1, 5},
	} {
		if got := pickReplicas(c.requested, c.existing, c.ifNew); got != c.want {
			t.Errorf("pickReplicas(%d, %d, %d) = %d, want %d", c.requested, c.existing, c.ifNew, got, c.want)
		}
	}
}

// fakeJS answers Stream with streams of the given replica counts; anything else it
// is asked panics (the embedded interface is nil).
type fakeJS struct {
	jetstream.JetStream
	replicas map[string]int
}

type fakeStream struct {
	jetstream.Stream
	info *jetstream.StreamInfo
}

func (s fakeStream) CachedInfo() *jetstream.StreamInfo { return s.info }

func (f fakeJS) Stream(_ context.Context, name string) (jetstream.Stream, error) {
	r, ok := f.replicas[name]
	if !ok {
		return nil, jetstream.ErrStreamNotFound
	}
	return fakeStream{info: &jetstream.StreamInfo{Config: jetstream.StreamConfig{Name: name, Replicas: r}}}, nil
}

func TestStreamReplicas(t *testing.T) {
	js := fakeJS{replicas: map[string]int{"AR": 3, "ARJOBS": 1}}
	for _, c := range []struct {
		stream    string
		requested int
		want      int
	}{
		{"AR", 0, 3},      // keeps the production R3 stream
		{"ARJOBS", 0, 1},  // keeps an R1 stream
		{"MISSING", 0, 1}, // creates with 1
		{"AR", 1, 1},      // an explicit count is applied
		{"MISSING", 3, 3},
	} {
		got, err := StreamReplicas(context.Background(), js, c.stream, c.requested)
		if err != nil || got != c.want {
			t.Errorf("StreamReplicas(%s, %d) = %d, %v; want %d", c.stream, c.requested, got, err, c.want)
		}
	}
	if _, err := StreamReplicas(context.Background(), js, "AR", -1); err == nil {
		t.Error("StreamReplicas(-1): no error")
	}
}

// On a single server (R1 only) opening again with the default leaves the stream and
// the snapshot store as they are.
func TestOpenDefaultReplicasKeepsStream(t *testing.T) {
	env := newEnv(t)
	ctx := testCtx(t)
	before, err := env.store.StreamInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.store.Snapshots(ctx, 0); err != nil {
		t.Fatalf("Snapshots(0) creating the store: %v", err)
	}
	st, err := Open(ctx, env.nc, Config{})
	if err != nil {
		t.Fatalf("re-Open: %v", err)
	}
	after, err := st.StreamInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Config.Replicas != 1 || !after.Created.Equal(before.Created) {
		t.Errorf("after re-Open: replicas %d, created %v (was %v)", after.Config.Replicas, after.Created, before.Created)
	}
	if _, err := st.Snapshots(ctx, 0); err != nil {
		t.Errorf("Snapshots(0) on the existing store: %v", err)
	}
	if _, err := Open(ctx, env.nc, Config{Replicas: -1}); err == nil {
		t.Error("Open with Replicas -1: no error")
	}
	if _, err := st.Snapshots(ctx, -1); err == nil {
		t.Error("Snapshots(-1): no error")
	}
}

// On a real 3-node cluster: a one-off command opening the ledger with the default
// (Replicas 0) must not turn the production R3 stream, or the R3 snapshot store, into
// R1; a new snapshot store follows the ledger stream's replicas.
func TestOpenDefaultReplicasKeepsR3OnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nats-server processes; skipped with -short")
	}
	c, err := clustertest.Start(clustertest.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(c.Shutdown)
	nc, err := ConnectURL(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The production setup: the ledger stream created R3 (retried while the new
	// cluster elects its meta leader).
	var st *Store
	for {
		octx, ocancel := context.WithTimeout(ctx, 5*time.Second)
		st, err = Open(octx, nc, Config{Replicas: 3})
		ocancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("Open R3: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	replicas := func(st *Store) int {
		t.Helper()
		info, err := st.StreamInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.Config.Replicas
	}
	if r := replicas(st); r != 3 {
		t.Fatalf("created with Replicas 3: stream has %d", r)
	}

	// A report run later: the default flag.
	again, err := Open(ctx, nc, Config{})
	if err != nil {
		t.Fatalf("Open with the default replicas: %v", err)
	}
	if r := replicas(again); r != 3 {
		t.Errorf("Open with Replicas 0 on the R3 stream: now %d replicas, want 3 kept", r)
	}

	snapReplicas := func() int {
		t.Helper()
		obj, err := st.js.ObjectStore(ctx, SnapshotBucket)
		if err != nil {
			t.Fatal(err)
		}
		s, err := obj.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s.Replicas()
	}
	if _, err := again.Snapshots(ctx, 0); err != nil {
		t.Fatalf("Snapshots(0) creating the store: %v", err)
	}
	if r := snapReplicas(); r != 3 {
		t.Errorf("snapshot store created with replicas 0 beside the R3 ledger: %d replicas, want 3", r)
	}
	if _, err := again.Snapshots(ctx, 0); err != nil {
		t.Fatalf("Snapshots(0) on the existing store: %v", err)
	}
	if r := snapReplicas(); r != 3 {
		t.Errorf("Snapshots(0) on the R3 snapshot store: now %d replicas, want 3 kept", r)
	}
}
