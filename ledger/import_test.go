package ledger_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/ledger"
)

// realisticLedger is the generated ledger the import tests share: ~50 customers and
// ~500 invoices.
func realisticLedger() []string {
	return genLedger(genConfig{Seed: 2026, Customers: 50, Invoices: 500})
}

// smallLedger is a smaller generated ledger for the tests that import several times.
func smallLedger() []string {
	return genLedger(genConfig{Seed: 11, Customers: 12, Invoices: 60})
}

// mustImportClean imports lines and fails on any refusal.
func mustImportClean(t *testing.T, svc *ledger.Service, lines []string) ledger.ImportStats {
	t.Helper()
	stats, refusals := importLines(t, svc, lines)
	for i, r := range refusals {
		if i == 10 {
			t.Errorf("... %d refusals in all", len(refusals))
			break
		}
		t.Errorf("line %d refused: %v\n  %s", r.Line, r.Err, lines[r.Line-1])
	}
	if t.Failed() {
		t.FailNow()
	}
	return stats
}

// Test 4: a restart of the server and a fresh fold give byte-identical reports.
func TestRestartRebuildsIdenticalReports(t *testing.T) {
	e := newEnv(t)
	svc := e.service(nil)
	lines := realisticLedger()
	stats := mustImportClean(t, svc, lines)
	if stats.Commands != len(lines) || stats.Recorded != len(lines) || stats.Duplicates != 0 {
		t.Fatalf("import stats %+v, want %d commands all recorded", stats, len(lines))
	}
	t.Logf("imported %d commands, %d events", stats.Recorded, stats.Events)

	before := reports(t, e.st, reportDates...)
	// The generated ledger exercises what it claims to.
	for _, want := range []string{`"currency":"CNY"`, `"currency":"USD"`, `"currency":"JPY"`,
		`"status":"forfeited"`, `"status":"rebated"`, `"status":"open"`, `"bounty_to":"C005"`,
		`"bounty_to":"Li Si"`, `"written_off":[{`, `"doubtful":[{`} {
		if !strings.Contains(before, want) {
			t.Errorf("reports never show %s", want)
		}
	}
	// The write side's books agree with a fold of the stream.
	if got := serviceReports(t, svc, reportDates...); got != before {
		t.Errorf("the service's books and a fold of the stream give different reports:\n%s", firstDiff(got, before))
	}
	seq := lastSeq(t, e.st)

	e.restart()
	if got := lastSeq(t, e.st); got != seq {
		t.Fatalf("after restart the stream's last sequence is %d, want %d", got, seq)
	}
	after := reports(t, e.st, reportDates...)
	if after != before {
		t.Fatalf("reports after a restart differ:\n%s", firstDiff(after, before))
	}
	// A fresh service loads the same books.
	if got := serviceReports(t, e.service(nil), reportDates...); got != before {
		t.Fatalf("a freshly loaded service's reports differ:\n%s", firstDiff(got, before))
	}
}

// firstDiff shows where two report documents first differ.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-120)
	return fmt.Sprintf("at byte %d\n got: ...%s\nwant: ...%s", i, clip(got[lo:], 300), clip(want[lo:], 300))
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Test 2: the same JSONL imported twice records nothing new; so does a re-import
// after a restart with a fresh Service.
func TestImportTwiceRecordsNothingNew(t *testing.T) {
	e := newEnv(t)
	lines := smallLedger()
	first := mustImportClean(t, e.service(nil), lines)
	if first.Recorded != len(lines) {
		t.Fatalf("first import recorded %d of %d", first.Recorded, len(lines))
	}
	seq := lastSeq(t, e.st)
	rep := reports(t, e.st, reportDates...)

	check := func(what string, svc *ledger.Service) {
		t.Helper()
		stats := mustImportClean(t, svc, lines)
		if stats.Recorded != 0 || stats.Duplicates != len(lines) || stats.Events != 0 || stats.Refused != 0 {
			t.Errorf("%s: stats %+v, want 0 recorded, %d duplicates", what, stats, len(lines))
		}
		if got := lastSeq(t, e.st); got != seq {
			t.Errorf("%s: last sequence %d, want %d (something was written)", what, got, seq)
		}
		if got := reports(t, e.st, reportDates...); got != rep {
			t.Errorf("%s: reports changed:\n%s", what, firstDiff(got, rep))
		}
	}
	// The same service again, and a freshly loaded one.
	check("second import, same service", e.service(nil))
	// After the duplicate window of the server cannot help: restart, fresh service.
	e.restart()
	check("import after a restart", e.service(nil))
}

