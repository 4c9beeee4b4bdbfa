package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
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

// A group commit decides each command against the books with the group's earlier
// lines applied, as the one-by-one path does; once the group's commit landed its
// refusals are final. An invoice for a customer registered only further down is
// refused one by one, so it must be refused in a group too, not recorded on a second
// look against books holding the later registration.
func TestGroupCommitRefusalsMatchOneByOne(t *testing.T) {
	lines := []string{
		`{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"W","name":"W","grade":2,"terms_days":30,"collector":"c"}`,
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-02","invoice":"INV-1","customer":"X","amount":"100.00","currency":"CNY"}`,
		`{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"X","name":"X","grade":2,"terms_days":30,"collector":"c"}`,
	}
	type outcome struct {
		recorded, refused int
		lines             []int
		reports           string
		grouped           bool
	}
	run := func(noGroup bool) outcome {
		e := newEnv(t)
		gs := &gatedStore{Store: e.st, started: make(chan struct{}), release: make(chan struct{})}
		svc := e.service(gs)
		// W's line goes first, alone; its append waits until X's two lines are queued
		// behind it, so that the worker takes them together.
		r := &gatedReader{first: lines[0] + "\n", rest: strings.NewReader(jsonl(lines[1:])), wait: gs.started, eof: gs.release}
		stats, refusals, err := svc.Import(ctxT(t), r, ledger.ImportOptions{Workers: 1, NoGroupCommit: noGroup})
		if err != nil {
			t.Fatalf("NoGroupCommit=%v: %v", noGroup, err)
		}
		o := outcome{recorded: stats.Recorded, refused: stats.Refused, reports: reports(t, e.st, "2026-01-31"), grouped: gs.grouped()}
		for _, ref := range refusals {
			o.lines = append(o.lines, ref.Line)
		}
		if a, b := serviceReports(t, svc, "2026-01-31"), o.reports; a != b {
			t.Errorf("NoGroupCommit=%v: the service's books differ from the stream's fold", noGroup)
		}
		return o
	}
	single, grouped := run(true), run(false)
	if single.recorded != 2 || single.refused != 1 || len(single.lines) != 1 || single.lines[0] != 2 {
		t.Fatalf("one by one: recorded %d, refused %d (lines %v); want 2 recorded, line 2 refused", single.recorded, single.refused, single.lines)
	}
	if !grouped.grouped {
		t.Fatalf("X's two lines did not go as one group commit: the test proves nothing")
	}
	if grouped.recorded != single.recorded || grouped.refused != single.refused || len(grouped.lines) != 1 || grouped.lines[0] != 2 {
		t.Errorf("group commit: recorded %d, refused %d (lines %v); one by one: recorded %d, refused %d (lines %v)",
			grouped.recorded, grouped.refused, grouped.lines, single.recorded, single.refused, single.lines)
	}
	if grouped.reports != single.reports {
		t.Errorf("grouped and one-by-one imports differ:\n%s", firstDiff(grouped.reports, single.reports))
	}
}

// gatedStore holds its first Append until release is closed, saying on started that
// it is waiting; it notes whether a group commit was written (a group's message id is
// "<first command id>+<count>").
type gatedStore struct {
	ledger.Store
	started, release chan struct{}
	once             sync.Once
	mu               sync.Mutex
	msgIDs           []string
}

func (g *gatedStore) Append(ctx context.Context, subject, msgID string, expected uint64, data []byte) (uint64, bool, error) {
	g.mu.Lock()
	g.msgIDs = append(g.msgIDs, msgID)
	g.mu.Unlock()
	g.once.Do(func() {
		close(g.started)
		select {
		case <-g.release:
		case <-ctx.Done():
		}
	})
	return g.Store.Append(ctx, subject, msgID, expected, data)
}

func (g *gatedStore) grouped() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, id := range g.msgIDs {
		if strings.Contains(id, "+") {
			return true
		}
	}
	return false
}

// gatedReader yields first, then waits for wait before yielding the rest; at the end
// it closes eof.
type gatedReader struct {
	first   string
	rest    io.Reader
	wait    <-chan struct{}
	eof     chan struct{}
	waited  bool
	eofOnce sync.Once
}

func (r *gatedReader) Read(p []byte) (int, error) {
	if r.first != "" {
		n := copy(p, r.first)
		r.first = r.first[n:]
		return n, nil
	}
	if !r.waited {
		select {
		case <-r.wait:
		case <-time.After(10 * time.Second): // no append: the test fails, not hangs
		}
		r.waited = true
	}
	n, err := r.rest.Read(p)
	if err == io.EOF {
		r.eofOnce.Do(func() { close(r.eof) })
	}
	return n, err
}

