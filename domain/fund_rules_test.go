package domain_test

// SPEC section 7: the price-protection fund.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

func gwAgree(cust, on, rate string) *domain.AgreePriceProtection {
	r, err := domain.ParseRate(rate)
	if err != nil {
		panic(err)
	}
	return &domain.AgreePriceProtection{Meta: gwMeta(on), Customer: cust, Rate: r}
}

// gwReport reports a violation by a customer reporter, or by an outside person when
// reporter starts with "name:".
func gwReport(v, cust, on, occurred, reporter string) *domain.ReportViolation {
	c := &domain.ReportViolation{Meta: gwMeta(on), Violation: v, Customer: cust, OccurredOn: gwD(occurred)}
	if name, ok := strings.CutPrefix(reporter, "name:"); ok {
		c.ReporterName = name
	} else {
		c.Reporter = reporter
	}
	return c
}

func gwConfirm(v, on string) *domain.ConfirmViolation {
	return &domain.ConfirmViolation{Meta: gwMeta(on), Violation: v}
}

func gwReject(v, on string) *domain.RejectViolation {
	return &domain.RejectViolation{Meta: gwMeta(on), Violation: v}
}

// fund returns a customer's fund of a quarter and currency as of a date.
func (w *gwWorld) fund(cust, asOf, quarter, cur string) (domain.FundState, bool) {
	w.t.Helper()
	for _, f := range w.account(cust).FundsAsOf(gwD(asOf)) {
		if f.Quarter.String() == quarter && f.Currency.Code() == cur {
			return f, true
		}
	}
	return domain.FundState{}, false
}

// gwFundWant is an expected fund; status "" = the fund does not exist.
type gwFundWant struct {
	asOf, quarter, cur string
	status             string
	accrued            string
	rebated, forfeited string // "" = 0
	bountyTo           string
}

func (w *gwWorld) thenFund(cust string, want gwFundWant) {
	w.t.Helper()
	f, ok := w.fund(cust, want.asOf, want.quarter, want.cur)
	what := fmt.Sprintf("%s fund %s %s as of %s", cust, want.quarter, want.cur, want.asOf)
	if want.status == "" {
		if ok {
			w.t.Errorf("%s exists (%+v), want none", what, f)
		}
		return
	}
	if !ok {
		w.t.Errorf("%s does not exist, want %s %s", what, want.status, want.accrued)
		return
	}
	if f.Status != want.status {
		w.t.Errorf("%s: status %q, want %q", what, f.Status, want.status)
	}
	gwEq(w.t, what+": accrued", f.Accrued, want.accrued)
	zero := func(s string) string {
		if s == "" {
			return "0"
		}
		return s
	}
	gwEq(w.t, what+": rebated", f.Rebated, zero(want.rebated))
	gwEq(w.t, what+": forfeited", f.Forfeited, zero(want.forfeited))
	if f.BountyTo != want.bountyTo {
		w.t.Errorf("%s: bounty to %q, want %q", what, f.BountyTo, want.bountyTo)
	}
}

// gwFundBooks: customers C1 (the dealer), C2 and C3 (other dealers, possible reporters).
func gwFundBooks(t *testing.T) *gwWorld { return gwCustomers(t, "C1", "C2", "C3") }

// ---------------------------------------------------------------------------
// The rate
// ---------------------------------------------------------------------------

func TestFundRateIsDecidedWhenTheInvoiceIsRecorded(t *testing.T) {
	w := gwFundBooks(t)
	w.given("C1", gwAgree("C1", "2026-01-10", "0.05"))
	steps := []struct {
		inv, on string
		agree   *domain.AgreePriceProtection // recorded before the invoice
		hasFund bool
		rate    string
	}{
		{"INV-A", "2026-01-05", nil, false, ""},                                    // issued before the agreement's date
		{"INV-B", "2026-01-10", nil, true, "0.05"},                                 // on the agreement's date
		{"INV-C", "2026-02-01", gwAgree("C1", "2026-02-01", "0.03"), true, "0.03"}, // a later agreement replaces it
		{"INV-D", "2026-01-20", nil, true, "0.05"},                                 // issued before the later agreement's date
		{"INV-E", "2026-03-15", nil, true, "0.03"},
	}
	for _, s := range steps {
		if s.agree != nil {
			w.given("C1", s.agree)
		}
		ev := gwOnly[domain.InvoiceIssued](t, w.when("C1", gwInvoice(s.inv, "C1", s.on, "1000.00", "CNY")).ok())
		if ev.HasFund != s.hasFund || (s.hasFund && !ev.FundRate.Equal(gwM(s.rate))) {
			t.Errorf("%s issued %s: fund %v at %s, want %v at %s", s.inv, s.on, ev.HasFund, ev.FundRate, s.hasFund, s.rate)
		}
	}
	// Q1: B 50 + C 30 + D 50 + E 30 = 160.00 (A has no fund); a rate change mid-quarter
	// adds up in one fund.
	w.thenFund("C1", gwFundWant{asOf: "2026-01-09", quarter: "2026Q1", cur: "CNY"})
	w.thenFund("C1", gwFundWant{asOf: "2026-01-10", quarter: "2026Q1", cur: "CNY", status: "open", accrued: "50.00"})
	w.thenFund("C1", gwFundWant{asOf: "2026-01-31", quarter: "2026Q1", cur: "CNY", status: "open", accrued: "100.00"})
	w.thenFund("C1", gwFundWant{asOf: "2026-03-31", quarter: "2026Q1", cur: "CNY", status: "open", accrued: "160.00"})
}