// Test 2b: one command re-submitted after a restart and a fresh Load is recorded once.
func TestResubmitAfterRestartRecordedOnce(t *testing.T) {
	e := newEnv(t)
	svc := e.service(nil)
	mustRecordAll(t, svc,
		`{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"One","grade":2,"terms_days":30,"collector":"wang"}`,
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C1","amount":"500.00","currency":"CNY"}`)
	pay := `{"cmd":"RecordPayment","id":"p1","on":"2026-01-20","payment":"PAY-1","customer":"C1","amount":"200.00","currency":"CNY"}`
	mustRecord(t, svc, pay)
	seq := lastSeq(t, e.st)

	e.restart()
	svc = e.service(nil)
	// Key order and whitespace do not change the command.
	again := `{ "on":"2026-01-20", "cmd":"RecordPayment", "id":"p1", "customer":"C1", "payment":"PAY-1", "currency":"CNY", "amount":"200.00" }`
	res, err := submit(t, svc, again)
	if err != nil {
		t.Fatalf("re-submit after restart: %v", err)
	}
	if res.Recorded {
		t.Errorf("re-submitted command was recorded again")
	}
	if got := lastSeq(t, e.st); got != seq {
		t.Errorf("last sequence %d after re-submit, want %d", got, seq)
	}
	if n := countEvents(t, e.st, "C1", domain.TypePaymentRecorded); n != 1 {
		t.Errorf("%d payment.recorded.v1 events, want 1", n)
	}
	row, _ := customerAgeing(ageing(fold(t, e.st), "2026-01-31"), "CNY", "C1")
	if row.Total != "300.00" {
		t.Errorf("outstanding %q, want 300.00", row.Total)
	}
	// The same id with other content is refused even after the restart.
	_, err = submit(t, svc, strings.Replace(pay, `"200.00"`, `"250.00"`, 1))
	if fe, ok := domain.Refusal(err); !ok || fe.Field != "id" {
		t.Errorf("same id, other content after restart: err %v, want a refusal naming id", err)
	}
}

// Import reports refused lines by number, skips blank lines but counts them, and
// records the good lines around the bad ones.
func TestImportReportsRefusedLines(t *testing.T) {
	e := newEnv(t)
	svc := e.service(nil)
	lines := []string{
		`{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"One","grade":2,"terms_days":30,"collector":"wang"}`,
		``,
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C1","amount":"500.00","currency":"CNY"}`,
		`{"cmd":"IssueInvoice","id":"i2","on":"2026-01-10","invoice":"INV-2","customer":"C1","amount":"5.000","currency":"CNY"}`,
		`{"cmd":"IssueInvoice","id":"i3","on":"2026-01-10","invoice":"INV-3","customer":"NOPE","amount":"5.00","currency":"CNY"}`,
		`not json`,
		`{"cmd":"GrantExtension","id":"x1","on":"2026-01-11","invoice":"INV-1","due":"2026-03-01"}`,
		`{"cmd":"RecordPayment","id":"p1","on":"2026-01-20","payment":"PAY-1","customer":"C1","amount":"200.00","currency":"CNY"}`,
		``,
		``,
	}
	stats, refusals := importLines(t, svc, lines)
	wantLines := map[int]string{4: "amount", 5: "customer", 6: "json"}
	if len(refusals) != len(wantLines) {
		t.Errorf("refusals %v, want lines 4, 5, 6", refusals)
	}
	for _, r := range refusals {
		fe, ok := domain.Refusal(r.Err)
		if !ok || fe.Field != wantLines[r.Line] {
			t.Errorf("line %d refused with %v, want a refusal naming %q", r.Line, r.Err, wantLines[r.Line])
		}
	}
	// Commands counts parsed lines: line 5 parses, lines 4 and 6 do not.
	if stats.Recorded != 4 || stats.Refused != 3 || stats.Commands != 5 {
		t.Errorf("stats %+v, want 5 commands, 4 recorded, 3 refused", stats)
	}
	// "lines read, blank ones included": the file has 10 lines.
	if stats.Lines != len(lines) {
		t.Errorf("stats.Lines = %d, want %d (trailing blank lines are lines read too)", stats.Lines, len(lines))
	}
}

// A duplicate invoice id for another customer in one file: the first use in file
// order wins, whatever the queues' timing, and the later duplicate is refused; the
// commands naming the invoice afterwards go to its real owner. (An import of one file
// must give the same books every time.)
func TestImportDuplicateInvoiceDoesNotMisrouteLaterCommands(t *testing.T) {
	e := newEnv(t)
	svc := e.service(nil)
	lines := []string{
		`{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"One","grade":1,"terms_days":30,"collector":"wang"}`,
		`{"cmd":"RegisterCustomer","id":"r2","on":"2026-01-02","customer":"C2","name":"Two","grade":1,"terms_days":30,"collector":"wang"}`,
	}
	// C1's queue is long, so its invoice is recorded late.
	for i := range 60 {
		lines = append(lines, fmt.Sprintf(`{"cmd":"RecordAction","id":"a%d","on":"2026-01-05","customer":"C1","action":"call"}`, i))
	}
	lines = append(lines,
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C1","amount":"500.00","currency":"CNY"}`,
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C2","amount":"700.00","currency":"CNY"}`,
		`{"cmd":"GrantExtension","id":"x1","on":"2026-01-11","invoice":"INV-1","due":"2026-03-01"}`,
	)
	stats, refusals := importLines(t, svc, lines)
	if len(refusals) != 1 || refusals[0].Line != len(lines)-1 {
		for _, r := range refusals {
			t.Errorf("line %d refused: %v", r.Line, r.Err)
		}
		t.Fatalf("stats %+v; want only line %d (the later duplicate) refused: the first use in file order wins", stats, len(lines)-1)
	}
	if fe, ok := domain.Refusal(refusals[0].Err); !ok || fe.Field != "invoice" {
		t.Errorf("duplicate refused with %v, want a refusal naming invoice", refusals[0].Err)
	}
	if n := countEvents(t, e.st, "C1", domain.TypeExtensionGranted); n != 1 {
		t.Errorf("%d extensions on C1, want 1", n)
	}
}

// Progress keeps coming while the commands read ahead are recorded, after the reader
// has read the whole file: here the file is read at once and the first append is
// held for 2.5 s.
func TestImportProgressWhileRecordingWhatWasReadAhead(t *testing.T) {
	e := newEnv(t)
	gs := &gatedStore{Store: e.st, started: make(chan struct{}), release: make(chan struct{})}
	time.AfterFunc(2500*time.Millisecond, func() { close(gs.release) })
	lines := []string{
		`{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"W","name":"W","grade":2,"terms_days":30,"collector":"c"}`,
		`{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"X","name":"X","grade":2,"terms_days":30,"collector":"c"}`,
	}
	var calls []ledger.ImportStats
	stats, _, err := e.service(gs).Import(ctxT(t), strings.NewReader(jsonl(lines)), ledger.ImportOptions{
		Progress: func(s ledger.ImportStats, _ time.Duration) { calls = append(calls, s) }})
	if err != nil || stats.Recorded != 2 {
		t.Fatalf("import: %v, %d recorded", err, stats.Recorded)
	}
	if len(calls) < 3 || calls[0].Commands != 2 || calls[0].Recorded == 2 || calls[len(calls)-1] != stats {
		t.Fatalf("progress calls %+v: want at least two while recording, then the final counts %+v", calls, stats)
	}
}
