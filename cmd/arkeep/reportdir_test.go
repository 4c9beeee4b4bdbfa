package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/projections"
)

func TestDailyReportsWrittenOnce(t *testing.T) {
	dir := cliEnv(t)
	data := filepath.Join(dir, "data")
	file := writeFile(t, dir, "b.jsonl", goodLines...)
	if r := arkeep(t, "", "import", "--data", data, "--quiet", file); r.code != 0 {
		t.Fatalf("import: %s", r)
	}
	srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: filepath.Join(data, "jetstream"), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := eventstore.ConnectEmbedded(srv)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	live, err := projections.StartLive(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
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
}