// The import reads far ahead of what is recorded, across accounts: while one commit is
// in flight, every command read meanwhile waits for its account's next commit. Here
// W's first append is held until the whole file is read, with one account recording at
// a time, so X's and Y's 151 commands each (more than 256 together, the most the
// earlier import held queued per worker) must go in one commit per account.
func TestImportGroupsWhatArrivesBehindACommitInFlight(t *testing.T) {
	lines := []string{`{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"W","name":"W","grade":2,"terms_days":30,"collector":"c"}`}
	for _, c := range []string{"X", "Y"} {
		lines = append(lines, fmt.Sprintf(`{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"%s","name":"%s","grade":2,"terms_days":30,"collector":"c"}`, c, c))
	}
	for i := range 150 {
		for _, c := range []string{"X", "Y"} {
			lines = append(lines, fmt.Sprintf(`{"cmd":"IssueInvoice","id":"i%d","on":"2026-01-02","invoice":"INV-%s-%d","customer":"%s","amount":"1.00","currency":"CNY"}`, i, c, i, c))
		}
	}
	e := newEnv(t)
	gs := &gatedStore{Store: e.st, started: make(chan struct{}), release: make(chan struct{})}
	svc := e.service(gs)
	r := &gatedReader{first: lines[0] + "\n", rest: strings.NewReader(jsonl(lines[1:])), wait: gs.started, eof: gs.release}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	stats, refusals, err := svc.Import(ctx, r, ledger.ImportOptions{Workers: 1})
	if err != nil || len(refusals) > 0 || stats.Recorded != len(lines) {
		t.Fatalf("import: %v, %d refused, %d of %d recorded", err, len(refusals), stats.Recorded, len(lines))
	}
	var commitIDs []string
	gs.mu.Lock()
	for _, id := range gs.msgIDs {
		if strings.HasPrefix(id, "acct/") {
			commitIDs = append(commitIDs, id)
		}
	}
	gs.mu.Unlock()
	sort.Strings(commitIDs)
	if want := []string{"acct/W/r", "acct/X/r+151", "acct/Y/r+151"}; !slices.Equal(commitIDs, want) {
		t.Errorf("commits %v, want %v", commitIDs, want)
	}
}

// A group too large for one message (NATS refuses payloads over 1 MiB by default) is
// recorded in smaller commits, not refused: here 256 queued actions of about 4 KB each
// for one account.
func TestImportSplitsAGroupTooLargeForOneMessage(t *testing.T) {
	lines := []string{
		`{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"W","name":"W","grade":2,"terms_days":30,"collector":"c"}`,
		`{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"X","name":"X","grade":2,"terms_days":30,"collector":"c"}`,
	}
	note := strings.Repeat("n", 4000)
	for i := range 300 {
		lines = append(lines, fmt.Sprintf(`{"cmd":"RecordAction","id":"a%d","on":"2026-01-02","customer":"X","action":"call","note":"%s %d"}`, i, note, i))
	}
	e := newEnv(t)
	gs := &gatedStore{Store: e.st, started: make(chan struct{}), release: make(chan struct{})}
	svc := e.service(gs)
	r := &gatedReader{first: lines[0] + "\n", rest: strings.NewReader(jsonl(lines[1:])), wait: gs.started, eof: gs.release}
	stats, refusals, err := svc.Import(ctxT(t), r, ledger.ImportOptions{Workers: 1})
	if err != nil || len(refusals) > 0 || stats.Recorded != len(lines) {
		t.Fatalf("import: %v, %d refused, %d of %d recorded", err, len(refusals), stats.Recorded, len(lines))
	}
	if !gs.grouped() {
		t.Errorf("nothing was grouped: the test proves nothing")
	}
}

// A command too large for a message even on its own is refused like bad input, naming
// the field json, and the import goes on: nothing of it is recorded, the lines around
// it are.
func TestImportRefusesACommandTooLargeToStore(t *testing.T) {
	lines := []string{
		`{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"X","name":"X","grade":2,"terms_days":30,"collector":"c"}`,
		`{"cmd":"RecordAction","id":"a1","on":"2026-01-02","customer":"X","action":"call","note":"short"}`,
		fmt.Sprintf(`{"cmd":"RecordAction","id":"a2","on":"2026-01-02","customer":"X","action":"call","note":"%s"}`, strings.Repeat("n", 1100<<10)),
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-02","invoice":"INV-1","customer":"X","amount":"1.00","currency":"CNY"}`,
	}
	for _, workers := range []int{1, 4} {
		e := newEnv(t)
		stats, refusals, err := e.service(nil).Import(ctxT(t), strings.NewReader(jsonl(lines)), ledger.ImportOptions{Workers: workers})
		if err != nil {
			t.Fatalf("workers %d: import stopped: %v", workers, err)
		}
		if stats.Recorded != 3 || len(refusals) != 1 || refusals[0].Line != 3 {
			t.Fatalf("workers %d: recorded %d, refusals %v; want 3 recorded and line 3 refused", workers, stats.Recorded, refusals)
		}
		var fe *domain.FieldError
		if !errors.As(refusals[0].Err, &fe) || fe.Field != "json" {
			t.Errorf("workers %d: refusal %v, want a field error on json", workers, refusals[0].Err)
		}
	}
}
