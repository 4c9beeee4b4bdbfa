package projections

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// kpiBooks is a small ledger whose KPIs are computed by hand in TestKPIHandComputed.
//
// Customer A (collector ann), CNY:
//
//	A1 issued 2026-01-10, 1000.00, due 2026-01-25; paid 400.00 on 01-25 and 600.00 on 02-10
//	A2 issued 2026-01-20,  500.00, due 2026-02-19; unpaid
//	A3 issued 2026-02-15,  250.00, due 2026-03-17; unpaid
//	reminders: delivered 01-28 (A1), delivered 02-05 (A2), failed 02-06 (A2, not counted)
//
// Customer B (collector bob):
//
//	B1 issued 2025-06-01, 300.00 CNY, due 2025-07-01 (doubtful from 2026-01-02); unpaid
//	B2 issued 2026-02-01, 200.00 CNY, due 2026-03-03; unpaid
//	B3 issued 2026-01-15, 100.00 USD, due 2026-01-20; paid 30.00 on 02-20
//	a credit note of 50.00 CNY linked to B2 on 02-02: reduces receivables, is no collection
func kpiBooks(t *testing.T) *domain.Books {
	t.Helper()
	cny, usd := domain.MustCurrency("CNY"), domain.MustCurrency("USD")
	d := domain.MustDate
	dec := decimal.RequireFromString
	b := domain.NewBooks()
	n := 0
	rec := func(customer string, events ...domain.Event) {
		n++
		b.ApplyCommand(customer, "c"+strconv.Itoa(n), "h", events)
	}
	inv := func(customer, id, on, due, amount string, c domain.Currency) {
		rec(customer, domain.InvoiceIssued{On: d(on), Invoice: id, Amount: dec(amount), Currency: c, Due: d(due)})
	}
	pay := func(customer, id, on, invoice, amount, remaining string, c domain.Currency) {
		rec(customer, domain.PaymentRecorded{On: d(on), Payment: id, Amount: dec(amount), Currency: c, Unapplied: decimal.Zero,
			Allocations: []domain.Allocation{{Invoice: invoice, Amount: dec(amount), Explicit: true, Remaining: dec(remaining)}}})
	}
	remind := func(customer, step, on, invoice, outcome string) {
		rec(customer, domain.ReminderSent{On: d(on), Step: step, Invoice: invoice, Action: domain.ActReminder,
			StepDate: d(on), Channel: "email", Outcome: outcome})
	}
	rec("A", domain.CustomerRegistered{On: d("2025-01-01"), Customer: "A", Name: "A", Grade: 2, TermsDays: 30, Collector: "ann"})
	rec("B", domain.CustomerRegistered{On: d("2025-01-01"), Customer: "B", Name: "B", Grade: 3, TermsDays: 30, Collector: "bob"})
	inv("A", "A1", "2026-01-10", "2026-01-25", "1000.00", cny)
	inv("A", "A2", "2026-01-20", "2026-02-19", "500.00", cny)
	inv("A", "A3", "2026-02-15", "2026-03-17", "250.00", cny)
	pay("A", "PA1", "2026-01-25", "A1", "400.00", "600.00", cny)
	pay("A", "PA2", "2026-02-10", "A1", "600.00", "0.00", cny)
	remind("A", "s1", "2026-01-28", "A1", "delivered")
	remind("A", "s2", "2026-02-05", "A2", "delivered")
	remind("A", "s3", "2026-02-06", "A2", "failed")
	inv("B", "B1", "2025-06-01", "2025-07-01", "300.00", cny)
	inv("B", "B2", "2026-02-01", "2026-03-03", "200.00", cny)
	inv("B", "B3", "2026-01-15", "2026-01-20", "100.00", usd)
	pay("B", "PB1", "2026-02-20", "B3", "30.00", "70.00", usd)
	rec("B", domain.CreditNoteIssued{On: d("2026-02-02"), CreditNote: "CN1", Amount: dec("50.00"), Currency: cny, Invoice: "B2"})
	return b
}

