package ledger_test

import (
	"strings"
	"testing"

	"github.com/arkeep/arkeep/ledger"
)

// Group commits record several commands of an account in one message; the books must
// be exactly those of recording them one by one, in file order per account.
func TestGroupCommitEqualsOneByOne(t *testing.T) {
	lines := realisticLedger()
	grouped, single := newEnv(t), newEnv(t)
	g := grouped.service(nil)
	if _, refusals, err := g.Import(ctxT(t), strings.NewReader(jsonl(lines)), ledger.ImportOptions{Workers: 4}); err != nil || len(refusals) > 0 {
		t.Fatalf("grouped import: %v, %d refused (first %v)", err, len(refusals), refusals)
	}
	one := single.service(nil)
	if _, refusals, err := one.Import(ctxT(t), strings.NewReader(jsonl(lines)), ledger.ImportOptions{Workers: 4, NoGroupCommit: true}); err != nil || len(refusals) > 0 {
		t.Fatalf("one-by-one import: %v, %d refused", err, len(refusals))
	}
	dates := []string{"2026-01-31", "2026-04-30", "2026-12-31"}
	if a, b := reports(t, grouped.st, dates...), reports(t, single.st, dates...); a != b {
		t.Fatalf("grouped and one-by-one imports differ:\ngrouped: %s\nsingle:  %s", a, b)
	}
	if n, m := len(commits(t, grouped.st)), len(commits(t, single.st)); n >= m {
		t.Errorf("grouped import wrote %d commits, one-by-one %d: nothing was grouped", n, m)
	}
	// The service's own books (decisions applied ahead of commits) equal the fold.
	if a, b := serviceReports(t, g, dates...), reports(t, grouped.st, dates...); a != b {
		t.Fatalf("the service's books differ from the stream's fold")
	}
}

// A group commit that fails (the process "crashes" at that append) leaves nothing
// half-applied: the import stops with the error, and a re-import of the same file on a
// fresh service records the rest exactly once.
func TestGroupCommitFailureThenReimport(t *testing.T) {
	lines := realisticLedger()
	want := newEnv(t)
	mustImportClean(t, want.service(nil), lines)
	for _, landed := range []bool{false, true} {
		e := newEnv(t)
		flaky := &flakyStore{Store: e.st, failAt: 40, landed: landed}
		svc := e.service(flaky)
		_, _, err := svc.Import(ctxT(t), strings.NewReader(jsonl(lines)), ledger.ImportOptions{Workers: 4})
		if err == nil {
			t.Fatalf("landed=%v: the injected failure did not stop the import", landed)
		}
		mustImportClean(t, e.service(nil), lines)
		dates := []string{"2026-01-31", "2026-12-31"}
		if a, b := reports(t, e.st, dates...), reports(t, want.st, dates...); a != b {
			t.Fatalf("landed=%v: after a failure and a re-import the books differ from a clean import", landed)
		}
	}
}