func TestFundAgreementRecordedAfterTheInvoiceDoesNotApplyToIt(t *testing.T) {
	w := gwFundBooks(t)
	w.given("C1",
		gwInvoice("INV-1", "C1", "2026-02-01", "1000.00", "CNY"),
		gwAgree("C1", "2026-01-01", "0.05"), // back-dated, recorded after INV-1
	)
	if w.invoice("INV-1").HasFund {
		t.Errorf("INV-1 was recorded before the agreement but has a fund")
	}
	w.thenFund("C1", gwFundWant{asOf: "2026-03-31", quarter: "2026Q1", cur: "CNY"})
	w.given("C1", gwInvoice("INV-2", "C1", "2026-02-02", "1000.00", "CNY"))
	w.thenFund("C1", gwFundWant{asOf: "2026-03-31", quarter: "2026Q1", cur: "CNY", status: "open", accrued: "50.00"})
}

// Products are exact; one rounding per fund.
func TestFundIsRoundedOncePerFund(t *testing.T) {
	cases := []struct {
		name, rate, amount, cur string
		n                       int
		want                    string
	}{
		// 3 x 0.01 x 0.5 = 0.015 -> 0.02 (not 0.00+0.00+0.00, not 0.01+0.01+0.01)
		{"cents at half", "0.5", "0.01", "CNY", 3, "0.02"},
		// 3 x 1 x 0.333333 = 0.999999 -> 1 (not 0+0+0)
		{"yen", "0.333333", "1", "JPY", 3, "1"},
		// 3 x 1.000 x 0.0005 = 0.0015 -> 0.002 (not 0.001 x 3 = 0.003)
		{"dinar", "0.0005", "1.000", "KWD", 3, "0.002"},
		// 1 x 0.01 x 0.4 = 0.004 -> 0.00: the fund still exists
		{"rounds to zero", "0.4", "0.01", "CNY", 1, "0.00"},
		// rate 0: the invoice contributes 0, the fund exists
		{"zero rate", "0", "100.00", "CNY", 1, "0.00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := gwFundBooks(t)
			w.given("C1", gwAgree("C1", "2026-01-01", c.rate))
			for i := 0; i < c.n; i++ {
				w.given("C1", gwInvoice(fmt.Sprintf("INV-%d", i), "C1", "2026-02-01", c.amount, c.cur))
			}
			w.thenFund("C1", gwFundWant{asOf: "2026-03-31", quarter: "2026Q1", cur: c.cur, status: "open", accrued: c.want})
		})
	}
}

func TestFundsArePerQuarterAndCurrency(t *testing.T) {
	w := gwFundBooks(t)
	w.given("C1",
		gwAgree("C1", "2026-01-01", "0.05"),
		gwInvoice("INV-1", "C1", "2026-03-31", "1000.00", "CNY"),
		gwInvoice("INV-2", "C1", "2026-04-01", "2000.00", "CNY"),
		gwInvoice("U-1", "C1", "2026-02-01", "100.00", "USD"),
	)
	w.thenFund("C1", gwFundWant{asOf: "2026-12-31", quarter: "2026Q1", cur: "CNY", status: "open", accrued: "50.00"})
	w.thenFund("C1", gwFundWant{asOf: "2026-12-31", quarter: "2026Q2", cur: "CNY", status: "open", accrued: "100.00"})
	w.thenFund("C1", gwFundWant{asOf: "2026-12-31", quarter: "2026Q1", cur: "USD", status: "open", accrued: "5.00"})
	w.thenFund("C1", gwFundWant{asOf: "2026-12-31", quarter: "2026Q2", cur: "USD"})
}

// ---------------------------------------------------------------------------
// Credit notes and the fund
// ---------------------------------------------------------------------------