func s(v string) *string { return &v }

func TestKPIHandComputed(t *testing.T) {
	rep := KPI(kpiBooks(t), domain.MustDate("2026-01-01"), domain.MustDate("2026-02-28"))
	row := func(cur, sales, recv, coll, due, over, doubt string, rem int, dso, cr, os, ds, rp *string) KPICurrency {
		return KPICurrency{Currency: cur, CreditSales: sales, EndingReceivables: recv, Collected: coll, FellDue: due,
			Overdue: over, Doubtful: doubt, Reminders: rem, DSO: dso, CollectionRate: cr, OverdueShare: os,
			DoubtfulShare: ds, RemindersPer1000: rp}
	}
	want := KPIReport{From: "2026-01-01", To: "2026-02-28", Months: []KPIMonth{
		{Month: "2026-01", From: "2026-01-01", To: "2026-01-31", Days: 31,
			Collectors: []KPICollector{
				// ann: sales 1500; receivables 600 + 500 = 1100; A1 overdue (due 01-25) 600;
				// fell due A1 1000; collected 400; one reminder.
				// DSO 1100 × 31 / 1500 = 22.7333…; 400/1000; 600/1100 = 0.54545…; 1 × 1000 / 400.
				{Collector: "ann", Currencies: []KPICurrency{
					row("CNY", "1500.00", "1100.00", "400.00", "1000.00", "600.00", "0.00", 1,
						s("22.7333"), s("0.4000"), s("0.5455"), s("0.0000"), s("2.5000"))}},
				// bob CNY: only B1, overdue and doubtful (since 2026-01-02); nothing sold,
				// due or collected. bob USD: B3 sold, due and overdue: DSO 100 × 31 / 100.
				{Collector: "bob", Currencies: []KPICurrency{
					row("CNY", "0.00", "300.00", "0.00", "0.00", "300.00", "300.00", 0,
						nil, nil, s("1.0000"), s("1.0000"), nil),
					row("USD", "100.00", "100.00", "0.00", "100.00", "100.00", "0.00", 0,
						s("31.0000"), s("0.0000"), s("1.0000"), s("0.0000"), nil)}},
			},
			// CNY: 1400 × 31 / 1500 = 28.9333…; 900/1400 = 0.642857…; 300/1400 = 0.214285…
			Total: KPIGroup{Currencies: []KPICurrency{
				row("CNY", "1500.00", "1400.00", "400.00", "1000.00", "900.00", "300.00", 1,
					s("28.9333"), s("0.4000"), s("0.6429"), s("0.2143"), s("2.5000")),
				row("USD", "100.00", "100.00", "0.00", "100.00", "100.00", "0.00", 0,
					s("31.0000"), s("0.0000"), s("1.0000"), s("0.0000"), nil)}}},
		{Month: "2026-02", From: "2026-02-01", To: "2026-02-28", Days: 28,
			Collectors: []KPICollector{
				// ann: sales A3 250; receivables A2 500 + A3 250; A2 overdue (due 02-19);
				// fell due A2 500; collected 600; one delivered reminder (the failed one
				// does not count). DSO 750 × 28 / 250 = 84; 600/500; 500/750; 1000/600.
				{Collector: "ann", Currencies: []KPICurrency{
					row("CNY", "250.00", "750.00", "600.00", "500.00", "500.00", "0.00", 1,
						s("84.0000"), s("1.2000"), s("0.6667"), s("0.0000"), s("1.6667"))}},
				// bob CNY: sales B2 200; receivables 300 + (200 − 50) = 450; B1 overdue and
				// doubtful. DSO 450 × 28 / 200 = 63. bob USD: 70 left, collected 30.
				{Collector: "bob", Currencies: []KPICurrency{
					row("CNY", "200.00", "450.00", "0.00", "0.00", "300.00", "300.00", 0,
						s("63.0000"), nil, s("0.6667"), s("0.6667"), nil),
					row("USD", "0.00", "70.00", "30.00", "0.00", "70.00", "0.00", 0,
						nil, nil, s("1.0000"), s("0.0000"), s("0.0000"))}},
			},
			// CNY: 1200 × 28 / 450 = 74.6666…; 600/500; 800/1200; 300/1200; 1000/600.
			Total: KPIGroup{Currencies: []KPICurrency{
				row("CNY", "450.00", "1200.00", "600.00", "500.00", "800.00", "300.00", 1,
					s("74.6667"), s("1.2000"), s("0.6667"), s("0.2500"), s("1.6667")),
				row("USD", "0.00", "70.00", "30.00", "0.00", "70.00", "0.00", 0,
					nil, nil, s("1.0000"), s("0.0000"), s("0.0000"))}}},
	}}
	got, _ := json.MarshalIndent(rep, "", " ")
	exp, _ := json.MarshalIndent(want, "", " ")
	if string(got) != string(exp) {
		t.Fatalf("KPI report:\n%s\nwant:\n%s", got, exp)
	}
}

