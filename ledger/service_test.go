package ledger_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
)

// base is a small ledger the refusal tests start from.
var base = []string{
	`{"cmd":"RegisterCustomer","id":"reg-C1","on":"2026-01-02","customer":"C1","name":"One","grade":2,"terms_days":30,"collector":"wang"}`,
	`{"cmd":"RegisterCustomer","id":"reg-C2","on":"2026-01-02","customer":"C2","name":"Two","grade":3,"terms_days":30,"collector":"li"}`,
	`{"cmd":"IssueInvoice","id":"i-inv1","on":"2026-02-01","invoice":"INV-1","customer":"C1","amount":"1000.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"i-invj","on":"2026-02-01","invoice":"INV-J","customer":"C1","amount":"50000","currency":"JPY"}`,
	`{"cmd":"IssueInvoice","id":"i-inv2","on":"2026-02-01","invoice":"INV-2","customer":"C2","amount":"300.00","currency":"CNY"}`,
	`{"cmd":"RecordPayment","id":"p-pay1","on":"2026-02-10","payment":"PAY-1","customer":"C1","amount":"100.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"100.00"}]}`,
	`{"cmd":"IssueCreditNote","id":"c-cn1","on":"2026-02-11","credit_note":"CN-1","customer":"C1","amount":"10.00","currency":"CNY","invoice":"INV-1"}`,
	`{"cmd":"ReportViolation","id":"rv-1","on":"2026-02-12","violation":"V-1","customer":"C2","reporter":"C1","occurred_on":"2026-02-01"}`,
}

