package projections_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/arkeep/arkeep/bench/ledgergen"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/internal/stacktest"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
)

func importBytes(t *testing.T, svc *ledger.Service, data []byte) {
	t.Helper()
	_, refusals, err := svc.Import(context.Background(), bytes.NewReader(data), ledger.ImportOptions{})
	if err != nil || len(refusals) > 0 {
		t.Fatalf("import: %v, %d refused, first: %v", err, len(refusals), refusals[:min(1, len(refusals))])
	}
}

// allReports renders every report as of a few dates, as JSON.
func allReports(t *testing.T, b *domain.Books) string {
	t.Helper()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	p := domain.DefaultPolicy()
	for _, d := range []string{"2026-03-31", "2026-06-30", "2026-12-31"} {
		day := domain.MustDate(d)
		for _, rep := range []any{
			projections.Ageing(b, day, projections.BasisDue, projections.DefaultBuckets()),
			projections.BadDebt(b, day),
			projections.Funds(b, day),
			projections.Schedule(b, p, day),
			projections.Worklist(b, p, "zhang.min", day, nil),
		} {
			if err := enc.Encode(rep); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out.String()
}

// A projection started from a snapshot and the rest of the stream reports exactly
// what a fold from zero reports; an unusable snapshot falls back to zero.
func TestLiveFromSnapshotEqualsFoldFromZero(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := stacktest.StartStore(t).Store
	snaps, err := st.Snapshots(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../examples/ledger.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	importBytes(t, svc, example) // funds, violations, a close, disputes, write-off, recovery
	var gen bytes.Buffer
	w := bufio.NewWriter(&gen)
	ledgergen.Generate(w, 1500, 40, 7)
	w.Flush()
	importBytes(t, svc, gen.Bytes())

	live, err := projections.StartLive(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	at, err := live.SaveSnapshot(ctx, snaps)
	if err != nil || at == 0 {
		t.Fatalf("save snapshot at %d: %v", at, err)
	}
	// More history after the snapshot.
	var more bytes.Buffer
	w = bufio.NewWriter(&more)
	ledgergen.Generate(w, 1500, 40, 8)
	w.Flush()
	second := more.Bytes()
	for _, r := range [][2]string{{`"C0`, `"D0`}, {`"INV-`, `"INV2-`}, {`"PAY-`, `"PAY2-`}, {`"CN-`, `"CN2-`}} {
		second = bytes.ReplaceAll(second, []byte(r[0]), []byte(r[1]))
	}
	importBytes(t, svc, second)

	fromZero, _, err := projections.Fold(ctx, st, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := allReports(t, fromZero)

	restarted, from, err := projections.StartLiveFrom(ctx, st, snaps)
	if err != nil {
		t.Fatal(err)
	}
	if from != at {
		t.Fatalf("started from %d, want the snapshot's %d", from, at)
	}
	var got string
	restarted.View(func(b *domain.Books) { got = allReports(t, b) })
	if got != want {
		t.Fatalf("reports from snapshot + rest differ from a fold from zero")
	}

	// The command side starts from the same snapshot: same books, and its expected
	// sequences are right (a command on an old account records at the first attempt).
	snap := projections.LoadSnapshot(ctx, snaps, st)
	if snap == nil {
		t.Fatal("no usable snapshot")
	}
	svc2 := ledger.New(st, time.Now)
	if err := svc2.LoadFrom(ctx, snap.Books, snap.Seq, snap.Subjects); err != nil {
		t.Fatal(err)
	}
	svc2.View(func(b *domain.Books) { got = allReports(t, b) })
	if got != want {
		t.Fatalf("the command side's books from snapshot + rest differ from a fold from zero")
	}
	importBytes(t, svc2, []byte(`{"cmd":"RecordPayment","id":"late-1","on":"2026-12-01","payment":"PAY-LATE-1","customer":"HZ-001","amount":"10.00","currency":"CNY"}`+"\n"+
		`{"cmd":"CloseQuarter","id":"close-q3","on":"2026-10-02","quarter":"2026Q3"}`+"\n"))
	if fromZero, _, err = projections.Fold(ctx, st, time.Time{}); err != nil {
		t.Fatal(err)
	}
	want = allReports(t, fromZero)

	// A snapshot the build cannot read is ignored: fold from zero, same reports.
	if err := snaps.Put(ctx, "projection-books", []byte("not a snapshot")); err != nil {
		t.Fatal(err)
	}
	again, from, err := projections.StartLiveFrom(ctx, st, snaps)
	if err != nil || from != 0 {
		t.Fatalf("garbage snapshot: from %d, %v; want a fold from zero", from, err)
	}
	again.View(func(b *domain.Books) { got = allReports(t, b) })
	if got != want {
		t.Fatalf("reports after ignoring a bad snapshot differ")
	}
}
