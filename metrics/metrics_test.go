package metrics

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/collector"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/projections"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
)

// ledgerLines is a small ledger whose figures are worked out by hand below: two
// currencies, a linked credit note, explicit and FIFO payments, unapplied money, an
// extension, a forced write-off, a rebated, a forfeited and an open fund, and an
// invoice that turns doubtful on 2026-08-05.
const ledgerLines = `
{"cmd":"RegisterCustomer","id":"reg-c1","on":"2026-01-02","customer":"C1","name":"One","grade":1,"terms_days":30,"collector":"li.wei","email":"ap@c1.example"}
{"cmd":"RegisterCustomer","id":"reg-c2","on":"2026-01-02","customer":"C2","name":"Two","grade":3,"terms_days":30,"collector":"zhang.min"}
{"cmd":"RegisterCustomer","id":"reg-c3","on":"2026-01-02","customer":"C3","name":"Three","grade":2,"terms_days":60,"collector":"li.wei"}
{"cmd":"RegisterCustomer","id":"reg-c4","on":"2026-01-02","customer":"C4","name":"Four","grade":2,"terms_days":30,"collector":"li.wei"}
{"cmd":"AgreePriceProtection","id":"ppa-c1","on":"2026-01-02","customer":"C1","fund_rate":"0.02"}
{"cmd":"IssueInvoice","id":"i1","on":"2026-01-05","invoice":"INV-1","customer":"C2","amount":"1000.00","currency":"CNY"}
{"cmd":"IssueInvoice","id":"i4","on":"2026-01-10","invoice":"INV-4","customer":"C1","amount":"500.00","currency":"CNY"}
{"cmd":"CloseQuarter","id":"close-q1","on":"2026-04-01","quarter":"2026Q1"}
{"cmd":"IssueInvoice","id":"i5","on":"2026-04-10","invoice":"INV-5","customer":"C1","amount":"1000.00","currency":"CNY"}
{"cmd":"RecordPayment","id":"p2","on":"2026-05-05","payment":"PAY-2","customer":"C1","amount":"1000.00","currency":"CNY","allocations":[{"invoice":"INV-5","amount":"1000.00"}]}
{"cmd":"ReportViolation","id":"v1","on":"2026-05-20","violation":"V-1","customer":"C1","reporter_name":"Zhang San","occurred_on":"2026-05-15"}
{"cmd":"ConfirmViolation","id":"v1-ok","on":"2026-05-25","violation":"V-1"}
{"cmd":"WriteOff","id":"wo4","on":"2026-06-01","invoice":"INV-4","reason":"uncollectable","force":true}
{"cmd":"IssueInvoice","id":"i6","on":"2026-06-01","invoice":"INV-6","customer":"C3","amount":"700.00","currency":"USD"}
{"cmd":"CloseQuarter","id":"close-q2","on":"2026-07-01","quarter":"2026Q2"}
{"cmd":"IssueInvoice","id":"i2","on":"2026-07-01","invoice":"INV-2","customer":"C2","amount":"2000.00","currency":"CNY"}
{"cmd":"GrantExtension","id":"x6","on":"2026-07-20","invoice":"INV-6","due":"2026-08-30"}
{"cmd":"RecordPayment","id":"p1","on":"2026-08-10","payment":"PAY-1","customer":"C2","amount":"500.00","currency":"CNY","allocations":[{"invoice":"INV-2","amount":"500.00"}]}
{"cmd":"IssueCreditNote","id":"cn1","on":"2026-08-15","credit_note":"CN-1","customer":"C2","amount":"100.00","currency":"CNY","invoice":"INV-2"}
{"cmd":"IssueInvoice","id":"i3","on":"2026-08-20","invoice":"INV-3","customer":"C1","amount":"3000.00","currency":"CNY"}
{"cmd":"IssueInvoice","id":"i7","on":"2026-09-01","invoice":"INV-7","customer":"C3","amount":"400.00","currency":"USD"}
{"cmd":"RecordPayment","id":"p4","on":"2026-09-05","payment":"PAY-4","customer":"C4","amount":"200.00","currency":"USD"}
{"cmd":"RecordPayment","id":"p3","on":"2026-09-10","payment":"PAY-3","customer":"C3","amount":"250.00","currency":"USD"}
`

var testStats = collector.Stats{
	Delivered: map[string]uint64{collector.ChannelWebhook: 7, collector.ChannelEmail: 2},
	Failed:    map[string]uint64{collector.ChannelWebhook: 1},
	NoContact: 3, Retries: 4, DeadLettered: 1, QueueErrors: 2,
}