func TestLinkedCreditNotesReduceTheFundOfTheirOwnQuarter(t *testing.T) {
	type q struct{ quarter, accrued string } // accrued "" = no such fund
	cases := []struct {
		name  string
		steps []domain.Command
		want  []q
	}{
		{"credit note in the same quarter",
			[]domain.Command{gwCredit("CN-1", "C1", "2026-02-10", "200.00", "CNY", "INV-1")},
			[]q{{"2026Q1", "40.00"}, {"2026Q2", ""}}},
		{"credit note in a later quarter with no invoices: the fund exists at 0.00",
			[]domain.Command{gwCredit("CN-1", "C1", "2026-04-10", "200.00", "CNY", "INV-1")},
			[]q{{"2026Q1", "50.00"}, {"2026Q2", "0.00"}}},
		{"credit note in a later quarter with invoices",
			[]domain.Command{
				gwInvoice("INV-2", "C1", "2026-04-01", "1000.00", "CNY"),
				gwCredit("CN-1", "C1", "2026-04-10", "200.00", "CNY", "INV-1"),
			},
			[]q{{"2026Q1", "50.00"}, {"2026Q2", "40.00"}}},
		{"never below zero",
			[]domain.Command{
				gwInvoice("INV-2", "C1", "2026-04-01", "100.00", "CNY"),
				gwCredit("CN-1", "C1", "2026-04-10", "900.00", "CNY", "INV-1"),
			},
			[]q{{"2026Q1", "50.00"}, {"2026Q2", "0.00"}}},
		{"unlinked credit note does not touch the fund",
			[]domain.Command{gwCredit("CN-1", "C1", "2026-02-10", "200.00", "CNY", "")},
			[]q{{"2026Q1", "50.00"}}},
		{"unlinked credit note in a later quarter creates no fund",
			[]domain.Command{gwCredit("CN-1", "C1", "2026-04-10", "200.00", "CNY", "")},
			[]q{{"2026Q1", "50.00"}, {"2026Q2", ""}}},
		{"credit note linked to an invoice without fund",
			[]domain.Command{gwCredit("CN-1", "C1", "2026-04-10", "50.00", "CNY", "INV-0")},
			[]q{{"2026Q1", "50.00"}, {"2026Q2", ""}}},
		{"credit note uses the credited invoice's rate",
			[]domain.Command{
				gwAgree("C1", "2026-04-01", "0.10"),
				gwInvoice("INV-2", "C1", "2026-04-01", "1000.00", "CNY"),       // 100.00
				gwCredit("CN-1", "C1", "2026-04-10", "200.00", "CNY", "INV-1"), // -200 x 0.05
			},
			[]q{{"2026Q1", "50.00"}, {"2026Q2", "90.00"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := gwFundBooks(t)
			w.given("C1",
				gwInvoice("INV-0", "C1", "2026-01-02", "100.00", "CNY"), // before the agreement
				gwAgree("C1", "2026-01-05", "0.05"),
				gwInvoice("INV-1", "C1", "2026-01-10", "1000.00", "CNY"), // 50.00
			)
			w.given("C1", c.steps...)
			for _, x := range c.want {
				want := gwFundWant{asOf: "2026-06-30", quarter: x.quarter, cur: "CNY"}
				if x.accrued != "" {
					want.status, want.accrued = "open", x.accrued
				}
				w.thenFund("C1", want)
			}
		})
	}
}

func TestFundOfALaterQuarterAppearsFromTheCreditNotesDate(t *testing.T) {
	w := gwFundBooks(t)
	w.given("C1",
		gwAgree("C1", "2026-01-05", "0.05"),
		gwInvoice("INV-1", "C1", "2026-01-10", "1000.00", "CNY"),
		gwCredit("CN-1", "C1", "2026-04-10", "200.00", "CNY", "INV-1"),
	)
	w.thenFund("C1", gwFundWant{asOf: "2026-04-09", quarter: "2026Q2", cur: "CNY"})
	w.thenFund("C1", gwFundWant{asOf: "2026-04-10", quarter: "2026Q2", cur: "CNY", status: "open", accrued: "0.00"})
	w.thenFund("C1", gwFundWant{asOf: "2026-04-10", quarter: "2026Q1", cur: "CNY", status: "open", accrued: "50.00"})
}

// ---------------------------------------------------------------------------
// Violations
// ---------------------------------------------------------------------------

func TestConfirmedViolationForfeitsTheQuarterFromTheConfirmation(t *testing.T) {
	w := gwFundBooks(t)
	w.given("C1",
		gwAgree("C1", "2026-01-01", "0.05"),
		gwInvoice("INV-1", "C1", "2026-01-15", "1000.00", "CNY"), // 50.00
		gwReport("V1", "C1", "2026-02-10", "2026-02-05", "C2"),
	)
	ev := gwOnly[domain.ViolationConfirmed](t, w.when("C1", gwConfirm("V1", "2026-02-20")).ok())
	if ev.Quarter.String() != "2026Q1" || ev.ForfeitsNothing {
		t.Errorf("confirmation = %+v, want quarter 2026Q1, forfeiting", ev)
	}
	w.given("C1",
		gwInvoice("INV-2", "C1", "2026-03-01", "1000.00", "CNY"), // accrues after the confirmation
		gwInvoice("INV-3", "C1", "2026-04-10", "1000.00", "CNY"), // Q2: not forfeited
	)
	w.thenFund("C1", gwFundWant{asOf: "2026-02-19", quarter: "2026Q1", cur: "CNY", status: "open", accrued: "50.00"})
	w.thenFund("C1", gwFundWant{asOf: "2026-02-20", quarter: "2026Q1", cur: "CNY", status: "forfeited", accrued: "50.00", forfeited: "50.00"})
	w.thenFund("C1", gwFundWant{asOf: "2026-03-31", quarter: "2026Q1", cur: "CNY", status: "forfeited", accrued: "100.00", forfeited: "100.00"})
	w.thenFund("C1", gwFundWant{asOf: "2026-04-10", quarter: "2026Q2", cur: "CNY", status: "open", accrued: "50.00"})

	// The close awards the whole quarter's fund to the reporter C2, credited to C2 like
	// a payment dated on the close: C2's open invoice first, the rest unapplied credit.
	w.given("C2", gwInvoiceDue("C2-INV", "C2", "2026-03-01", "2026-03-31", "30.00", "CNY"))
	cl := w.closeQuarter("2026Q1", "2026-04-01")
	if cl.err != nil {
		t.Fatalf("close refused: %v", cl.err)
	}
	f := gwOnly[domain.FundForfeited](t, cl.accounts["C1"])
	if f.Violation != "V1" || f.Reporter != "C2" || f.ReporterName != "" || !f.Amount.Equal(gwM("100")) || f.On != gwD("2026-04-01") {
		t.Errorf("forfeit = %+v, want 100.00 of V1 to C2 on 2026-04-01", f)
	}
	b := gwOnly[domain.BountyAwarded](t, cl.bounties["C2"])
	if !b.Amount.Equal(gwM("100")) || b.Violator != "C1" {
		t.Errorf("bounty = %+v, want 100.00 from C1", b)
	}
	gwSame(t, "bounty allocations", gwAllocLines(b.Allocations), []string{"C2-INV=30"})
	gwEq(t, "bounty unapplied", b.Unapplied, "70")
	lot := domain.BountyID(gwQ("2026Q1"), "C1", gwCur("CNY"))
	w.thenUnapplied("C2", lot, "2026-03-31", "0")
	w.thenUnapplied("C2", lot, "2026-04-01", "70")
	w.thenOutstanding("2026-03-31", "C2-INV=30")
	w.thenOutstanding("2026-04-01", "C2-INV=0", "INV-1=1000", "INV-2=1000")
	w.thenFund("C1", gwFundWant{asOf: "2026-04-01", quarter: "2026Q1", cur: "CNY", status: "forfeited", accrued: "100.00", forfeited: "100.00", bountyTo: "C2"})
	// The violator gets no rebate.
	for _, l := range w.account("C1").Lots() {
		if strings.HasPrefix(l.ID, "rebate:") {
			t.Errorf("the violator got a rebate lot %s", l.ID)
		}
	}
	// Settling again adds nothing.
	if again := w.account("C1").DecideClose(gwQ("2026Q1"), gwD("2026-04-01")); len(again) != 0 {
		t.Errorf("DecideClose again = %+v, want no events", again)
	}
	if again := w.account("C2").DecideBounty(f, "C1"); len(again) != 0 {
		t.Errorf("DecideBounty again = %+v, want no events", again)
	}
}

func TestForfeitGoesToTheEarliestReportedConfirmedViolation(t *testing.T) {
	cases := []struct {
		name    string
		steps   []domain.Command
		wantV   string
		wantRep string
	}{
		{"earlier report wins even if confirmed later",
			[]domain.Command{
				gwReport("V1", "C1", "2026-02-20", "2026-02-15", "C2"),
				gwConfirm("V1", "2026-03-01"),
				gwReport("V2", "C1", "2026-02-10", "2026-02-08", "C3"), // recorded later, reported earlier
				gwConfirm("V2", "2026-03-15"),
			}, "V2", "C3"},
		{"same report date: recording order",
			[]domain.Command{
				gwReport("V1", "C1", "2026-02-10", "2026-02-08", "C2"),
				gwReport("V2", "C1", "2026-02-10", "2026-02-08", "C3"),
				gwConfirm("V2", "2026-03-01"),
				gwConfirm("V1", "2026-03-02"),
			}, "V1", "C2"},
		{"a rejected earlier report does not count",
			[]domain.Command{
				gwReport("V0", "C1", "2026-02-01", "2026-01-20", "C3"),
				gwReject("V0", "2026-02-05"),
				gwReport("V1", "C1", "2026-02-20", "2026-02-15", "C2"),
				gwConfirm("V1", "2026-03-01"),
			}, "V1", "C2"},
		{"an unconfirmed earlier report does not count",
			[]domain.Command{
				gwReport("V0", "C1", "2026-02-01", "2026-01-20", "C3"),
				gwReport("V1", "C1", "2026-02-20", "2026-02-15", "C2"),
				gwConfirm("V1", "2026-03-01"),
			}, "V1", "C2"},
		{"a confirmed violation of another quarter does not count",
			[]domain.Command{
				gwReport("V0", "C1", "2026-02-01", "2025-12-20", "C3"), // occurred in 2025Q4
				gwConfirm("V0", "2026-02-05"),
				gwReport("V1", "C1", "2026-02-20", "2026-02-15", "C2"),
				gwConfirm("V1", "2026-03-01"),
			}, "V1", "C2"},
		{"reported and confirmed after the quarter, before the close",
			[]domain.Command{
				gwReport("V1", "C1", "2026-04-05", "2026-03-30", "C2"),
				gwConfirm("V1", "2026-04-06"),
			}, "V1", "C2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := gwFundBooks(t)
			w.given("C1",
				gwAgree("C1", "2026-01-01", "0.05"),
				gwInvoice("INV-1", "C1", "2026-01-15", "1000.00", "CNY"),
			)
			w.given("C1", c.steps...)
			cl := w.closeQuarter("2026Q1", "2026-04-10")
			if cl.err != nil {
				t.Fatalf("close refused: %v", cl.err)
			}
			f := gwOnly[domain.FundForfeited](t, cl.accounts["C1"])
			if f.Violation != c.wantV || f.Reporter != c.wantRep {
				t.Errorf("forfeit to %s (%s), want %s (%s)", f.Reporter, f.Violation, c.wantRep, c.wantV)
			}
			for rep, evs := range cl.bounties {
				if rep != c.wantRep && len(evs) > 0 {
					t.Errorf("%s got a bounty: %+v", rep, evs)
				}
			}
			gwOnly[domain.BountyAwarded](t, cl.bounties[c.wantRep])
			w.thenFund("C1", gwFundWant{asOf: "2026-04-10", quarter: "2026Q1", cur: "CNY", status: "forfeited",
				accrued: "50.00", forfeited: "50.00", bountyTo: c.wantRep})
		})
	}
}

