package ledger_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/ledger"
)

// A store that runs out of space refuses writes with a clear error and loses nothing
// it acknowledged; once there is room again (a larger limit on the same directory), a
// re-import records the rest exactly once.
func TestStoreFullThenRecovers(t *testing.T) {
	lines := realisticLedger()
	dir := t.TempDir()
	open := func(limit int64) (*eventstore.Store, func()) {
		srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: dir, SyncAlways: true, MaxFileStore: limit})
		if err != nil {
			t.Fatal(err)
		}
		nc, err := eventstore.ConnectEmbedded(srv)
		if err != nil {
			t.Fatal(err)
		}
		st, err := eventstore.Open(ctxT(t), nc, eventstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return st, func() { nc.Close(); srv.Shutdown(); srv.WaitForShutdown() }
	}

	st, stop := open(256 << 10) // far less than the ledger needs
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	stats, _, err := svc.Import(context.Background(), strings.NewReader(jsonl(lines)), ledger.ImportOptions{Workers: 4})
	if !errors.Is(err, eventstore.ErrStoreFull) {
		t.Fatalf("import into a full store: %v, want an error wrapping ErrStoreFull", err)
	}
	if !strings.Contains(err.Error(), "full") && !strings.Contains(err.Error(), "resources") {
		t.Errorf("the error does not say the store is full: %v", err)
	}
	if stats.Recorded == 0 || stats.Recorded >= len(lines) {
		t.Fatalf("recorded %d of %d before the store filled up; the test needs a partly filled store", stats.Recorded, len(lines))
	}
	// What was acknowledged is there, and the service's books match the stream.
	if got, want := serviceReports(t, svc, "2026-12-31"), reports(t, st, "2026-12-31"); got != want {
		t.Fatalf("after the store filled up, the service's books differ from the stream")
	}
	before := len(commits(t, st))
	stop()

	st, stop = open(64 << 20) // room again
	defer stop()
	if n := len(commits(t, st)); n != before {
		t.Fatalf("%d commits after the restart, %d before: something acknowledged was lost", n, before)
	}
	mustImportClean(t, ledgerService(t, st), lines)

	clean := newEnv(t)
	mustImportClean(t, clean.service(nil), lines)
	dates := []string{"2026-03-31", "2026-12-31"}
	if got, want := reports(t, st, dates...), reports(t, clean.st, dates...); got != want {
		t.Fatalf("after recovery the books differ from a clean import")
	}
}

func ledgerService(t *testing.T, st *eventstore.Store) *ledger.Service {
	t.Helper()
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	return svc
}