// Test 1: every bad input of SPEC section 8 is refused with an error naming the
// field, and nothing is recorded: the stream does not move and no report changes.
func TestBadInputRefusedNothingRecorded(t *testing.T) {
	e := newEnv(t)
	svc := e.service(nil)
	mustRecordAll(t, svc, base...)
	// INV-1: 1000.00 issued 2026-02-01, 890.00 outstanding.

	cases := []struct {
		name, line, field string
	}{
		{"unknown field", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":"10.00","currency":"CNY","colour":"red"}`, "colour"},
		{"extra field of another command", `{"cmd":"RecordPayment","id":"x","on":"2026-02-05","payment":"PAY-9","customer":"C1","amount":"10.00","currency":"CNY","due":"2026-03-01"}`, "due"},
		{"extra field in an allocation", `{"cmd":"RecordPayment","id":"x","on":"2026-02-05","payment":"PAY-9","customer":"C1","amount":"10.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"10.00","note":"x"}]}`, "allocations[0].note"},
		{"missing field", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":"10.00"}`, "currency"},
		{"unknown command", `{"cmd":"IssueInvoices","id":"x","on":"2026-02-05"}`, "cmd"},
		{"unknown customer", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"NOPE","amount":"10.00","currency":"CNY"}`, "customer"},
		{"unknown customer paying", `{"cmd":"RecordPayment","id":"x","on":"2026-02-05","payment":"PAY-9","customer":"NOPE","amount":"10.00","currency":"CNY"}`, "customer"},
		{"unknown reporter", `{"cmd":"ReportViolation","id":"x","on":"2026-02-12","violation":"V-9","customer":"C2","reporter":"NOPE","occurred_on":"2026-02-01"}`, "reporter"},
		{"unknown invoice", `{"cmd":"GrantExtension","id":"x","on":"2026-02-05","invoice":"NOPE","due":"2026-03-20"}`, "invoice"},
		{"unknown invoice in an allocation", `{"cmd":"RecordPayment","id":"x","on":"2026-02-05","payment":"PAY-9","customer":"C1","amount":"10.00","currency":"CNY","allocations":[{"invoice":"NOPE","amount":"10.00"}]}`, "allocations[0].invoice"},
		{"another customer's invoice in an allocation", `{"cmd":"RecordPayment","id":"x","on":"2026-02-05","payment":"PAY-9","customer":"C1","amount":"10.00","currency":"CNY","allocations":[{"invoice":"INV-2","amount":"10.00"}]}`, "allocations[0].invoice"},
		{"unknown invoice of a credit note", `{"cmd":"IssueCreditNote","id":"x","on":"2026-02-05","credit_note":"CN-9","customer":"C1","amount":"10.00","currency":"CNY","invoice":"NOPE"}`, "invoice"},
		{"unknown invoice written off", `{"cmd":"WriteOff","id":"x","on":"2026-02-05","invoice":"NOPE","reason":"other","force":true}`, "invoice"},
		{"unknown violation", `{"cmd":"ConfirmViolation","id":"x","on":"2026-02-15","violation":"NOPE"}`, "violation"},
		{"malformed JSON", `{"cmd":"IssueInvoice","id":"x","on":`, "json"},
		{"not an object", `["IssueInvoice"]`, "json"},
		{"trailing data", `{"cmd":"ConfirmViolation","id":"x","on":"2026-02-15","violation":"V-1"} {}`, "json"},
		{"zero amount", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":"0.00","currency":"CNY"}`, "amount"},
		{"zero JPY amount", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":"0","currency":"JPY"}`, "amount"},
		{"negative amount", `{"cmd":"RecordPayment","id":"x","on":"2026-02-05","payment":"PAY-9","customer":"C1","amount":"-5.00","currency":"CNY"}`, "amount"},
		{"zero allocation", `{"cmd":"RecordPayment","id":"x","on":"2026-02-05","payment":"PAY-9","customer":"C1","amount":"5.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"0.00"}]}`, "allocations[0].amount"},
		{"amount as a JSON number", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":10,"currency":"CNY"}`, "amount"},
		{"too many decimals CNY", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":"10.000","currency":"CNY"}`, "amount"},
		{"too many decimals JPY", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":"100.0","currency":"JPY"}`, "amount"},
		{"too many decimals in a promise", `{"cmd":"RecordPromise","id":"x","on":"2026-02-05","invoice":"INV-J","promised":"2026-02-20","amount":"100.5"}`, "amount"},
		{"unknown currency", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":"10.00","currency":"ABC"}`, "currency"},
		{"impossible date", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-30","invoice":"INV-9","customer":"C1","amount":"10.00","currency":"CNY"}`, "on"},
		{"impossible due date", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":"10.00","currency":"CNY","due":"2026-13-01"}`, "due"},
		{"due before issue", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":"10.00","currency":"CNY","due":"2026-02-04"}`, "due"},
		{"extension before the issue date", `{"cmd":"GrantExtension","id":"x","on":"2026-01-15","invoice":"INV-1","due":"2026-03-20"}`, "on"},
		{"credit note before the issue date", `{"cmd":"IssueCreditNote","id":"x","on":"2026-01-20","credit_note":"CN-9","customer":"C1","amount":"10.00","currency":"CNY","invoice":"INV-1"}`, "on"},
		{"dispute before the issue date", `{"cmd":"OpenDispute","id":"x","on":"2026-01-31","invoice":"INV-1"}`, "on"},
		{"write-off before the issue date", `{"cmd":"WriteOff","id":"x","on":"2026-01-01","invoice":"INV-1","reason":"other","force":true}`, "on"},
		{"promise before the issue date", `{"cmd":"RecordPromise","id":"x","on":"2026-01-20","invoice":"INV-1","promised":"2026-02-20","amount":"10.00"}`, "on"},
		{"action before the issue date", `{"cmd":"RecordAction","id":"x","on":"2026-01-20","customer":"C1","invoice":"INV-1","action":"call"}`, "on"},
		{"over-allocation", `{"cmd":"RecordPayment","id":"x","on":"2026-02-15","payment":"PAY-9","customer":"C1","amount":"1000.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"890.01"}]}`, "allocations[0].amount"},
		{"over-allocation in two lines", `{"cmd":"RecordPayment","id":"x","on":"2026-02-15","payment":"PAY-9","customer":"C1","amount":"1000.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"500.00"},{"invoice":"INV-1","amount":"390.01"}]}`, "allocations[1].amount"},
		{"allocations above the amount", `{"cmd":"RecordPayment","id":"x","on":"2026-02-15","payment":"PAY-9","customer":"C1","amount":"100.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"60.00"},{"invoice":"INV-1","amount":"60.00"}]}`, "allocations[1].amount"},
		{"credit note above the outstanding", `{"cmd":"IssueCreditNote","id":"x","on":"2026-02-15","credit_note":"CN-9","customer":"C1","amount":"890.01","currency":"CNY","invoice":"INV-1"}`, "amount"},
		{"duplicate invoice id, another customer", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-1","customer":"C2","amount":"10.00","currency":"CNY"}`, "invoice"},
		{"duplicate invoice id, same customer", `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-1","customer":"C1","amount":"10.00","currency":"CNY"}`, "invoice"},
		{"duplicate payment id", `{"cmd":"RecordPayment","id":"x","on":"2026-02-15","payment":"PAY-1","customer":"C1","amount":"5.00","currency":"CNY"}`, "payment"},
		{"duplicate payment id, another customer", `{"cmd":"RecordPayment","id":"x","on":"2026-02-15","payment":"PAY-1","customer":"C2","amount":"5.00","currency":"CNY"}`, "payment"},
		{"duplicate credit note id, another customer", `{"cmd":"IssueCreditNote","id":"x","on":"2026-02-15","credit_note":"CN-1","customer":"C2","amount":"5.00","currency":"CNY"}`, "credit_note"},
		{"duplicate violation id", `{"cmd":"ReportViolation","id":"x","on":"2026-02-12","violation":"V-1","customer":"C1","reporter":"C2","occurred_on":"2026-02-01"}`, "violation"},
		{"re-registering a customer", `{"cmd":"RegisterCustomer","id":"reg-again","on":"2026-03-01","customer":"C1","name":"One again","grade":1,"terms_days":10,"collector":"li"}`, "customer"},
		{"same command id, other content", `{"cmd":"IssueInvoice","id":"i-inv1","on":"2026-02-01","invoice":"INV-1","customer":"C1","amount":"1000.01","currency":"CNY"}`, "id"},
		{"same command id, other command", `{"cmd":"RecordAction","id":"p-pay1","on":"2026-02-10","customer":"C1","action":"call"}`, "id"},
		{"close before the quarter ends", `{"cmd":"CloseQuarter","id":"x","on":"2026-03-31","quarter":"2026Q1"}`, "on"},
	}

	seq := lastSeq(t, e.st)
	want := reports(t, e.st, reportDates...)
	if got := serviceReports(t, svc, reportDates...); got != want {
		t.Fatalf("service books and stream fold disagree before the test:\n%s", firstDiff(got, want))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := submit(t, svc, tc.line)
			if err == nil {
				t.Fatalf("accepted: %s", tc.line)
			}
			fe, ok := domain.Refusal(err)
			if !ok {
				t.Fatalf("error %v is not a refusal (*domain.FieldError)", err)
			}
			if fe.Field != tc.field {
				t.Errorf("refusal names field %q (%v), want %q", fe.Field, err, tc.field)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("message %q does not name the field %q", err, tc.field)
			}
			if got := lastSeq(t, e.st); got != seq {
				t.Fatalf("stream moved from %d to %d: something was recorded", seq, got)
			}
		})
	}
	if got := reports(t, e.st, reportDates...); got != want {
		t.Errorf("reports changed:\n%s", firstDiff(got, want))
	}
	if got := serviceReports(t, svc, reportDates...); got != want {
		t.Errorf("the service's books changed:\n%s", firstDiff(got, want))
	}

	// The same bad lines through Import: every line refused, by number.
	var lines []string
	for _, tc := range cases {
		lines = append(lines, tc.line)
	}
	stats, refusals := importLines(t, svc, lines)
	if stats.Recorded != 0 || stats.Refused != len(lines) || len(refusals) != len(lines) {
		t.Errorf("import of bad lines: stats %+v, %d refusals, want all %d refused", stats, len(refusals), len(lines))
	}
	for i, r := range refusals {
		if r.Line != i+1 {
			t.Errorf("refusal %d is for line %d, want %d", i, r.Line, i+1)
			break
		}
	}
	if got := lastSeq(t, e.st); got != seq {
		t.Errorf("import of bad lines moved the stream from %d to %d", seq, got)
	}

	// A refused command is not remembered: its id can carry a good command.
	mustRecord(t, svc, `{"cmd":"IssueInvoice","id":"x","on":"2026-02-05","invoice":"INV-9","customer":"C1","amount":"10.00","currency":"CNY"}`)
	// The earlier commands still stand.
	row, _ := customerAgeing(ageing(fold(t, e.st), "2026-02-28"), "CNY", "C1")
	if row.Total != "900.00" {
		t.Errorf("C1 CNY outstanding %q, want 900.00", row.Total)
	}
}

// Test 5: a command is decided when recorded and counted from its effective date,
// through the whole stack.
func TestDecideWhenRecordedCountWhenEffective(t *testing.T) {
	e := newEnv(t)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Add(int64(time.Minute))).UTC() }
	svc := ledger.New(e.st, now)
	if err := svc.Load(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mustRecordAll(t, svc,
		`{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"One","grade":2,"terms_days":30,"collector":"wang"}`,
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-03-01","invoice":"INV-A","customer":"C1","amount":"1000.00","currency":"CNY"}`)
	knownBefore := time.Unix(0, clock.Load()).UTC()
	res := mustRecord(t, svc, `{"cmd":"RecordPayment","id":"p1","on":"2026-01-15","payment":"PAY-1","customer":"C1","amount":"400.00","currency":"CNY"}`)

	// Decided when recorded: the payment's event carries its allocation to INV-A.
	pr, ok := res.Events[0].(domain.PaymentRecorded)
	if !ok || len(pr.Allocations) != 1 || pr.Allocations[0].Invoice != "INV-A" || !pr.Unapplied.IsZero() {
		t.Fatalf("payment decided as %+v, want 400.00 allocated to INV-A", res.Events)
	}

	books := fold(t, e.st)
	// 2026-01-10: nothing yet.
	if rep := ageing(books, "2026-01-10"); len(rep.Currencies) != 0 {
		t.Errorf("as of 2026-01-10: %s, want no currencies", asJSON(t, rep))
	}
	// 2026-02-01: the money is here, the invoice is not: unapplied credit, no receivable.
	row, ok := customerAgeing(ageing(books, "2026-02-01"), "CNY", "C1")
	if !ok || row.Total != "0.00" || row.UnappliedCredit != "-400.00" || bucket(row, "current") != "0.00" {
		t.Errorf("as of 2026-02-01: %+v, want total 0.00 and unapplied credit -400.00", row)
	}
	// 2026-03-31: the invoice is reduced; no credit left.
	row, ok = customerAgeing(ageing(books, "2026-03-31"), "CNY", "C1")
	if !ok || row.Total != "600.00" || row.UnappliedCredit != "0.00" || bucket(row, "current") != "600.00" {
		t.Errorf("as of 2026-03-31: %+v, want 600.00 current and no credit", row)
	}
	// 2026-05-15: 600.00 is 45 days overdue (due 2026-03-31).
	row, _ = customerAgeing(ageing(books, "2026-05-15"), "CNY", "C1")
	if bucket(row, "31-60") != "600.00" {
		t.Errorf("as of 2026-05-15: %+v, want 600.00 in 31-60", row)
	}
	// As known before the payment was recorded: the whole invoice is owed.
	then, _, err := projections.Fold(ctxT(t), e.st, knownBefore)
	if err != nil {
		t.Fatal(err)
	}
	row, _ = customerAgeing(ageing(then, "2026-03-31"), "CNY", "C1")
	if row.Total != "1000.00" || row.UnappliedCredit != "0.00" {
		t.Errorf("as known before the payment, as of 2026-03-31: %+v, want 1000.00 owed", row)
	}
}

// Test 3: two Service instances on separate connections write to one account at
// once; optimistic concurrency with reload loses nothing and doubles nothing.
func TestTwoServicesConcurrentWritersOneAccount(t *testing.T) {
	e := newEnv(t)
	_, st2 := e.connect()
	setup := e.service(nil)
	mustRecord(t, setup, `{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"One","grade":2,"terms_days":30,"collector":"wang"}`)

	svcs := []*ledger.Service{e.service(nil), e.service(st2)}
	const perWriter = 100
	cmds := make([][]parsed, len(svcs))
	for w := range svcs {
		for k := range perWriter {
			line := fmt.Sprintf(`{"cmd":"IssueInvoice","id":"w%d-%d","on":"2026-01-10","invoice":"INV-%d-%03d","customer":"C1","amount":"100.00","currency":"CNY"}`, w, k, w, k)
			if k%2 == 1 {
				line = fmt.Sprintf(`{"cmd":"RecordPayment","id":"w%d-%d","on":"2026-01-10","payment":"PAY-%d-%03d","customer":"C1","amount":"30.00","currency":"CNY"}`, w, k, w, k)
			}
			cmds[w] = append(cmds[w], parseLine(t, line))
		}
	}
	ctx := ctxT(t)
	var exhausted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(svcs))
	for w, svc := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, c := range cmds[w] {
				var res ledger.Result
				var err error
				// A client re-submits a command whose retries were exhausted: the
				// same id, so it cannot be recorded twice.
				for try := 0; try < 20; try++ {
					res, err = svc.Execute(ctx, c.cmd, c.hash)
					if !errors.Is(err, eventstore.ErrConflict) {
						break
					}
					exhausted.Add(1)
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d command %d: %w", w, k, err)
					return
				}
				if !res.Recorded {
					errs <- fmt.Errorf("writer %d command %d: not recorded", w, k)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := exhausted.Load(); n > 0 {
		t.Errorf("%d times a command gave up with a conflict after its bounded retries (two writers on one account)", n)
	}
	checkRecordedOnce(t, e.st, "C1", 2*perWriter)
	row, _ := customerAgeing(ageing(fold(t, e.st), "2026-01-31"), "CNY", "C1")
	// Serially: 100 invoices of 100.00 less 100 payments of 30.00.
	if row.Total != "7000.00" || row.UnappliedCredit != "0.00" {
		t.Errorf("C1: total %s, credit %s; want 7000.00 and 0.00", row.Total, row.UnappliedCredit)
	}
}

// checkRecordedOnce checks that every command id on an account was recorded exactly
// once and that there are n of them besides the registration.
func checkRecordedOnce(t *testing.T, st *eventstore.Store, account string, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, c := range commits(t, st) {
		if c.Account != account {
			continue
		}
		for _, cr := range c.Commands {
			seen[cr.ID]++
		}
	}
	var dups []string
	for id, k := range seen {
		if k != 1 {
			dups = append(dups, fmt.Sprintf("%s×%d", id, k))
		}
	}
	sort.Strings(dups)
	if len(dups) > 0 {
		t.Errorf("commands recorded more than once: %v", dups)
	}
	if len(seen) != n+1 {
		t.Errorf("%d commands recorded on %s, want %d (+1 registration)", len(seen), account, n)
	}
	books := fold(t, st)
	a, _ := books.Existing(account)
	invs, lots := len(a.Invoices()), len(a.Lots())
	if invs+lots != n {
		t.Errorf("%d invoices + %d payments folded, want %d in all", invs, lots, n)
	}
}

// Test 3b: eight goroutines on one account through one Service.
func TestOneServiceEightGoroutinesOneAccount(t *testing.T) {
	e := newEnv(t)
	svc := e.service(nil)
	mustRecord(t, svc, `{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"One","grade":2,"terms_days":30,"collector":"wang"}`)
	const goroutines, each = 8, 12
	cmds := make([][]parsed, goroutines)
	for g := range goroutines {
		for k := range each {
			line := fmt.Sprintf(`{"cmd":"IssueInvoice","id":"g%d-%d","on":"2026-01-10","invoice":"INV-%d-%02d","customer":"C1","amount":"100.00","currency":"CNY"}`, g, k, g, k)
			if k%2 == 1 {
				line = fmt.Sprintf(`{"cmd":"RecordPayment","id":"g%d-%d","on":"2026-01-10","payment":"PAY-%d-%02d","customer":"C1","amount":"30.00","currency":"CNY"}`, g, k, g, k)
			}
			cmds[g] = append(cmds[g], parseLine(t, line))
		}
	}
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, c := range cmds[g] {
				res, err := svc.Execute(ctx, c.cmd, c.hash)
				if err == nil && !res.Recorded {
					err = errors.New("not recorded")
				}
				if err != nil {
					errs <- fmt.Errorf("goroutine %d command %d: %w", g, k, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkRecordedOnce(t, e.st, "C1", goroutines*each)
	row, _ := customerAgeing(ageing(fold(t, e.st), "2026-01-31"), "CNY", "C1")
	want := fmt.Sprintf("%d.00", goroutines*each/2*70)
	if row.Total != want || row.UnappliedCredit != "0.00" {
		t.Errorf("C1: total %s, credit %s; want %s and 0.00", row.Total, row.UnappliedCredit, want)
	}
	if got, want := serviceReports(t, svc, "2026-01-31"), reports(t, e.st, "2026-01-31"); got != want {
		t.Errorf("service books and stream fold disagree:\n%s", firstDiff(got, want))
	}
}

// A stale Service (another instance wrote since it loaded) decides against the books
// as recorded, not as it last saw them: it must not refuse a customer, an invoice or
// a violation the stream knows.
func TestStaleServiceSeesOtherInstancesWrites(t *testing.T) {
	e := newEnv(t)
	_, st2 := e.connect()
	a, b := e.service(nil), e.service(st2) // both loaded on an empty stream
	mustRecordAll(t, a,
		`{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"One","grade":2,"terms_days":30,"collector":"wang"}`,
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C1","amount":"500.00","currency":"CNY"}`)
	// b has not seen C1 or INV-1.
	if _, err := submit(t, b, `{"cmd":"IssueInvoice","id":"i2","on":"2026-01-11","invoice":"INV-2","customer":"C1","amount":"100.00","currency":"CNY"}`); err != nil {
		t.Errorf("stale instance, invoice for a customer registered on another instance: %v", err)
	}
	if _, err := submit(t, b, `{"cmd":"GrantExtension","id":"x1","on":"2026-01-12","invoice":"INV-1","due":"2026-03-01"}`); err != nil {
		t.Errorf("stale instance, extension of an invoice issued on another instance: %v", err)
	}
}

// Two instances racing for one new invoice id for two customers: one wins, the
// other is refused as a duplicate naming the field.
func TestTwoServicesSameInvoiceIDTwoCustomers(t *testing.T) {
	e := newEnv(t)
	_, st2 := e.connect()
	setup := e.service(nil)
	mustRecordAll(t, setup,
		`{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"One","grade":2,"terms_days":30,"collector":"wang"}`,
		`{"cmd":"RegisterCustomer","id":"r2","on":"2026-01-02","customer":"C2","name":"Two","grade":2,"terms_days":30,"collector":"wang"}`)
	a, b := e.service(nil), e.service(st2)
	mustRecord(t, a, `{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-Z","customer":"C1","amount":"500.00","currency":"CNY"}`)
	seq := lastSeq(t, e.st)
	_, err := submit(t, b, `{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-Z","customer":"C2","amount":"500.00","currency":"CNY"}`)
	if fe, ok := domain.Refusal(err); !ok || fe.Field != "invoice" || fe.Reason != domain.Duplicate {
		t.Fatalf("second instance, same invoice id for another customer: %v, want a duplicate refusal naming invoice", err)
	}
	if got := lastSeq(t, e.st); got != seq {
		t.Errorf("stream moved from %d to %d", seq, got)
	}
}

// A command decided on a stale instance, claimed, then refused after the reload
// (the books moved under it) must not leave its entity id taken: a refused command
// is not remembered.
func TestRefusedAfterConflictLeavesNoClaim(t *testing.T) {
	e := newEnv(t)
	_, st2 := e.connect()
	setup := e.service(nil)
	mustRecordAll(t, setup,
		`{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"One","grade":2,"terms_days":30,"collector":"wang"}`,
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C1","amount":"1000.00","currency":"CNY"}`)
	a, b := e.service(nil), e.service(st2)
	// b pays INV-1 in full; a has not seen it.
	mustRecord(t, b, `{"cmd":"RecordPayment","id":"pb","on":"2026-01-20","payment":"PAY-B","customer":"C1","amount":"1000.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"1000.00"}]}`)
	before := len(commits(t, e.st))
	_, err := submit(t, a, `{"cmd":"RecordPayment","id":"px-1","on":"2026-01-21","payment":"PAY-X","customer":"C1","amount":"600.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"600.00"}]}`)
	if fe, ok := domain.Refusal(err); !ok || fe.Field != "allocations[0].amount" {
		t.Fatalf("over-allocation found after the reload: %v, want a refusal naming allocations[0].amount", err)
	}
	// Claim bookkeeping on the index subjects may move the stream; no commit may.
	if got := len(commits(t, e.st)); got != before {
		t.Errorf("the refused command left %d commits, want %d", got, before)
	}
	// The client fixes the payment and sends it as a new command.
	if _, err := submit(t, a, `{"cmd":"RecordPayment","id":"px-2","on":"2026-01-21","payment":"PAY-X","customer":"C1","amount":"600.00","currency":"CNY"}`); err != nil {
		t.Errorf("payment id of a refused command cannot be used again: %v", err)
	}
}

// closeSetup: V (violator, 5% fund) has 10000.00 invoiced in 2026Q1, O (2% fund)
// 5000.00, R reports V's violation and has no invoices.
var closeSetup = []string{
	`{"cmd":"RegisterCustomer","id":"reg-V","on":"2026-01-02","customer":"V","name":"Violator","grade":3,"terms_days":30,"collector":"wang"}`,
	`{"cmd":"RegisterCustomer","id":"reg-O","on":"2026-01-02","customer":"O","name":"Other","grade":2,"terms_days":30,"collector":"wang"}`,
	`{"cmd":"RegisterCustomer","id":"reg-R","on":"2026-01-02","customer":"R","name":"Reporter","grade":1,"terms_days":30,"collector":"li"}`,
	`{"cmd":"AgreePriceProtection","id":"ag-V","on":"2026-01-03","customer":"V","fund_rate":"0.05"}`,
	`{"cmd":"AgreePriceProtection","id":"ag-O","on":"2026-01-03","customer":"O","fund_rate":"0.02"}`,
	`{"cmd":"IssueInvoice","id":"i-V1","on":"2026-02-01","invoice":"INV-V1","customer":"V","amount":"10000.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"i-O1","on":"2026-02-01","invoice":"INV-O1","customer":"O","amount":"5000.00","currency":"CNY"}`,
	`{"cmd":"ReportViolation","id":"rv-1","on":"2026-03-01","violation":"V-1","customer":"V","reporter":"R","occurred_on":"2026-02-10"}`,
	`{"cmd":"ConfirmViolation","id":"cv-1","on":"2026-03-10","violation":"V-1"}`,
}

const closeQ1 = `{"cmd":"CloseQuarter","id":"close-q1","on":"2026-04-01","quarter":"2026Q1"}`

// checkOneBounty checks the outcome of the 2026Q1 close: one bounty of 500.00 on R's
// account, V's fund forfeited to R, O's rebated.
func checkOneBounty(t *testing.T, st *eventstore.Store) {
	t.Helper()
	if n := countEvents(t, st, "-", domain.TypeBountyAwarded); n != 1 {
		t.Errorf("%d %s events, want exactly 1", n, domain.TypeBountyAwarded)
	}
	if n := countEvents(t, st, "V", domain.TypeFundForfeited); n != 1 {
		t.Errorf("%d %s events on V, want 1", n, domain.TypeFundForfeited)
	}
	if n := countEvents(t, st, "O", domain.TypeFundRebated); n != 1 {
		t.Errorf("%d %s events on O, want 1", n, domain.TypeFundRebated)
	}
	books := fold(t, st)
	if row, ok := customerAgeing(ageing(books, "2026-03-31"), "CNY", "R"); ok {
		t.Errorf("R before the close: %+v, want nothing", row)
	}
	row, ok := customerAgeing(ageing(books, "2026-04-01"), "CNY", "R")
	if !ok || row.UnappliedCredit != "-500.00" || row.Total != "0.00" {
		t.Errorf("R after the close: %+v, want unapplied credit -500.00", row)
	}
	funds := asJSON(t, projections.Funds(books, domain.MustDate("2026-04-01")))
	want := `{"as_of":"2026-04-01","funds":[` +
		`{"customer":"O","quarter":"2026Q1","currency":"CNY","accrued":"100.00","status":"rebated","rebated":"100.00","forfeited":"0.00","bounty_to":null},` +
		`{"customer":"V","quarter":"2026Q1","currency":"CNY","accrued":"500.00","status":"forfeited","rebated":"0.00","forfeited":"500.00","bounty_to":"R"}]}`
	if funds != want {
		t.Errorf("fund report\n got %s\nwant %s", funds, want)
	}
	// O's rebate went to its invoice.
	row, _ = customerAgeing(ageing(books, "2026-04-01"), "CNY", "O")
	if row.Total != "4900.00" {
		t.Errorf("O after the rebate: %+v, want 4900.00 outstanding", row)
	}
}

// Test 6: the bounty lands once on the reporter's account even when CloseQuarter is
// submitted twice.
func TestCloseQuarterBountyOnce(t *testing.T) {
	e := newEnv(t)
	svc := e.service(nil)
	mustRecordAll(t, svc, closeSetup...)
	res := mustRecord(t, svc, closeQ1)
	if len(res.Events) != 1 || res.Events[0].Type() != domain.TypeQuarterClosed {
		t.Errorf("close events %v", res.Events)
	}
	seq := lastSeq(t, e.st)
	res, err := submit(t, svc, closeQ1)
	if err != nil || res.Recorded {
		t.Errorf("second submission: recorded %v, err %v; want already recorded", res.Recorded, err)
	}
	// A fresh service, the same command.
	res, err = submit(t, e.service(nil), closeQ1)
	if err != nil || res.Recorded {
		t.Errorf("submission to a fresh service: recorded %v, err %v; want already recorded", res.Recorded, err)
	}
	// Another command closing the same quarter is refused.
	_, err = submit(t, svc, `{"cmd":"CloseQuarter","id":"close-q1-again","on":"2026-04-02","quarter":"2026Q1"}`)
	if fe, ok := domain.Refusal(err); !ok || fe.Field != "quarter" {
		t.Errorf("closing a closed quarter again: %v, want a refusal naming quarter", err)
	}
	if got := lastSeq(t, e.st); got != seq {
		t.Errorf("re-submissions moved the stream from %d to %d", seq, got)
	}
	checkOneBounty(t, e.st)
}

// Test 6b: a crash between the violator's forfeit and the reporter's bounty is
// completed by re-submitting the CloseQuarter, to the same or a fresh service, with
// exactly one bounty.
func TestCloseQuarterCrashBeforeBounty(t *testing.T) {
	for _, tc := range []struct {
		name   string
		landed bool // the bounty was written, only its ack was lost
		fresh  bool // re-submit to a freshly loaded service
	}{
		{"crash before the bounty, fresh service", false, true},
		{"crash before the bounty, same service", false, false},
		{"bounty written, ack lost, fresh service", true, true},
		{"bounty written, ack lost, same service", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			mustRecordAll(t, e.service(nil), closeSetup...)
			// Appends of the close: the ledger, O's rebate, V's forfeit, R's bounty.
			flaky := &flakyStore{Store: e.st, failAt: 4, landed: tc.landed}
			svc := e.service(flaky)
			_, err := submit(t, svc, closeQ1)
			if !errors.Is(err, errInjected) {
				t.Fatalf("close with a crash before the bounty: err %v, want the injected failure", err)
			}
			subjects := flaky.attempted()
			want := []string{eventstore.LedgerSubject, eventstore.AccountSubject("O"), eventstore.AccountSubject("V"), eventstore.AccountSubject("R")}
			if strings.Join(subjects, " ") != strings.Join(want, " ") {
				t.Fatalf("appends %v, want %v (the test's crash point is off)", subjects, want)
			}
			if n := countEvents(t, e.st, "V", domain.TypeFundForfeited); n != 1 {
				t.Fatalf("%d forfeits recorded before the crash, want 1", n)
			}
			wantBounties := 0
			if tc.landed {
				wantBounties = 1
			}
			if n := countEvents(t, e.st, "-", domain.TypeBountyAwarded); n != wantBounties {
				t.Fatalf("%d bounties recorded at the crash, want %d", n, wantBounties)
			}

			again := svc
			if tc.fresh {
				again = e.service(nil)
			}
			res, err := submit(t, again, closeQ1)
			if err != nil {
				t.Fatalf("re-submitted close: %v", err)
			}
			if res.Recorded {
				t.Errorf("re-submitted close recorded the close again")
			}
			checkOneBounty(t, e.st)
			// And once more, for good measure.
			if _, err := submit(t, e.service(nil), closeQ1); err != nil {
				t.Fatalf("third submission: %v", err)
			}
			checkOneBounty(t, e.st)
		})
	}
}

// Two instances close the same quarter at once: one close, one bounty.
func TestCloseQuarterTwoServicesAtOnce(t *testing.T) {
	e := newEnv(t)
	_, st2 := e.connect()
	mustRecordAll(t, e.service(nil), closeSetup...)
	svcs := []*ledger.Service{e.service(nil), e.service(st2)}
	c := parseLine(t, closeQ1)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make([]error, len(svcs))
	for i, svc := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Execute(ctx, c.cmd, c.hash)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("service %d: %v", i, err)
		}
	}
	if n := countEvents(t, e.st, "", domain.TypeQuarterClosed); n != 1 {
		t.Errorf("%d quarter.closed.v1 events, want 1", n)
	}
	checkOneBounty(t, e.st)
}

// Load decodes commits ahead of the fold: a service loaded from the stream has the
// books of the one that wrote it, and a commit that does not decode stops the load
// with an error naming its sequence.
func TestLoadFoldsWhatWasWrittenAndStopsAtABadCommit(t *testing.T) {
	e := newEnv(t)
	svc := e.service(nil)
	var lines []string
	for i := range 300 {
		lines = append(lines,
			fmt.Sprintf(`{"cmd":"RegisterCustomer","id":"r%d","on":"2026-01-02","customer":"C%d","name":"N","grade":2,"terms_days":30,"collector":"wang"}`, i, i),
			fmt.Sprintf(`{"cmd":"IssueInvoice","id":"i%d","on":"2026-03-01","invoice":"INV-%d","customer":"C%d","amount":"%d.25","currency":"CNY"}`, i, i, i, 100+i),
			fmt.Sprintf(`{"cmd":"RecordPayment","id":"p%d","on":"2026-04-01","payment":"PAY-%d","customer":"C%d","amount":"%d.10","currency":"CNY"}`, i, i, i, i))
	}
	mustRecordAll(t, svc, lines...)
	report := func(s *ledger.Service) string {
		var out []byte
		s.View(func(b *domain.Books) {
			var err error
			out, err = json.Marshal(projections.Ageing(b, domain.MustDate("2026-12-31"), projections.BasisDue, projections.DefaultBuckets()))
			if err != nil {
				t.Fatal(err)
			}
		})
		return string(out)
	}
	if got, want := report(e.service(nil)), report(svc); got != want {
		t.Fatalf("loaded books differ from the writer's:\n got %s\nwant %s", got, want)
	}

	bad, _, err := e.st.Append(ctxT(t), eventstore.AccountSubject("broken"), "", 0, []byte(`{"v":1,`))
	if err != nil {
		t.Fatal(err)
	}
	mustRecordAll(t, svc, `{"cmd":"RegisterCustomer","id":"r-after","on":"2026-01-02","customer":"AFTER","name":"N","grade":2,"terms_days":30,"collector":"wang"}`)
	err = ledger.New(e.st, time.Now).Load(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("stream sequence %d", bad)) {
		t.Fatalf("Load over a bad commit at %d: err = %v", bad, err)
	}
}