func TestForfeitToAnOutsideReporterIsNotCreditedToAnyAccount(t *testing.T) {
	w := gwFundBooks(t)
	w.given("C1",
		gwAgree("C1", "2026-01-01", "0.05"),
		gwInvoice("INV-1", "C1", "2026-01-15", "1000.00", "CNY"),
		gwReport("V1", "C1", "2026-02-10", "2026-02-05", "name:Zhang San"),
		gwConfirm("V1", "2026-02-20"),
	)
	cl := w.closeQuarter("2026Q1", "2026-04-01")
	if cl.err != nil {
		t.Fatalf("close refused: %v", cl.err)
	}
	f := gwOnly[domain.FundForfeited](t, cl.accounts["C1"])
	if f.Reporter != "" || f.ReporterName != "Zhang San" || !f.Amount.Equal(gwM("50")) {
		t.Errorf("forfeit = %+v, want 50.00 payable to Zhang San", f)
	}
	for _, a := range w.books.Accounts() {
		for _, l := range a.Lots() {
			if strings.HasPrefix(l.ID, "bounty:") || strings.HasPrefix(l.ID, "rebate:") {
				t.Errorf("%s got credit lot %s", a.ID(), l.ID)
			}
		}
	}
	w.thenFund("C1", gwFundWant{asOf: "2026-04-01", quarter: "2026Q1", cur: "CNY", status: "forfeited",
		accrued: "50.00", forfeited: "50.00", bountyTo: "Zhang San"})
	w.thenOutstanding("2026-04-01", "INV-1=1000")
}

