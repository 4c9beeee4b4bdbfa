package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/projections"
)

// importedLive imports goodLines with the CLI, then opens the data directory's store
// and a live projection of it, as serve does.
func importedLive(t *testing.T) (ctx context.Context, dir string, st *eventstore.Store, live *projections.Live) {
	t.Helper()
	dir = cliEnv(t)
	data := filepath.Join(dir, "data")
	file := writeFile(t, dir, "b.jsonl", goodLines...)
	if r := arkeep(t, "", "import", "--data", data, "--quiet", file); r.code != 0 {
		t.Fatalf("import: %s", r)
	}
	srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: filepath.Join(data, "jetstream"), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc, err := eventstore.ConnectEmbedded(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	if st, err = eventstore.Open(ctx, nc, eventstore.Config{}); err != nil {
		t.Fatal(err)
	}
	if live, err = projections.StartLive(ctx, st); err != nil {
		t.Fatal(err)
	}
	return ctx, dir, st, live
}

func TestDailyReportsWrittenOnce(t *testing.T) {
	_, dir, _, live := importedLive(t)
	out := filepath.Join(dir, "reports")
	day := domain.MustDate("2026-03-31")
	written, err := writeDailyReports(out, live, day)
	if err != nil || len(written) != 2 {
		t.Fatalf("first write: %v %v", written, err)
	}
	ageing, err := os.ReadFile(filepath.Join(out, "ageing-2026-03-31.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// INV-1: 1000.00 − 250.00, due 2026-03-03: 28 days overdue on 03-31.
	if !strings.Contains(string(ageing), "CNY,C1,0.00,750.00,0.00,0.00,0.00,0.00,750.00,0.00") {
		t.Errorf("ageing CSV:\n%s", ageing)
	}
	if again, err := writeDailyReports(out, live, day); err != nil || len(again) != 0 {
		t.Errorf("second write the same day wrote %v (%v), want nothing", again, err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 2 {
		t.Errorf("report dir holds %d entries, want the 2 reports and no temporary files", len(entries))
	}
	// A lost report is written again, and only it.
	bad := filepath.Join(out, "baddebt-2026-03-31.csv")
	before, err := os.ReadFile(bad)
	if err != nil || !strings.HasPrefix(string(before), "currency,kind,invoice,") {
		t.Fatalf("bad-debt CSV (%v):\n%s", err, before)
	}
	if err := os.Remove(bad); err != nil {
		t.Fatal(err)
	}
	if again, err := writeDailyReports(out, live, day); err != nil || len(again) != 1 || again[0] != bad {
		t.Fatalf("after losing the bad-debt report: wrote %v (%v), want only %s", again, err, bad)
	}
	if after, _ := os.ReadFile(bad); string(after) != string(before) {
		t.Errorf("the bad-debt report written again reads\n%s\nwant\n%s", after, before)
	}
}

// serve's report-dir step writes once a day: not from a projection it could not check
// against the stream (the last sequence unreadable), and not again, nor asking the
// stream, once the day's reports are written.
func TestDailyReportsStep(t *testing.T) {
	ctx, dir, st, live := importedLive(t)
	out := filepath.Join(dir, "reports")
	calls := 0
	var seqErr error
	step := &dailyReports{dir: out, live: live, done: domain.NoDate,
		lastSeq: func(ctx context.Context) (uint64, error) {
			calls++
			if seqErr != nil {
				return 0, seqErr
			}
			return st.LastSeq(ctx)
		}}
	day := domain.MustDate("2026-03-31")

	seqErr = errors.New("no leader")
	if written, err := step.write(ctx, day); err == nil || len(written) != 0 {
		t.Fatalf("with the last sequence unreadable: wrote %v, err %v; want nothing and the error", written, err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("with the last sequence unreadable: report dir holds %d entries", len(entries))
	}
	seqErr = nil
	if written, err := step.write(ctx, day); err != nil || len(written) != 2 {
		t.Fatalf("next tick: wrote %v, err %v; want the 2 reports", written, err)
	}
	calls = 0
	if written, err := step.write(ctx, day); err != nil || len(written) != 0 || calls != 0 {
		t.Errorf("a later tick the same day: wrote %v, err %v, asked the stream %d times; want nothing", written, err, calls)
	}
	if written, err := step.write(ctx, day+1); err != nil || len(written) != 2 || calls != 1 {
		t.Errorf("the next day: wrote %v, err %v, asked the stream %d times; want the 2 reports", written, err, calls)
	}
}