func TestCollectorOverLiveLedger(t *testing.T) {
	e := newEnv(t)
	e.record(strings.Split(ledgerLines, "\n")...)
	e.sync()

	var today day
	today.set("2026-09-15")
	c := NewCollector(e.live, domain.DefaultPolicy(), today.get, e.st.LastSeq, func() collector.Stats { return testStats })
	url := serve(t, c)
	x := scrape(t, url)

	// As of 2026-09-15, due basis:
	//   INV-1 C2 1000.00 due 02-04, 223 days            -> 181+, doubtful since 08-05
	//   INV-2 C2 2000.00 - 500.00 paid - 100.00 credited -> 1400.00, due 07-31, 46 days
	//   INV-3 C1 3000.00 due 09-19                      -> current
	//   INV-4 C1 500.00 - 10.00 Q1 rebate, 490.00 written off 06-01 -> nothing
	//   INV-5 C1 1000.00 paid in full                   -> nothing
	//   INV-6 C3 700.00 - 250.00 (FIFO), due extended to 08-30, 16 days -> 1-30
	//   INV-7 C3 400.00 due 10-31                       -> current
	//   PAY-4 C4 200.00 USD with nothing to pay         -> unapplied
	//   C1 funds at 2%: Q1 10.00 rebated, Q2 20.00 forfeited (V-1), Q3 60.00 open.
	x.want(t, map[string]float64{
		`ar_outstanding{bucket="current",currency="CNY"}`: 3000,
		`ar_outstanding{bucket="1-30",currency="CNY"}`:    0,
		`ar_outstanding{bucket="31-60",currency="CNY"}`:   1400,
		`ar_outstanding{bucket="61-90",currency="CNY"}`:   0,
		`ar_outstanding{bucket="91-180",currency="CNY"}`:  0,
		`ar_outstanding{bucket="181+",currency="CNY"}`:    1000,
		`ar_outstanding{bucket="current",currency="USD"}`: 400,
		`ar_outstanding{bucket="1-30",currency="USD"}`:    450,
		`ar_outstanding{bucket="31-60",currency="USD"}`:   0,
		`ar_outstanding{bucket="61-90",currency="USD"}`:   0,
		`ar_outstanding{bucket="91-180",currency="USD"}`:  0,
		`ar_outstanding{bucket="181+",currency="USD"}`:    0,

		`ar_overdue{currency="CNY"}`:          2400,
		`ar_overdue{currency="USD"}`:          450,
		`ar_doubtful{currency="CNY"}`:         1000,
		`ar_doubtful{currency="USD"}`:         0,
		`ar_doubtful_invoices`:                1,
		`ar_written_off{currency="CNY"}`:      490,
		`ar_written_off{currency="USD"}`:      0,
		`ar_unapplied_credit{currency="CNY"}`: 0,
		`ar_unapplied_credit{currency="USD"}`: 200,
		`ar_invoices_open{currency="CNY"}`:    3,
		`ar_invoices_open{currency="USD"}`:    2,

		`ar_fund_balance{currency="CNY",status="open"}`:      60,
		`ar_fund_balance{currency="CNY",status="rebated"}`:   10,
		`ar_fund_balance{currency="CNY",status="forfeited"}`: 20,

		// li.wei: C3's +7 call (09-06, a Sunday, moved to 09-07) is pending; C1 and
		// C4 have no manual step due. zhang.min: C2's long-overdue INV-1.
		`ar_worklist_contacts{collector="li.wei"}`:    1,
		`ar_worklist_contacts{collector="zhang.min"}`: 1,

		`ar_reconciliation_difference{currency="CNY"}`: 0,
		`ar_reconciliation_difference{currency="USD"}`: 0,
		`ar_projection_lag_events`:                     0,
		`ar_projection_lag_seconds`:                    0,
		`ar_projection_failed`:                         0,

		`ar_reminders_total{channel="webhook",outcome="delivered"}`: 7,
		`ar_reminders_total{channel="webhook",outcome="failed"}`:    1,
		`ar_reminders_total{channel="email",outcome="delivered"}`:   2,
		`ar_reminders_total{channel="email",outcome="failed"}`:      0,
		`ar_reminders_total{channel="manual",outcome="no_contact"}`: 3,
		`ar_reminder_retries_total`:                                 4,
		`ar_reminder_dead_letters_total`:                            1,
		`ar_reminder_errors_total{kind="ledger"}`:                   0,
		`ar_reminder_errors_total{kind="queue"}`:                    2,
	})
	if n := len(x.family("ar_outstanding")); n != 12 {
		t.Errorf("ar_outstanding has %d series, want 12 (2 currencies x 6 buckets)", n)
	}
	if n := len(x.family("ar_metrics_scrape_errors_total")); n != 0 {
		t.Errorf("scrape errors reported: %v", x.family("ar_metrics_scrape_errors_total"))
	}
	for name, typ := range map[string]string{"ar_outstanding": "gauge", "ar_reminders_total": "counter",
		"ar_projection_lag_seconds": "gauge", "ar_reconciliation_difference": "gauge"} {
		if x.types[name] != typ {
			t.Errorf("%s has TYPE %q, want %q", name, x.types[name], typ)
		}
	}

	// The worklist sizes are those of the policy's own worklist.
	e.live.View(func(b *domain.Books) {
		for _, coll := range []string{"li.wei", "zhang.min"} {
			_, contacts := domain.DefaultPolicy().Worklist(b.Accounts(), coll, today.get(), domain.Calendar{})
			if got := x.values[`ar_worklist_contacts{collector="`+coll+`"}`]; got != float64(len(contacts)) {
				t.Errorf("worklist %s: metric %v, policy %d contacts", coll, got, len(contacts))
			}
		}
	})

	// The six-month rule: INV-1 is due 2026-02-04, doubtful from 2026-08-05.
	// On 08-04 it is already 181 days overdue, but not yet doubtful.
	today.set("2026-08-04")
	scrape(t, url).want(t, map[string]float64{
		`ar_doubtful{currency="CNY"}`:                  0,
		`ar_doubtful_invoices`:                         0,
		`ar_outstanding{bucket="181+",currency="CNY"}`: 1000,
		`ar_reconciliation_difference{currency="CNY"}`: 0,
	})
	today.set("2026-08-05")
	scrape(t, url).want(t, map[string]float64{
		`ar_doubtful{currency="CNY"}`:                  1000,
		`ar_doubtful_invoices`:                         1,
		`ar_outstanding{bucket="181+",currency="CNY"}`: 1000,
		`ar_reconciliation_difference{currency="CNY"}`: 0,
	})

	// A new command is visible at the next scrape once folded (the cached snapshot of
	// the same day is not reused after the projection moved).
	e.record(`{"cmd":"RecordPayment","id":"p5","on":"2026-08-05","payment":"PAY-5","customer":"C2","amount":"1000.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"1000.00"}]}`)
	e.sync()
	scrape(t, url).want(t, map[string]float64{
		`ar_doubtful{currency="CNY"}`:                  0,
		`ar_doubtful_invoices`:                         0,
		`ar_reconciliation_difference{currency="CNY"}`: 0,
		`ar_projection_lag_events`:                     0,
	})
}