func TestKPIPartialMonths(t *testing.T) {
	// 2026-01-15..2026-02-10: January is 17 days (A1, issued 01-10, is not a sale of
	// it), February 10 days (PA2 on 02-10 is in, A3 issued 02-15 is not).
	rep := KPI(kpiBooks(t), domain.MustDate("2026-01-15"), domain.MustDate("2026-02-10"))
	if len(rep.Months) != 2 {
		t.Fatalf("months: %+v", rep.Months)
	}
	jan, feb := rep.Months[0], rep.Months[1]
	if jan.From != "2026-01-15" || jan.To != "2026-01-31" || jan.Days != 17 || feb.From != "2026-02-01" || feb.To != "2026-02-10" || feb.Days != 10 {
		t.Fatalf("periods: %+v / %+v", jan, feb)
	}
	ann := jan.Collectors[0].Currencies[0]
	if ann.CreditSales != "500.00" || ann.Collected != "400.00" {
		t.Fatalf("january ann: %+v", ann)
	}
	// February 1..10: A1 fully paid on 02-10, A2 500 not yet due; no sales → DSO null.
	annFeb := feb.Collectors[0].Currencies[0]
	if annFeb.CreditSales != "0.00" || annFeb.EndingReceivables != "500.00" || annFeb.Collected != "600.00" ||
		annFeb.Overdue != "0.00" || annFeb.DSO != nil || annFeb.Reminders != 1 {
		t.Fatalf("february ann: %+v", annFeb)
	}
}

func TestKPIRangeChecks(t *testing.T) {
	d := domain.MustDate
	if err := KPIRange(d("2026-02-01"), d("2026-01-31")); err == nil {
		t.Error("from after to accepted")
	}
	if err := KPIRange(d("2016-01-01"), d("2025-12-31")); err != nil {
		t.Errorf("120 months refused: %v", err)
	}
	if err := KPIRange(d("2016-01-01"), d("2026-01-01")); err == nil {
		t.Error("121 months accepted")
	}
	// December to January crosses the year.
	if p := kpiPeriods(d("2025-12-31"), d("2026-01-01"), 10); len(p) != 2 || p[1].start != d("2026-01-01") {
		t.Errorf("periods over the new year: %+v", p)
	}
}

func TestKPIRatioRoundsOnceHalfAwayFromZero(t *testing.T) {
	dec := decimal.RequireFromString
	for _, c := range []struct{ n, d, want string }{
		{"1", "32", "0.0313"}, // 0.03125: half away from zero, not to even
		{"3", "32", "0.0938"}, // 0.09375
		{"2", "3", "0.6667"},
		{"1", "3", "0.3333"},
		{"0", "7", "0.0000"},
	} {
		if got := kpiRatio(dec(c.n), dec(c.d)); got == nil || *got != c.want {
			t.Errorf("%s/%s = %v, want %s", c.n, c.d, got, c.want)
		}
	}
	if kpiRatio(dec("1"), decimal.Zero) != nil {
		t.Error("division by zero is not null")
	}
}