func TestViolationRefusals(t *testing.T) {
	cases := []struct {
		name  string
		steps []domain.Command // accepted first
		cmd   domain.Command
		field string
	}{
		{"a customer reporting itself", nil, gwReport("V9", "C1", "2026-02-10", "2026-02-05", "C1"), "reporter"},
		{"an unknown reporter", nil, gwReport("V9", "C1", "2026-02-10", "2026-02-05", "NOBODY"), "reporter"},
		{"occurred after the report", nil, gwReport("V9", "C1", "2026-02-10", "2026-02-11", "C2"), "occurred_on"},
		{"violation id reused",
			[]domain.Command{gwReport("V1", "C1", "2026-02-10", "2026-02-05", "C2")},
			gwReport("V1", "C1", "2026-02-11", "2026-02-05", "C3"), "violation"},
		{"confirmed before the report",
			[]domain.Command{gwReport("V1", "C1", "2026-02-10", "2026-02-05", "C2")},
			gwConfirm("V1", "2026-02-09"), "on"},
		{"confirmed twice",
			[]domain.Command{gwReport("V1", "C1", "2026-02-10", "2026-02-05", "C2"), gwConfirm("V1", "2026-02-10")},
			gwConfirm("V1", "2026-02-11"), "violation"},
		{"rejected after confirmation",
			[]domain.Command{gwReport("V1", "C1", "2026-02-10", "2026-02-05", "C2"), gwConfirm("V1", "2026-02-10")},
			gwReject("V1", "2026-02-11"), "violation"},
		{"confirmed after rejection",
			[]domain.Command{gwReport("V1", "C1", "2026-02-10", "2026-02-05", "C2"), gwReject("V1", "2026-02-10")},
			gwConfirm("V1", "2026-02-11"), "violation"},
		{"unknown violation", nil, gwConfirm("NOPE", "2026-02-11"), "violation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := gwFundBooks(t)
			w.given("C1", c.steps...)
			w.when("C1", c.cmd).refused(c.field)
		})
	}
	t.Run("occurred on the report's date and confirmed on it", func(t *testing.T) {
		w := gwFundBooks(t)
		w.given("C1", gwReport("V1", "C1", "2026-02-10", "2026-02-10", "name:Li Si"))
		w.when("C1", gwConfirm("V1", "2026-02-10")).ok()
	})
}