func TestProjectionLag(t *testing.T) {
	e := newEnv(t)
	e.record(strings.Split(ledgerLines, "\n")[:8]...) // customers, INV-1, INV-4
	e.sync()
	seq, at, err := e.live.Position()
	if err != nil || at.IsZero() {
		t.Fatalf("Position = %d, %v, %v", seq, at, err)
	}

	// Five messages stored that the projection has not folded, the last folded one
	// stored 42.5 s ago.
	behind := func(context.Context) (uint64, error) { return seq + 5, nil }
	c := NewCollector(e.live, nil, func() domain.Date { return domain.MustDate("2026-02-01") }, behind, nil)
	c.now = func() time.Time { return at.Add(42500 * time.Millisecond) }
	x := scrape(t, serve(t, c))
	x.want(t, map[string]float64{`ar_projection_lag_events`: 5, `ar_projection_lag_seconds`: 42.5})
	if n := len(x.family("ar_reminders_total")); n != 0 {
		t.Errorf("reminder metrics without a worker: %v", x.family("ar_reminders_total"))
	}

	// The stream cannot be read: the lag is left out and the error counted; the rest
	// of the scrape still works.
	failing := NewCollector(e.live, nil, func() domain.Date { return domain.MustDate("2026-02-01") },
		func(context.Context) (uint64, error) { return 0, context.DeadlineExceeded }, nil)
	x = scrape(t, serve(t, failing))
	if _, ok := x.values["ar_projection_lag_seconds"]; ok {
		t.Errorf("lag reported although the stream's last sequence is unknown")
	}
	x.want(t, map[string]float64{
		`ar_metrics_scrape_errors_total{source="stream_last_seq"}`: 1,
		`ar_outstanding{bucket="current",currency="CNY"}`:          1500,
	})
}

