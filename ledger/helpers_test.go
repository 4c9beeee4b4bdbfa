package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventcodec"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ---------------------------------------------------------------------------------
// A real embedded JetStream per test.

// testEnv is an embedded server on a store directory, one connection and the Store.
type testEnv struct {
	t   *testing.T
	dir string
	srv *server.Server
	nc  *nats.Conn
	st  *eventstore.Store
	// extra connections opened by connect, closed before the server stops.
	extra []*nats.Conn
}

// newEnv starts an embedded server on a fresh directory; cleanup shuts it down.
func newEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{t: t, dir: t.TempDir()}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *testEnv) start() {
	e.t.Helper()
	srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: e.dir, SyncAlways: true})
	if err != nil {
		e.t.Fatalf("StartEmbedded: %v", err)
	}
	e.srv = srv
	e.nc, e.st = e.connect()
}

// connect opens another in-process connection and a Store on it.
func (e *testEnv) connect() (*nats.Conn, *eventstore.Store) {
	e.t.Helper()
	nc, err := eventstore.ConnectEmbedded(e.srv)
	if err != nil {
		e.t.Fatalf("ConnectEmbedded: %v", err)
	}
	e.extra = append(e.extra, nc)
	st, err := eventstore.Open(ctxT(e.t), nc, eventstore.Config{})
	if err != nil {
		e.t.Fatalf("eventstore.Open: %v", err)
	}
	return nc, st
}

// stop closes the connections and shuts the server down; it is idempotent.
func (e *testEnv) stop() {
	for _, nc := range e.extra {
		nc.Close()
	}
	e.extra = nil
	e.nc, e.st = nil, nil
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
		e.srv = nil
	}
}

// restart stops the server and starts a new one on the same store directory.
func (e *testEnv) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

// service returns a loaded Service over st (the env's store when nil).
func (e *testEnv) service(st ledger.Store) *ledger.Service {
	e.t.Helper()
	if st == nil {
		st = e.st
	}
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctxT(e.t)); err != nil {
		e.t.Fatalf("Load: %v", err)
	}
	return svc
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ---------------------------------------------------------------------------------
// Commands from batch lines.

// parse builds a command from one Appendix A JSON line; it fails the test when the
// line does not parse.
func parse(t *testing.T, line string) (domain.Command, string) {
	t.Helper()
	cmd, hash, err := batch.ParseCommand([]byte(line))
	if err != nil {
		t.Fatalf("ParseCommand(%s): %v", line, err)
	}
	return cmd, hash
}

// parsed is a command with its content hash.
type parsed struct {
	cmd  domain.Command
	hash string
}

func parseLine(t *testing.T, line string) parsed {
	t.Helper()
	cmd, hash := parse(t, line)
	return parsed{cmd, hash}
}

// submit parses a line and executes it; a parse refusal is returned as the error.
func submit(t *testing.T, svc *ledger.Service, line string) (ledger.Result, error) {
	t.Helper()
	cmd, hash, err := batch.ParseCommand([]byte(line))
	if err != nil {
		return ledger.Result{}, err
	}
	return svc.Execute(ctxT(t), cmd, hash)
}

// mustRecord executes a line and fails the test unless it was recorded now.
func mustRecord(t *testing.T, svc *ledger.Service, line string) ledger.Result {
	t.Helper()
	res, err := submit(t, svc, line)
	if err != nil {
		t.Fatalf("Execute(%s): %v", line, err)
	}
	if !res.Recorded {
		t.Fatalf("Execute(%s): not recorded (already recorded?)", line)
	}
	return res
}

// mustRecordAll records lines in order.
func mustRecordAll(t *testing.T, svc *ledger.Service, lines ...string) {
	t.Helper()
	for _, l := range lines {
		mustRecord(t, svc, l)
	}
}

// jsonl joins lines into a JSON Lines document.
func jsonl(lines []string) string { return strings.Join(lines, "\n") + "\n" }

// importLines imports lines and fails on a store error.
func importLines(t *testing.T, svc *ledger.Service, lines []string) (ledger.ImportStats, []ledger.Refusal) {
	t.Helper()
	stats, refusals, err := svc.Import(ctxT(t), strings.NewReader(jsonl(lines)), ledger.ImportOptions{Workers: 16})
	if err != nil {
		t.Fatalf("Import: %v (stats %+v)", err, stats)
	}
	return stats, refusals
}