// ---------------------------------------------------------------------------
// CloseQuarter
// ---------------------------------------------------------------------------

func TestCloseQuarterOnlyAfterItsLastDayAndOnce(t *testing.T) {
	w := gwFundBooks(t)
	for _, on := range []string{"2026-03-15", "2026-03-31"} {
		cl := w.closeQuarter("2026Q1", on)
		if fe, ok := domain.Refusal(cl.err); !ok || fe.Field != "on" {
			t.Errorf("close 2026Q1 on %s: %v, want refused on field \"on\"", on, cl.err)
		}
	}
	if w.books.QuarterClosed(gwQ("2026Q1")) {
		t.Fatalf("a refused close was recorded")
	}
	// Quarters may be closed in any order.
	if cl := w.closeQuarter("2026Q2", "2026-07-01"); cl.err != nil {
		t.Fatalf("close 2026Q2 on 2026-07-01 refused: %v", cl.err)
	}
	cl := w.closeQuarter("2026Q1", "2026-07-02")
	if cl.err != nil {
		t.Fatalf("close 2026Q1 on 2026-07-02 refused: %v", cl.err)
	}
	qc := gwOnly[domain.QuarterClosed](t, cl.ledger)
	if qc.Quarter.String() != "2026Q1" || qc.On != gwD("2026-07-02") {
		t.Errorf("closed = %+v", qc)
	}
	cl = w.closeQuarter("2026Q1", "2026-07-03")
	if fe, ok := domain.Refusal(cl.err); !ok || fe.Field != "quarter" {
		t.Errorf("closing 2026Q1 twice: %v, want refused on field \"quarter\"", cl.err)
	}
	// The day after the last day is the first possible close.
	w2 := gwFundBooks(t)
	if cl := w2.closeQuarter("2026Q4", "2027-01-01"); cl.err != nil {
		t.Errorf("close 2026Q4 on 2027-01-01 refused: %v", cl.err)
	}
}