// The initial fold does not record when its last message was stored: while behind at
// that position the lag counts from the first scrape that saw it.
func TestLagWithoutMessageTime(t *testing.T) {
	c := &Collector{}
	t0 := time.Date(2026, 9, 15, 10, 0, 0, 0, time.UTC)
	if n, s := c.lag(10, 10, time.Time{}, t0); n != 0 || s != 0 {
		t.Fatalf("caught up: lag %d, %v s", n, s)
	}
	if n, s := c.lag(12, 10, time.Time{}, t0); n != 2 || s != 0 {
		t.Fatalf("first seen behind: lag %d, %v s", n, s)
	}
	if n, s := c.lag(13, 10, time.Time{}, t0.Add(400*time.Second)); n != 3 || s != 400 {
		t.Fatalf("still behind: lag %d, %v s, want 3, 400", n, s)
	}
	if _, s := c.lag(13, 11, time.Time{}, t0.Add(500*time.Second)); s != 0 {
		t.Fatalf("moved on: %v s, want 0 (counts anew)", s)
	}
	// Clock skew never gives a negative lag.
	if _, s := c.lag(13, 11, t0.Add(time.Minute), t0); s != 0 {
		t.Fatalf("skew: %v s", s)
	}
}

// The reconciliation on the example ledger (examples/ledger.jsonl: payments FIFO and
// explicit, a dispute, an extension, a linked credit note, a quarter close with a
// forfeit and bounty, a write-off and a recovery) is 0 on every day, and a
// deliberately inconsistent ledger balance shows as a non-zero difference.
func TestReconciliation(t *testing.T) {
	data, err := os.ReadFile("../examples/ledger.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.record(strings.Split(string(data), "\n")...)
	e.sync()

	days := []string{"2026-01-01", "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-01", "2026-06-30",
		"2026-08-10", "2026-09-15", "2026-12-31", "2027-06-30"}
	var books *domain.Books
	e.live.View(func(b *domain.Books) { books = b }) // read below only: nothing folds any more
	for _, d := range days {
		day := domain.MustDate(d)
		s := compute(books, domain.DefaultPolicy(), day, projections.DefaultBuckets())
		if len(s.currencies) == 0 && d != "2026-01-01" {
			t.Fatalf("%s: no currencies", d)
		}
		for code, diff := range reconciliationDifferences(s.ageingTotal, s.ledgerBalance) {
			if !diff.IsZero() {
				t.Errorf("%s %s: ageing %s, ledger %s, difference %s", d, code, s.ageingTotal[code], s.ledgerBalance[code], diff)
			}
		}
	}

	// Through HTTP on the day of the recovery: CNY and USD both reconcile.
	var today day
	today.set("2026-09-15")
	x := scrape(t, serve(t, NewCollector(e.live, nil, today.get, e.st.LastSeq, nil)))
	x.want(t, map[string]float64{
		`ar_reconciliation_difference{currency="CNY"}`: 0,
		`ar_reconciliation_difference{currency="USD"}`: 0,
		`ar_projection_lag_events`:                     0,
	})
	if x.values[`ar_written_off{currency="CNY"}`] <= 0 || x.values[`ar_outstanding{bucket="current",currency="CNY"}`] < 0 {
		t.Errorf("unexpected figures: %v", x.values)
	}

	// The seam: a ledger balance one cent off, or a currency only one side knows.
	s := compute(books, domain.DefaultPolicy(), domain.MustDate("2026-09-15"), projections.DefaultBuckets())
	cent := decimal.RequireFromString("0.01")
	ledgerBal := map[string]decimal.Decimal{}
	for k, v := range s.ledgerBalance {
		ledgerBal[k] = v
	}
	ledgerBal["CNY"] = ledgerBal["CNY"].Sub(cent)
	ledgerBal["EUR"] = decimal.RequireFromString("5.00")
	diff := reconciliationDifferences(s.ageingTotal, ledgerBal)
	if !diff["CNY"].Equal(cent) || !diff["EUR"].Equal(decimal.RequireFromString("-5")) || !diff["USD"].IsZero() {
		t.Errorf("differences %v, want CNY 0.01, EUR -5, USD 0", diff)
	}

	// ... and it reaches the exposition.
	s.ledgerBalance = ledgerBal
	s.currencies = append(s.currencies, "EUR")
	x = scrape(t, serve(t, snapshotCollector{s}))
	x.want(t, map[string]float64{
		`ar_reconciliation_difference{currency="CNY"}`: 0.01,
		`ar_reconciliation_difference{currency="EUR"}`: -5,
		`ar_reconciliation_difference{currency="USD"}`: 0,
	})
}

// snapshotCollector exposes a fixed snapshot.
type snapshotCollector struct{ s *snapshot }

func (c snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range newDescs().all() {
		ch <- d
	}
}

func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	d := newDescs()
	c.s.emit(ch, &d)
}