// ---------------------------------------------------------------------------------
// Stream inspection and reports.

func lastSeq(t *testing.T, st *eventstore.Store) uint64 {
	t.Helper()
	seq, err := st.LastSeq(ctxT(t))
	if err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	return seq
}

// commits decodes every commit of the stream, in stream order.
func commits(t *testing.T, st *eventstore.Store) []eventcodec.Commit {
	t.Helper()
	var out []eventcodec.Commit
	_, err := st.Replay(ctxT(t), 0, func(m eventstore.Msg) error {
		if !eventstore.IsCommitSubject(m.Subject) {
			return nil
		}
		c, err := eventcodec.DecodeCommit(m.Data)
		if err != nil {
			return fmt.Errorf("seq %d: %w", m.Seq, err)
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return out
}

// countEvents counts recorded events of a type (on one account when account != "-").
func countEvents(t *testing.T, st *eventstore.Store, account, typ string) int {
	t.Helper()
	n := 0
	for _, c := range commits(t, st) {
		if account != "-" && c.Account != account {
			continue
		}
		for _, cr := range c.Commands {
			for _, ev := range cr.Events {
				if ev.Type() == typ {
					n++
				}
			}
		}
	}
	return n
}

// fold folds the whole stream into fresh books.
func fold(t *testing.T, st *eventstore.Store) *domain.Books {
	t.Helper()
	books, _, err := projections.Fold(ctxT(t), st, time.Time{})
	if err != nil {
		t.Fatalf("Fold: %v", err)
	}
	return books
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func ageing(books *domain.Books, asOf string) projections.AgeingReport {
	return projections.Ageing(books, domain.MustDate(asOf), projections.BasisDue, projections.DefaultBuckets())
}

// reportsOf renders ageing (due and issue basis), bad-debt and fund reports of books
// as of each date into one JSON document.
func reportsOf(t *testing.T, books *domain.Books, dates ...string) string {
	t.Helper()
	var buf bytes.Buffer
	for _, d := range dates {
		on := domain.MustDate(d)
		buf.WriteString(asJSON(t, projections.Ageing(books, on, projections.BasisDue, projections.DefaultBuckets())))
		buf.WriteByte('\n')
		buf.WriteString(asJSON(t, projections.Ageing(books, on, projections.BasisIssue, projections.DefaultBuckets())))
		buf.WriteByte('\n')
		buf.WriteString(asJSON(t, projections.BadDebt(books, on)))
		buf.WriteByte('\n')
		buf.WriteString(asJSON(t, projections.Funds(books, on)))
		buf.WriteByte('\n')
	}
	return buf.String()
}

// reports folds the stream and renders its reports.
func reports(t *testing.T, st *eventstore.Store, dates ...string) string {
	t.Helper()
	return reportsOf(t, fold(t, st), dates...)
}

// serviceReports renders the reports of a service's own (write-side) books.
func serviceReports(t *testing.T, svc *ledger.Service, dates ...string) string {
	t.Helper()
	var out string
	svc.View(func(b *domain.Books) { out = reportsOf(t, b, dates...) })
	return out
}

// customerAgeing finds a customer's ageing row in a currency (ok false: not listed).
func customerAgeing(rep projections.AgeingReport, currency, customer string) (projections.AgeingRow, bool) {
	for _, c := range rep.Currencies {
		if c.Currency != currency {
			continue
		}
		for _, r := range c.Customers {
			if r.Customer == customer {
				return r, true
			}
		}
	}
	return projections.AgeingRow{}, false
}

// bucket reads one bucket of an ageing row.
func bucket(r projections.AgeingRow, name string) string {
	for i, k := range r.Buckets.Keys {
		if k == name {
			return r.Buckets.Values[i]
		}
	}
	return "<no bucket " + name + ">"
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------------
// A store that fails on purpose.

// errInjected is the failure the flakyStore injects.
var errInjected = errors.New("injected failure: the process crashed here")

// flakyStore delegates to a real store but fails chosen commit Appends, to simulate
// a crash between two writes of one command. Claims go straight to the real store.
type flakyStore struct {
	ledger.Store
	// failAt is the 1-based number of the Append to fail (0: never).
	failAt int
	// landed: the failed Append is still written (the ack is lost) when true;
	// nothing is written (a crash before the write) when false.
	landed bool

	mu       sync.Mutex
	n        int
	subjects []string // subjects of every Append attempted, in order
}

func (f *flakyStore) Append(ctx context.Context, subject, msgID string, expected uint64, data []byte) (uint64, bool, error) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.subjects = append(f.subjects, subject)
	f.mu.Unlock()
	if n != f.failAt {
		return f.Store.Append(ctx, subject, msgID, expected, data)
	}
	if f.landed {
		if _, _, err := f.Store.Append(ctx, subject, msgID, expected, data); err != nil {
			return 0, false, err
		}
	}
	return 0, false, fmt.Errorf("append to %s: %w", subject, errInjected)
}

func (f *flakyStore) attempted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.subjects...)
}

// ---------------------------------------------------------------------------------
// A realistic ledger.

// genConfig sizes a generated ledger.
type genConfig struct {
	Seed      uint64
	Customers int
	Invoices  int
}

// money formats minor units with a currency's digits.
func money(minor int64, digits int) string {
	if digits == 0 {
		return fmt.Sprintf("%d", minor)
	}
	p := int64(1)
	for range digits {
		p *= 10
	}
	return fmt.Sprintf("%d.%0*d", minor/p, digits, minor%p)
}

type genInvoice struct {
	id, customer, currency string
	digits                 int
	issued                 domain.Date
	due                    domain.Date
	amount                 int64 // minor units
	open                   int64 // outstanding the generator knows of (before FIFO money)
	touched                bool  // explicitly paid, disputed, extended or written off
}

// genLedger writes a realistic, valid ledger as Appendix A lines: customers in every
// grade, invoices in CNY, USD and JPY, linked and unlinked credit notes, payments with
// and without explicit allocations, extensions, disputes, forced write-offs and a
// recovery, price-protection agreements, confirmed and rejected violations (a customer
// and an outside reporter) and two quarter closes. Every line is meant to be recorded.
func genLedger(cfg genConfig) []string {
	r := rand.New(rand.NewPCG(cfg.Seed, 7))
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	day := func(d domain.Date) string { return d.String() }
	start := domain.MustDate("2026-01-05")

	type cust struct {
		id        string
		grade     int
		terms     int
		fund      bool
		registers domain.Date
	}
	custs := make([]cust, cfg.Customers)
	for i := range custs {
		c := cust{id: fmt.Sprintf("C%03d", i+1), grade: 1 + i%5, terms: []int{0, 30, 45, 60}[i%4],
			fund: i < cfg.Customers/5, registers: domain.MustDate("2026-01-02")}
		custs[i] = c
		add(`{"cmd":"RegisterCustomer","id":"reg-%s","on":"%s","customer":"%s","name":"Dealer %d","grade":%d,"terms_days":%d,"collector":"%s","email":"ap%d@dealer.example"}`,
			c.id, day(c.registers), c.id, i+1, c.grade, c.terms, []string{"wang", "li", "zhao"}[i%3], i+1)
	}
	for i, c := range custs {
		if c.fund {
			add(`{"cmd":"AgreePriceProtection","id":"agree-%s","on":"2026-01-03","customer":"%s","fund_rate":"%s"}`,
				c.id, c.id, []string{"0.02", "0.035", "0.0125"}[i%3])
		}
	}
	// A re-assessment: C002 drops from grade 2 to grade 4 in April.
	if cfg.Customers >= 2 {
		add(`{"cmd":"AssessCredit","id":"assess-C002","on":"2026-04-01","customer":"C002","key":{"annual_sales":"A","monthly_sales":"C","payment_method":"B","payment_record":"A"},"other":["A"]}`)
	}

	currencies := []struct {
		code   string
		digits int
		lo, hi int64
	}{{"CNY", 2, 50000, 5000000}, {"USD", 2, 10000, 800000}, {"JPY", 0, 5000, 900000}}
	invs := make([]*genInvoice, cfg.Invoices)
	for i := range invs {
		c := custs[r.IntN(len(custs))]
		k := r.IntN(10)
		cur := currencies[0]
		if k >= 6 && k < 9 {
			cur = currencies[1]
		} else if k == 9 {
			cur = currencies[2]
		}
		issued := start.AddDays(r.IntN(180))
		inv := &genInvoice{id: fmt.Sprintf("INV-%04d", i+1), customer: c.id, currency: cur.code, digits: cur.digits,
			issued: issued, amount: cur.lo + r.Int64N(cur.hi-cur.lo)}
		inv.open = inv.amount
		inv.due = issued.AddDays(c.terms)
		due := ""
		if r.IntN(5) == 0 { // an explicit due date
			inv.due = issued.AddDays(10 + r.IntN(80))
			due = fmt.Sprintf(`,"due":"%s"`, day(inv.due))
		}
		invs[i] = inv
		add(`{"cmd":"IssueInvoice","id":"issue-%s","on":"%s","invoice":"%s","customer":"%s","amount":"%s","currency":"%s"%s}`,
			inv.id, day(inv.issued), inv.id, inv.customer, money(inv.amount, inv.digits), inv.currency, due)
	}
	gradeOf := map[string]int{}
	for _, c := range custs {
		gradeOf[c.id] = c.grade
	}
	// Linked credit notes: up to 10% of the invoice, dated after its issue.
	cn := 0
	for _, inv := range invs {
		if r.IntN(10) != 0 {
			continue
		}
		cn++
		amt := 1 + r.Int64N(inv.amount/10)
		inv.open -= amt
		add(`{"cmd":"IssueCreditNote","id":"cn-%d","on":"%s","credit_note":"CN-%04d","customer":"%s","amount":"%s","currency":"%s","invoice":"%s"}`,
			cn, day(inv.issued.AddDays(r.IntN(20))), cn, inv.customer, money(amt, inv.digits), inv.currency, inv.id)
	}
	// Extensions for grade 1 and 2 customers (C002 only before its April downgrade),
	// disputes, and forced write-offs; each on an invoice not touched otherwise.
	ext, disp, wo := 0, 0, 0
	var writtenOff []*genInvoice
	for _, inv := range invs {
		if inv.touched || inv.open <= 0 {
			continue
		}
		switch g := gradeOf[inv.customer]; {
		case (g == 1 || g == 2) && ext < 25 && inv.issued < domain.MustDate("2026-03-25"):
			ext++
			inv.touched = true
			on := inv.issued.AddDays(1)
			add(`{"cmd":"GrantExtension","id":"ext-%d","on":"%s","invoice":"%s","due":"%s"}`, ext, day(on), inv.id, day(inv.due.AddDays(30)))
			if ext%3 == 0 { // a second extension
				add(`{"cmd":"GrantExtension","id":"ext-%d-b","on":"%s","invoice":"%s","due":"%s"}`, ext, day(on.AddDays(3)), inv.id, day(inv.due.AddDays(75)))
			}
		case g >= 3 && disp < 15 && r.IntN(3) == 0:
			disp++
			inv.touched = true
			add(`{"cmd":"OpenDispute","id":"disp-%d","on":"%s","invoice":"%s","reason":"wrong quantity"}`, disp, day(inv.issued.AddDays(7)), inv.id)
			if disp%2 == 0 {
				add(`{"cmd":"ResolveDispute","id":"disp-%d-r","on":"%s","invoice":"%s"}`, disp, day(inv.issued.AddDays(40)), inv.id)
			}
		case g >= 4 && wo < 10 && r.IntN(2) == 0:
			wo++
			inv.touched = true
			writtenOff = append(writtenOff, inv)
			add(`{"cmd":"WriteOff","id":"wo-%d","on":"%s","invoice":"%s","reason":"%s","force":true}`,
				wo, day(inv.issued.AddDays(20+r.IntN(60))), inv.id, []string{"bankruptcy", "wilful_default", "uncollectable", "other"}[wo%4])
		}
	}
	// Payments with explicit allocations: part of one invoice, sometimes two invoices.
	// A payment with money beyond its lines (which goes FIFO, or to credit) comes after
	// every other explicit payment, at most one per customer, so that its FIFO part
	// cannot shrink an invoice a later explicit line is sized against.
	pay := 0
	var deferred []string
	withExtra := map[string]bool{}
	for i, inv := range invs {
		if inv.touched || r.IntN(4) != 0 {
			continue
		}
		pay++
		amt := 1 + r.Int64N(inv.open/2)
		inv.open -= amt
		inv.touched = true
		allocs := fmt.Sprintf(`{"invoice":"%s","amount":"%s"}`, inv.id, money(amt, inv.digits))
		total := amt
		on := inv.issued
		// A second line to another invoice of the same customer and currency.
		for _, other := range invs[i+1:] {
			if other.customer == inv.customer && other.currency == inv.currency && other.open > 10 && !other.touched {
				a2 := 1 + r.Int64N(other.open/3)
				other.open -= a2
				other.touched = true
				allocs += fmt.Sprintf(`,{"invoice":"%s","amount":"%s"}`, other.id, money(a2, other.digits))
				total += a2
				if other.issued > on {
					on = other.issued
				}
				break
			}
		}
		line := func(extra int64) string {
			return fmt.Sprintf(`{"cmd":"RecordPayment","id":"pay-%d","on":"%s","payment":"PAY-%04d","customer":"%s","amount":"%s","currency":"%s","allocations":[%s]}`,
				pay, day(on.AddDays(5+r.IntN(60))), pay, inv.customer, money(total+extra, inv.digits), inv.currency, allocs)
		}
		if !withExtra[inv.customer] && r.IntN(3) == 0 {
			withExtra[inv.customer] = true
			deferred = append(deferred, line(1+r.Int64N(inv.amount/4)))
			continue
		}
		lines = append(lines, line(0))
	}
	lines = append(lines, deferred...)
	// A recovery on the first write-off: part of what was written off.
	if len(writtenOff) > 0 {
		w := writtenOff[0]
		pay++
		amt := 1 + w.open/3
		add(`{"cmd":"RecordPayment","id":"pay-%d","on":"%s","payment":"PAY-%04d","customer":"%s","amount":"%s","currency":"%s","allocations":[{"invoice":"%s","amount":"%s"}]}`,
			pay, day(w.issued.AddDays(120)), pay, w.customer, money(amt, w.digits), w.currency, w.id, money(amt, w.digits))
	}
	// Payments without allocations (FIFO), some back-dated, some leaving credit.
	for i := 0; i < cfg.Invoices/3; i++ {
		c := custs[r.IntN(len(custs))]
		cur := currencies[r.IntN(2)]
		if i%7 == 0 {
			cur = currencies[2]
		}
		pay++
		add(`{"cmd":"RecordPayment","id":"pay-%d","on":"%s","payment":"PAY-%04d","customer":"%s","amount":"%s","currency":"%s"}`,
			pay, day(start.AddDays(r.IntN(230))), pay, c.id, money(cur.lo+r.Int64N(cur.hi), cur.digits), cur.code)
	}
	// Unlinked credit notes (allocated like a payment).
	for i := 0; i < cfg.Customers/3; i++ {
		c := custs[r.IntN(len(custs))]
		cn++
		add(`{"cmd":"IssueCreditNote","id":"cn-%d","on":"%s","credit_note":"CN-%04d","customer":"%s","amount":"%s","currency":"CNY"}`,
			cn, day(start.AddDays(r.IntN(200))), cn, c.id, money(1000+r.Int64N(200000), 2))
	}
	// Violations: C001 (a fund customer) reported by customer C002 and confirmed; C002
	// reported by an outside person and rejected; C003 reported by an outside person and
	// confirmed in Q2.
	if cfg.Customers >= 5 {
		add(`{"cmd":"ReportViolation","id":"rv-1","on":"2026-03-01","violation":"V-1","customer":"C001","reporter":"C005","occurred_on":"2026-02-10"}`)
		add(`{"cmd":"ConfirmViolation","id":"cv-1","on":"2026-03-15","violation":"V-1"}`)
		add(`{"cmd":"ReportViolation","id":"rv-2","on":"2026-03-02","violation":"V-2","customer":"C002","reporter_name":"Zhang San","occurred_on":"2026-03-01"}`)
		add(`{"cmd":"RejectViolation","id":"rj-2","on":"2026-03-20","violation":"V-2"}`)
		add(`{"cmd":"ReportViolation","id":"rv-3","on":"2026-05-02","violation":"V-3","customer":"C003","reporter_name":"Li Si","occurred_on":"2026-04-20"}`)
		add(`{"cmd":"ConfirmViolation","id":"cv-3","on":"2026-05-20","violation":"V-3"}`)
	}
	add(`{"cmd":"RecordAction","id":"act-1","on":"2026-02-20","customer":"C001","action":"call","outcome":"reached","note":"will pay"}`)
	add(`{"cmd":"CloseQuarter","id":"close-2026Q1","on":"2026-04-01","quarter":"2026Q1"}`)
	add(`{"cmd":"CloseQuarter","id":"close-2026Q2","on":"2026-07-01","quarter":"2026Q2"}`)
	return lines
}

// reportDates are the dates the restart and idempotency tests compare reports on.
var reportDates = []string{"2026-03-31", "2026-06-30", "2027-01-31"}