func TestRebateIsAllocatedLikeAnUnlinkedCreditNote(t *testing.T) {
	setup := func(t *testing.T) *gwWorld {
		w := gwFundBooks(t)
		w.given("C1",
			gwAgree("C1", "2026-01-01", "0.05"),
			gwInvoiceDue("INV-1", "C1", "2026-01-15", "2026-02-14", "1000.00", "CNY"), // 50.00
			gwPay("P1", "C1", "2026-02-10", "970.00", "CNY"),                          // INV-1: 30.00 left
			gwInvoiceDue("INV-2", "C1", "2026-03-10", "2026-04-09", "10.00", "CNY"),   // 0.50
		)
		return w
	}
	rebate := domain.RebateID(gwQ("2026Q1"), gwCur("CNY"))
	t.Run("open invoices FIFO, the rest unapplied", func(t *testing.T) {
		w := setup(t)
		cl := w.closeQuarter("2026Q1", "2026-04-05")
		if cl.err != nil {
			t.Fatalf("close refused: %v", cl.err)
		}
		r := gwOnly[domain.FundRebated](t, cl.accounts["C1"])
		gwEq(t, "rebate", r.Amount, "50.50")
		gwSame(t, "rebate allocations", gwAllocLines(r.Allocations), []string{"INV-1=30", "INV-2=10"})
		gwEq(t, "rebate unapplied", r.Unapplied, "10.50")
		w.thenOutstanding("2026-04-04", "INV-1=30", "INV-2=10")
		w.thenOutstanding("2026-04-05", "INV-1=0", "INV-2=0")
		w.thenUnapplied("C1", rebate, "2026-04-04", "0")
		w.thenUnapplied("C1", rebate, "2026-04-05", "10.50")
		w.thenFund("C1", gwFundWant{asOf: "2026-04-04", quarter: "2026Q1", cur: "CNY", status: "open", accrued: "50.50"})
		w.thenFund("C1", gwFundWant{asOf: "2026-04-05", quarter: "2026Q1", cur: "CNY", status: "rebated", accrued: "50.50", rebated: "50.50"})
		if len(cl.bounties) != 0 {
			t.Errorf("bounties without a violation: %+v", cl.bounties)
		}
		// The rest is applied to the next invoice.
		ev := gwOnly[domain.InvoiceIssued](t, w.when("C1", gwInvoice("INV-3", "C1", "2026-04-20", "100.00", "CNY")).ok())
		if len(ev.Applied) != 1 || ev.Applied[0].Source != rebate || !ev.Applied[0].Amount.Equal(gwM("10.50")) {
			t.Errorf("credit applied to INV-3 = %+v, want 10.50 of %s", ev.Applied, rebate)
		}
		// Settling again adds nothing.
		if again := w.account("C1").DecideClose(gwQ("2026Q1"), gwD("2026-04-05")); len(again) != 0 {
			t.Errorf("DecideClose again = %+v, want no events", again)
		}
	})
	t.Run("disputed invoices are skipped", func(t *testing.T) {
		w := setup(t)
		w.given("C1", gwDispute("INV-1", "2026-03-01"))
		cl := w.closeQuarter("2026Q1", "2026-04-05")
		r := gwOnly[domain.FundRebated](t, cl.accounts["C1"])
		gwSame(t, "rebate allocations", gwAllocLines(r.Allocations), []string{"INV-2=10"})
		gwEq(t, "rebate unapplied", r.Unapplied, "40.50")
	})
	t.Run("only the closed quarter's funds", func(t *testing.T) {
		w := setup(t)
		w.given("C1", gwInvoice("INV-Q2", "C1", "2026-04-02", "1000.00", "CNY"))
		cl := w.closeQuarter("2026Q1", "2026-04-05")
		r := gwOnly[domain.FundRebated](t, cl.accounts["C1"])
		gwEq(t, "rebate", r.Amount, "50.50")
		w.thenFund("C1", gwFundWant{asOf: "2026-04-05", quarter: "2026Q2", cur: "CNY", status: "open", accrued: "50.00"})
	})
}

func TestViolationConfirmedAfterItsQuarterWasClosedForfeitsNothing(t *testing.T) {
	w := gwFundBooks(t)
	w.given("C1",
		gwAgree("C1", "2026-01-01", "0.05"),
		gwInvoice("INV-1", "C1", "2026-01-15", "1000.00", "CNY"),
		gwReport("V1", "C1", "2026-03-10", "2026-03-05", "C2"),
	)
	cl := w.closeQuarter("2026Q1", "2026-04-01")
	if cl.err != nil {
		t.Fatalf("close refused: %v", cl.err)
	}
	gwOnly[domain.FundRebated](t, cl.accounts["C1"])
	ev := gwOnly[domain.ViolationConfirmed](t, w.when("C1", gwConfirm("V1", "2026-04-10")).ok())
	if !ev.ForfeitsNothing || ev.Quarter.String() != "2026Q1" {
		t.Errorf("confirmation = %+v, want 2026Q1 forfeiting nothing", ev)
	}
	for _, asOf := range []string{"2026-04-10", "2026-12-31"} {
		w.thenFund("C1", gwFundWant{asOf: asOf, quarter: "2026Q1", cur: "CNY", status: "rebated", accrued: "50.00", rebated: "50.00"})
	}
	if again := w.account("C1").DecideClose(gwQ("2026Q1"), gwD("2026-04-01")); len(again) != 0 {
		t.Errorf("DecideClose again = %+v, want no events", again)
	}
	for _, l := range w.account("C2").Lots() {
		t.Errorf("C2 got credit %s", l.ID)
	}
}

func TestViolationConfirmedBeforeItsQuarterIsClosedForfeitsEvenIfAnotherQuarterIsClosed(t *testing.T) {
	w := gwFundBooks(t)
	w.given("C1",
		gwAgree("C1", "2026-01-01", "0.05"),
		gwInvoice("INV-1", "C1", "2026-01-15", "1000.00", "CNY"),
		gwReport("V1", "C1", "2026-07-10", "2026-03-05", "C2"),
	)
	if cl := w.closeQuarter("2026Q2", "2026-07-01"); cl.err != nil {
		t.Fatalf("close 2026Q2 refused: %v", cl.err)
	}
	ev := gwOnly[domain.ViolationConfirmed](t, w.when("C1", gwConfirm("V1", "2026-07-11")).ok())
	if ev.ForfeitsNothing {
		t.Errorf("confirmation of a 2026Q1 violation forfeits nothing, but only 2026Q2 is closed")
	}
	cl := w.closeQuarter("2026Q1", "2026-07-12")
	f := gwOnly[domain.FundForfeited](t, cl.accounts["C1"])
	if f.Reporter != "C2" || !f.Amount.Equal(gwM("50")) {
		t.Errorf("forfeit = %+v, want 50.00 to C2", f)
	}
}

// A confirmed violation forfeits all the violator's funds of the quarter, one per
// currency; without a violation every currency's fund is returned in its currency.
func TestCloseSettlesEveryCurrencyOfTheQuarter(t *testing.T) {
	setup := func(t *testing.T) *gwWorld {
		w := gwFundBooks(t)
		w.given("C1",
			gwAgree("C1", "2026-01-01", "0.05"),
			gwInvoice("INV-1", "C1", "2026-01-15", "1000.00", "CNY"), // 50.00 CNY
			gwInvoice("U-1", "C1", "2026-02-15", "200.00", "USD"),    // 10.00 USD
		)
		return w
	}
	t.Run("forfeited", func(t *testing.T) {
		w := setup(t)
		w.given("C1",
			gwReport("V1", "C1", "2026-03-01", "2026-02-20", "C2"),
			gwConfirm("V1", "2026-03-02"),
		)
		cl := w.closeQuarter("2026Q1", "2026-04-01")
		var got []string
		for _, e := range cl.accounts["C1"] {
			if f, ok := e.(domain.FundForfeited); ok {
				got = append(got, f.Currency.Code()+"="+f.Amount.String())
			}
		}
		gwSame(t, "forfeits", got, []string{"CNY=50", "USD=10"})
		got = nil
		for _, e := range cl.bounties["C2"] {
			if b, ok := e.(domain.BountyAwarded); ok {
				got = append(got, b.Currency.Code()+"="+b.Amount.String())
			}
		}
		gwSame(t, "bounties to C2", got, []string{"CNY=50", "USD=10"})
		w.thenFund("C1", gwFundWant{asOf: "2026-04-01", quarter: "2026Q1", cur: "USD", status: "forfeited",
			accrued: "10.00", forfeited: "10.00", bountyTo: "C2"})
	})
	t.Run("rebated", func(t *testing.T) {
		w := setup(t)
		cl := w.closeQuarter("2026Q1", "2026-04-01")
		got := map[string]string{}
		for _, e := range cl.accounts["C1"] {
			if r, ok := e.(domain.FundRebated); ok {
				got[r.Currency.Code()] = fmt.Sprintf("%s %v", r.Amount, gwNorm(gwAllocLines(r.Allocations)))
			}
		}
		want := map[string]string{"CNY": "50 [INV-1=50]", "USD": "10 [U-1=10]"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("rebates = %v, want %v", got, want)
		}
		w.thenOutstanding("2026-04-01", "INV-1=950", "U-1=190")
	})
}

func TestZeroFundIsSettledToo(t *testing.T) {
	w := gwFundBooks(t)
	w.given("C1",
		gwAgree("C1", "2026-01-01", "0"),
		gwInvoice("INV-1", "C1", "2026-01-15", "1000.00", "CNY"),
	)
	cl := w.closeQuarter("2026Q1", "2026-04-01")
	r := gwOnly[domain.FundRebated](t, cl.accounts["C1"])
	gwEq(t, "rebate", r.Amount, "0")
	w.thenFund("C1", gwFundWant{asOf: "2026-04-01", quarter: "2026Q1", cur: "CNY", status: "rebated", accrued: "0.00", rebated: "0.00"})
	w.thenOutstanding("2026-04-01", "INV-1=1000")
}
