package domain_test

// SPEC sections 1, 3, 4 and 5: invoices, payments, allocation, credit notes,
// extensions, disputes, the six-month rule, write-offs and recoveries, "as of" values.

import (
	"fmt"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

// ---------------------------------------------------------------------------
// Invoices
// ---------------------------------------------------------------------------

func TestInvoiceDueDateDefaultsToIssuePlusTerms(t *testing.T) {
	cases := []struct {
		name        string
		terms       int
		on, due     string // due "" = default
		want, field string // field: refused on it
	}{
		{"30 days terms", 30, "2026-01-10", "", "2026-02-09", ""},
		{"terms across year end", 30, "2026-12-15", "", "2027-01-14", ""},
		{"zero terms: due on issue", 0, "2026-01-10", "", "2026-01-10", ""},
		{"explicit due kept", 30, "2026-01-10", "2026-03-01", "2026-03-01", ""},
		{"explicit due on the issue date", 30, "2026-01-10", "2026-01-10", "2026-01-10", ""},
		{"explicit due before issue refused", 30, "2026-01-10", "2026-01-09", "", "due"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := gwGiven(t, gwEvents("C1", gwRegistered("C1", "2025-12-01", 1, c.terms)))
			cmd := gwInvoice("INV-1", "C1", c.on, "100.00", "CNY")
			if c.due != "" {
				cmd.Due = gwD(c.due)
			}
			r := w.when("C1", cmd)
			if c.field != "" {
				r.refused(c.field)
				if _, ok := w.account("C1").Invoice("INV-1"); ok {
					t.Errorf("a refused invoice was recorded")
				}
				return
			}
			ev := gwOnly[domain.InvoiceIssued](t, r.ok())
			if ev.Due != gwD(c.want) {
				t.Errorf("due = %s, want %s", ev.Due, c.want)
			}
			if got := w.invoice("INV-1").DueAsOf(gwD(c.on)); got != gwD(c.want) {
				t.Errorf("DueAsOf(issue) = %s, want %s", got, c.want)
			}
		})
	}
}

func TestInvoiceRefusals(t *testing.T) {
	w := gwCustomers(t, "C1")
	w.given("C1", gwInvoice("INV-1", "C1", "2026-01-10", "100.00", "CNY"))
	t.Run("duplicate invoice id", func(t *testing.T) {
		w.when("C1", gwInvoice("INV-1", "C1", "2026-01-11", "50.00", "CNY")).refused("invoice")
		w.thenOutstanding("2026-01-31", "INV-1=100.00")
	})
	t.Run("unregistered customer", func(t *testing.T) {
		w.when("NOBODY", gwInvoice("INV-2", "NOBODY", "2026-01-11", "50.00", "CNY")).refused("customer")
	})
}

func TestOutstandingCountsFromTheIssueDate(t *testing.T) {
	w := gwCustomers(t, "C1")
	w.given("C1", gwInvoice("INV-1", "C1", "2026-01-10", "100.00", "CNY"))
	w.thenOutstanding("2026-01-09", "INV-1=0")
	w.thenOutstanding("2026-01-10", "INV-1=100.00")
}

// ---------------------------------------------------------------------------
// Payments and allocation
// ---------------------------------------------------------------------------

// gwFifoBooks: six CNY invoices of 100.00 whose FIFO order is INV-1 (earliest due),
// ZZ-OLD (due 02-01, issued earliest, though its id sorts late), then the invoices due
// 02-01 issued 01-01 by id as bytes: INV-10 < INV-9 < INV-B < inv-1.
func gwFifoBooks(t *testing.T) *gwWorld {
	w := gwCustomers(t, "C1")
	w.given("C1",
		gwInvoiceDue("INV-9", "C1", "2026-01-01", "2026-02-01", "100.00", "CNY"),
		gwInvoiceDue("inv-1", "C1", "2026-01-01", "2026-02-01", "100.00", "CNY"),
		gwInvoiceDue("INV-10", "C1", "2026-01-01", "2026-02-01", "100.00", "CNY"),
		gwInvoiceDue("INV-1", "C1", "2026-01-05", "2026-01-20", "100.00", "CNY"),
		gwInvoiceDue("INV-B", "C1", "2026-01-01", "2026-02-01", "100.00", "CNY"),
		gwInvoiceDue("ZZ-OLD", "C1", "2025-12-20", "2026-02-01", "100.00", "CNY"),
	)
	return w
}

func TestPaymentAllocatesOldestFirstByDueThenIssueThenIdAsBytes(t *testing.T) {
	cases := []struct {
		amount    string
		want      []string
		unapplied string
	}{
		{"50.00", []string{"INV-1=50"}, "0"},
		{"250.00", []string{"INV-1=100", "ZZ-OLD=100", "INV-10=50"}, "0"},
		{"350.00", []string{"INV-1=100", "ZZ-OLD=100", "INV-10=100", "INV-9=50"}, "0"},
		{"550.00", []string{"INV-1=100", "ZZ-OLD=100", "INV-10=100", "INV-9=100", "INV-B=100", "inv-1=50"}, "0"},
		{"700.00", []string{"INV-1=100", "ZZ-OLD=100", "INV-10=100", "INV-9=100", "INV-B=100", "inv-1=100"}, "100"},
	}
	for _, c := range cases {
		t.Run(c.amount, func(t *testing.T) {
			w := gwFifoBooks(t)
			ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P1", "C1", "2026-02-10", c.amount, "CNY")).ok())
			gwSame(t, "allocations", gwAllocLines(ev.Allocations), c.want)
			gwEq(t, "unapplied", ev.Unapplied, c.unapplied)
			w.thenUnapplied("C1", "P1", "2026-02-10", c.unapplied)
		})
	}
}

func TestPaymentFifoUsesTheEffectiveDueDate(t *testing.T) {
	w := gwCustomers(t, "C1") // grade 1: extensions allowed
	w.given("C1",
		gwInvoiceDue("X-1", "C1", "2026-01-01", "2026-01-20", "100.00", "CNY"),
		gwInvoiceDue("X-2", "C1", "2026-01-02", "2026-02-01", "100.00", "CNY"),
		gwExtend("X-1", "2026-01-10", "2026-02-15"),
	)
	ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P1", "C1", "2026-01-12", "150.00", "CNY")).ok())
	gwSame(t, "allocations", gwAllocLines(ev.Allocations), []string{"X-2=100", "X-1=50"})
}

func TestPaymentSkipsDisputedInvoicesUnlessExplicit(t *testing.T) {
	setup := func(t *testing.T) *gwWorld {
		w := gwCustomers(t, "C1")
		w.given("C1",
			gwInvoiceDue("X-1", "C1", "2026-01-01", "2026-01-20", "100.00", "CNY"),
			gwInvoiceDue("X-2", "C1", "2026-01-02", "2026-02-01", "100.00", "CNY"),
			gwDispute("X-1", "2026-01-10"),
		)
		return w
	}
	t.Run("FIFO skips the disputed invoice", func(t *testing.T) {
		w := setup(t)
		ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P1", "C1", "2026-01-12", "150.00", "CNY")).ok())
		gwSame(t, "allocations", gwAllocLines(ev.Allocations), []string{"X-2=100"})
		gwEq(t, "unapplied", ev.Unapplied, "50")
		w.thenOutstanding("2026-01-12", "X-1=100", "X-2=0")
	})
	t.Run("explicit allocation to the disputed invoice is allowed", func(t *testing.T) {
		w := setup(t)
		ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P1", "C1", "2026-01-12", "150.00", "CNY", "X-1=60")).ok())
		gwSame(t, "allocations", gwAllocLines(ev.Allocations), []string{"X-1=60", "X-2=90"})
		w.thenOutstanding("2026-01-12", "X-1=40", "X-2=10")
	})
	t.Run("resolved dispute: back in FIFO", func(t *testing.T) {
		w := setup(t)
		w.given("C1", gwResolve("X-1", "2026-01-11"))
		ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P1", "C1", "2026-01-12", "150.00", "CNY")).ok())
		gwSame(t, "allocations", gwAllocLines(ev.Allocations), []string{"X-1=100", "X-2=50"})
	})
}

func TestPaymentExplicitLinesFirstThenFifo(t *testing.T) {
	setup := func(t *testing.T) *gwWorld {
		w := gwCustomers(t, "C1")
		w.given("C1",
			gwInvoiceDue("INV-1", "C1", "2026-01-01", "2026-01-31", "100.00", "CNY"),
			gwInvoiceDue("INV-2", "C1", "2026-01-02", "2026-02-01", "100.00", "CNY"),
			gwInvoiceDue("INV-3", "C1", "2026-01-03", "2026-02-02", "100.00", "CNY"),
		)
		return w
	}
	t.Run("explicit to the newest, the rest to the oldest", func(t *testing.T) {
		w := setup(t)
		ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P1", "C1", "2026-02-10", "180.00", "CNY", "INV-3=100.00")).ok())
		gwSame(t, "allocations", gwAllocLines(ev.Allocations), []string{"INV-3=100", "INV-1=80"})
		if len(ev.Allocations) == 2 {
			if !ev.Allocations[0].Explicit || ev.Allocations[1].Explicit {
				t.Errorf("explicit flags = %v, %v; want true, false", ev.Allocations[0].Explicit, ev.Allocations[1].Explicit)
			}
			gwEq(t, "INV-3 remaining", ev.Allocations[0].Remaining, "0")
			gwEq(t, "INV-1 remaining", ev.Allocations[1].Remaining, "20")
		}
		w.thenOutstanding("2026-02-10", "INV-1=20", "INV-2=100", "INV-3=0")
	})
	t.Run("FIFO continues with what the explicit line left on an invoice", func(t *testing.T) {
		w := setup(t)
		ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P1", "C1", "2026-02-10", "250.00", "CNY", "INV-2=30.00")).ok())
		gwSame(t, "allocations", gwAllocLines(ev.Allocations), []string{"INV-2=30", "INV-1=100", "INV-2=70", "INV-3=50"})
		w.thenOutstanding("2026-02-10", "INV-1=0", "INV-2=0", "INV-3=50")
	})
	t.Run("explicit lines exactly the amount", func(t *testing.T) {
		w := setup(t)
		ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P1", "C1", "2026-02-10", "100.00", "CNY", "INV-3=60.00", "INV-2=40.00")).ok())
		gwSame(t, "allocations", gwAllocLines(ev.Allocations), []string{"INV-3=60", "INV-2=40"})
		gwEq(t, "unapplied", ev.Unapplied, "0")
	})
}

func TestPaymentRefusals(t *testing.T) {
	cases := []struct {
		name  string
		pay   *domain.RecordPayment
		field string
	}{
		{"line above the invoice's outstanding",
			gwPay("P9", "C1", "2026-02-10", "200.00", "CNY", "INV-1=100.01"), "allocations[0].amount"},
		{"second line above what the first left on the invoice",
			gwPay("P9", "C1", "2026-02-10", "200.00", "CNY", "INV-1=60.00", "INV-1=40.01"), "allocations[1].amount"},
		{"lines add up to more than the payment",
			gwPay("P9", "C1", "2026-02-10", "50.00", "CNY", "INV-1=30.00", "INV-2=20.01"), "allocations[1].amount"},
		{"line to an invoice in another currency",
			gwPay("P9", "C1", "2026-02-10", "50.00", "CNY", "U-1=10.00"), "allocations[0].invoice"},
		{"line to an unknown invoice",
			gwPay("P9", "C1", "2026-02-10", "50.00", "CNY", "NOPE=10.00"), "allocations[0].invoice"},
		{"line to another customer's invoice",
			gwPay("P9", "C1", "2026-02-10", "50.00", "CNY", "D-1=10.00"), "allocations[0].invoice"},
		{"line to a paid invoice",
			gwPay("P9", "C1", "2026-02-10", "50.00", "CNY", "INV-3=0.01"), "allocations[0].amount"},
		{"payment id reused",
			gwPay("P1", "C1", "2026-02-10", "50.00", "CNY"), "payment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := gwCustomers(t, "C1", "C2")
			w.given("C1",
				gwInvoiceDue("INV-1", "C1", "2026-01-01", "2026-01-31", "100.00", "CNY"),
				gwInvoiceDue("INV-2", "C1", "2026-01-02", "2026-02-01", "100.00", "CNY"),
				gwInvoiceDue("INV-3", "C1", "2026-01-03", "2026-02-02", "10.00", "CNY"),
				gwInvoiceDue("U-1", "C1", "2026-01-01", "2026-01-31", "100.00", "USD"),
				gwPay("P1", "C1", "2026-01-05", "10.00", "CNY", "INV-3=10.00"),
			)
			w.given("C2", gwInvoice("D-1", "C2", "2026-01-01", "100.00", "CNY"))
			w.when("C1", c.pay).refused(c.field)
			// Nothing recorded.
			w.thenOutstanding("2026-02-10", "INV-1=100", "INV-2=100", "U-1=100", "D-1=100")
			if n := len(w.account("C1").Lots()); n != 1 {
				t.Errorf("%d credit lots after a refusal, want 1", n)
			}
		})
	}
}

func TestPaymentRemainderBecomesUnappliedCreditPerCurrency(t *testing.T) {
	w := gwCustomers(t, "C1")
	w.given("C1", gwInvoice("INV-1", "C1", "2026-01-10", "100.00", "CNY"))
	ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P1", "C1", "2026-01-20", "150.00", "CNY")).ok())
	gwEq(t, "unapplied", ev.Unapplied, "50")
	w.thenUnapplied("C1", "P1", "2026-01-19", "0")
	w.thenUnapplied("C1", "P1", "2026-01-20", "50")
	w.thenOutstanding("2026-01-19", "INV-1=100")
	w.thenOutstanding("2026-01-20", "INV-1=0")

	// Money of another currency is never applied to the CNY invoice.
	w.given("C1", gwInvoice("INV-2", "C1", "2026-01-21", "100.00", "CNY"))
	usd := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P2", "C1", "2026-01-25", "40.00", "USD")).ok())
	if len(usd.Allocations) != 0 {
		t.Errorf("a USD payment was allocated to CNY invoices: %v", gwAllocLines(usd.Allocations))
	}
	gwEq(t, "USD unapplied", usd.Unapplied, "40")
}

// Decide when recorded, count when effective: a payment dated 2026-02-01 recorded after
// invoices issued 03-01 and 03-10 is allocated against them, but each allocation counts
// from the later of the payment's date and the invoice's issue date; until then the
// money is unapplied credit.
func TestBackDatedPaymentCountsFromTheLaterOfItsDateAndTheIssueDate(t *testing.T) {
	w := gwCustomers(t, "C1")
	w.given("C1",
		gwInvoice("INV-1", "C1", "2026-03-01", "100.00", "CNY"),
		gwInvoice("INV-2", "C1", "2026-03-10", "50.00", "CNY"),
	)
	ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P1", "C1", "2026-02-01", "200.00", "CNY")).ok())
	gwSame(t, "allocations", gwAllocLines(ev.Allocations), []string{"INV-1=100", "INV-2=50"})
	gwEq(t, "unapplied", ev.Unapplied, "50")

	steps := []struct{ asOf, credit, inv1, inv2 string }{
		{"2026-01-31", "0", "0", "0"},   // nothing received yet
		{"2026-02-01", "200", "0", "0"}, // received, no invoice yet
		{"2026-02-28", "200", "0", "0"}, // still unapplied credit
		{"2026-03-01", "100", "0", "0"}, // INV-1 issued and paid
		{"2026-03-09", "100", "0", "0"}, // INV-2 not issued yet
		{"2026-03-10", "50", "0", "0"},  // INV-2 issued and paid
		{"2026-12-31", "50", "0", "0"},  // the true remainder
	}
	for _, s := range steps {
		w.thenUnapplied("C1", "P1", s.asOf, s.credit)
		w.thenOutstanding(s.asOf, "INV-1="+s.inv1, "INV-2="+s.inv2)
	}
}

func TestPaymentDatedAfterTheInvoiceCountsFromItsOwnDate(t *testing.T) {
	w := gwCustomers(t, "C1")
	w.given("C1",
		gwInvoice("INV-1", "C1", "2026-03-01", "100.00", "CNY"),
		gwPay("P1", "C1", "2026-04-01", "30.00", "CNY"),
	)
	w.thenOutstanding("2026-03-31", "INV-1=100")
	w.thenOutstanding("2026-04-01", "INV-1=70")
}

// ---------------------------------------------------------------------------
// Unapplied credit applied at a later issue
// ---------------------------------------------------------------------------

func TestUnappliedCreditIsAppliedToTheNextInvoiceOldestCreditFirst(t *testing.T) {
	w := gwCustomers(t, "C1")
	w.given("C1",
		gwPay("P1", "C1", "2026-01-05", "30.00", "CNY"),
		gwPay("P2", "C1", "2026-01-03", "50.00", "CNY"), // recorded later, but the older credit
		gwPay("PU", "C1", "2026-01-01", "40.00", "USD"),
	)
	ev := gwOnly[domain.InvoiceIssued](t, w.when("C1", gwInvoice("INV-1", "C1", "2026-02-01", "60.00", "CNY")).ok())
	var got []string
	for _, a := range ev.Applied {
		got = append(got, a.Source+"="+a.Amount.String())
	}
	gwSame(t, "credit applied to INV-1", got, []string{"P2=50", "P1=10"})
	w.thenOutstanding("2026-02-01", "INV-1=0")
	w.thenOutstanding("2026-01-31", "INV-1=0") // not issued yet
	w.thenUnapplied("C1", "P2", "2026-01-31", "50")
	w.thenUnapplied("C1", "P2", "2026-02-01", "0")
	w.thenUnapplied("C1", "P1", "2026-02-01", "20")
	w.thenUnapplied("C1", "PU", "2026-02-01", "40") // another currency: untouched

	// Up to the invoice's amount: the next invoice takes what is left of P1.
	ev2 := gwOnly[domain.InvoiceIssued](t, w.when("C1", gwInvoice("INV-2", "C1", "2026-02-05", "100.00", "CNY")).ok())
	got = nil
	for _, a := range ev2.Applied {
		got = append(got, a.Source+"="+a.Amount.String())
	}
	gwSame(t, "credit applied to INV-2", got, []string{"P1=20"})
	w.thenOutstanding("2026-02-05", "INV-2=80")

	// A USD invoice takes the USD credit only.
	ev3 := gwOnly[domain.InvoiceIssued](t, w.when("C1", gwInvoice("U-1", "C1", "2026-02-06", "25.00", "USD")).ok())
	got = nil
	for _, a := range ev3.Applied {
		got = append(got, a.Source+"="+a.Amount.String())
	}
	gwSame(t, "credit applied to U-1", got, []string{"PU=25"})
	w.thenUnapplied("C1", "PU", "2026-02-06", "15")
}

func TestUnappliedCreditIsNotReRunOverOlderInvoices(t *testing.T) {
	w := gwCustomers(t, "C1")
	w.given("C1",
		gwInvoice("INV-1", "C1", "2026-01-01", "100.00", "CNY"),
		gwDispute("INV-1", "2026-01-05"),
		gwPay("P1", "C1", "2026-01-10", "80.00", "CNY"), // FIFO skips the disputed INV-1
		gwResolve("INV-1", "2026-01-15"),
	)
	w.thenOutstanding("2026-01-20", "INV-1=100")
	w.thenUnapplied("C1", "P1", "2026-01-20", "80")
	w.given("C1", gwInvoice("INV-2", "C1", "2026-01-20", "50.00", "CNY"))
	w.thenOutstanding("2026-01-20", "INV-1=100", "INV-2=0")
	w.thenUnapplied("C1", "P1", "2026-01-20", "30")
}

func TestCreditAppliedToABackDatedInvoiceCountsFromTheCreditsDate(t *testing.T) {
	w := gwCustomers(t, "C1")
	w.given("C1",
		gwPay("P1", "C1", "2026-05-01", "80.00", "CNY"),
		gwInvoice("INV-1", "C1", "2026-03-01", "100.00", "CNY"), // recorded later, issued earlier
	)
	w.thenOutstanding("2026-04-30", "INV-1=100")
	w.thenOutstanding("2026-05-01", "INV-1=20")
	w.thenUnapplied("C1", "P1", "2026-05-01", "0")
}

// ---------------------------------------------------------------------------
// Credit notes
// ---------------------------------------------------------------------------

func TestLinkedCreditNoteReducesItsInvoiceFromItsDate(t *testing.T) {
	w := gwCustomers(t, "C1")
	w.given("C1",
		gwInvoiceDue("INV-1", "C1", "2026-01-10", "2026-02-09", "100.00", "CNY"),
		gwInvoiceDue("INV-0", "C1", "2026-01-01", "2026-01-31", "100.00", "CNY"),
	)
	ev := gwOnly[domain.CreditNoteIssued](t, w.when("C1", gwCredit("CN-1", "C1", "2026-02-01", "30.00", "CNY", "INV-1")).ok())
	if ev.Invoice != "INV-1" || len(ev.Allocations) != 0 {
		t.Errorf("linked credit note = %+v, want reducing INV-1 only", ev)
	}
	w.thenOutstanding("2026-01-31", "INV-1=100", "INV-0=100")
	w.thenOutstanding("2026-02-01", "INV-1=70", "INV-0=100")
	// The whole outstanding may be credited.
	w.given("C1", gwCredit("CN-2", "C1", "2026-02-02", "70.00", "CNY", "INV-1"))
	w.thenOutstanding("2026-02-02", "INV-1=0")
}

func TestLinkedCreditNoteRefusals(t *testing.T) {
	cases := []struct {
		name  string
		cn    *domain.IssueCreditNote
		field string
	}{
		{"more than the outstanding", gwCredit("CN-9", "C1", "2026-02-01", "60.01", "CNY", "INV-1"), "amount"},
		{"another currency", gwCredit("CN-9", "C1", "2026-02-01", "10.00", "USD", "INV-1"), "currency"},
		{"a written-off invoice", gwCredit("CN-9", "C1", "2026-09-01", "10.00", "CNY", "INV-W"), "invoice"},
		{"dated before the invoice's issue date", gwCredit("CN-9", "C1", "2026-01-09", "10.00", "CNY", "INV-1"), "on"},
		{"an unknown invoice", gwCredit("CN-9", "C1", "2026-02-01", "10.00", "CNY", "NOPE"), "invoice"},
		{"credit note id reused", gwCredit("CN-1", "C1", "2026-02-01", "10.00", "CNY", "INV-1"), "credit_note"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := gwCustomers(t, "C1")
			w.given("C1",
				gwInvoice("INV-W", "C1", "2026-01-01", "100.00", "CNY"),
				gwWriteOff("INV-W", "2026-08-31", true),
				gwInvoice("INV-1", "C1", "2026-01-10", "100.00", "CNY"),
				gwPay("P1", "C1", "2026-01-20", "40.00", "CNY", "INV-1=40.00"),
				gwCredit("CN-1", "C1", "2026-01-21", "0.01", "USD", ""), // stays unapplied: no USD invoice
			)
			w.when("C1", c.cn).refused(c.field)
			w.thenOutstanding("2026-12-31", "INV-1=60", "INV-W=0")
		})
	}
	t.Run("exactly the outstanding is allowed", func(t *testing.T) {
		w := gwCustomers(t, "C1")
		w.given("C1",
			gwInvoice("INV-1", "C1", "2026-01-10", "100.00", "CNY"),
			gwPay("P1", "C1", "2026-01-20", "40.00", "CNY", "INV-1=40.00"),
		)
		w.when("C1", gwCredit("CN-9", "C1", "2026-02-01", "60.00", "CNY", "INV-1")).ok()
		w.thenOutstanding("2026-02-01", "INV-1=0")
	})
}

func TestUnlinkedCreditNoteIsAllocatedLikeAPayment(t *testing.T) {
	w := gwCustomers(t, "C1")
	w.given("C1",
		gwInvoiceDue("INV-2", "C1", "2026-01-02", "2026-02-28", "100.00", "CNY"),
		gwInvoiceDue("INV-1", "C1", "2026-01-01", "2026-01-31", "100.00", "CNY"),
		gwInvoiceDue("INV-3", "C1", "2026-01-01", "2026-01-15", "100.00", "CNY"),
		gwDispute("INV-3", "2026-01-05"),
	)
	ev := gwOnly[domain.CreditNoteIssued](t, w.when("C1", gwCredit("CN-1", "C1", "2026-02-10", "150.00", "CNY", "")).ok())
	gwSame(t, "allocations", gwAllocLines(ev.Allocations), []string{"INV-1=100", "INV-2=50"})
	gwEq(t, "unapplied", ev.Unapplied, "0")
	w.thenOutstanding("2026-02-09", "INV-1=100", "INV-2=100", "INV-3=100")
	w.thenOutstanding("2026-02-10", "INV-1=0", "INV-2=50", "INV-3=100")

	ev = gwOnly[domain.CreditNoteIssued](t, w.when("C1", gwCredit("CN-2", "C1", "2026-02-11", "80.00", "CNY", "")).ok())
	gwSame(t, "allocations", gwAllocLines(ev.Allocations), []string{"INV-2=50"})
	gwEq(t, "unapplied", ev.Unapplied, "30")
	w.thenUnapplied("C1", "CN-2", "2026-02-11", "30")
}

// ---------------------------------------------------------------------------
// Extensions (section 4)
// ---------------------------------------------------------------------------

// gwExtBooks: C1 registered 2026-01-01 with a grade; INV-1 issued 2026-03-01 due
// 2026-03-31 (original due + 90 days = 2026-06-29).
func gwExtBooks(t *testing.T, grade int) *gwWorld {
	w := gwGiven(t, gwEvents("C1", gwRegistered("C1", "2026-01-01", grade, 30)))
	w.given("C1", gwInvoiceDue("INV-1", "C1", "2026-03-01", "2026-03-31", "100.00", "CNY"))
	return w
}

func TestExtensionNeedsGradeOneOrTwoOnItsDate(t *testing.T) {
	for _, c := range []struct {
		grade int
		ok    bool
	}{{1, true}, {2, true}, {3, false}, {4, false}, {5, false}} {
		t.Run(fmt.Sprintf("grade %d", c.grade), func(t *testing.T) {
			w := gwExtBooks(t, c.grade)
			r := w.when("C1", gwExtend("INV-1", "2026-03-10", "2026-04-30"))
			if c.ok {
				ev := gwOnly[domain.ExtensionGranted](t, r.ok())
				if ev.Due != gwD("2026-04-30") || ev.PreviousDue != gwD("2026-03-31") {
					t.Errorf("extension = %+v, want due 2026-04-30 from 2026-03-31", ev)
				}
			} else {
				r.refused("")
			}
		})
	}
	t.Run("downgraded from the assessment's date", func(t *testing.T) {
		w := gwExtBooks(t, 2)
		w.given("C1", gwAssess("C1", "2026-03-15", "BBBB", "")) // grade 3 from 03-15
		w.when("C1", gwExtend("INV-1", "2026-03-15", "2026-04-30")).refused("")
		w.when("C1", gwExtend("INV-1", "2026-03-14", "2026-04-30")).ok()
	})
	t.Run("an upgrade dated after the extension does not count", func(t *testing.T) {
		w := gwExtBooks(t, 3)
		w.given("C1", gwAssess("C1", "2026-03-15", "AAAA", "")) // grade 1 from 03-15
		w.when("C1", gwExtend("INV-1", "2026-03-14", "2026-04-30")).refused("")
		w.when("C1", gwExtend("INV-1", "2026-03-15", "2026-04-30")).ok()
	})
}

func TestExtensionDueDateLimits(t *testing.T) {
	cases := []struct {
		name   string
		before []string // earlier extensions' new due dates, granted on 03-05, 03-06
		due    string
		field  string // "" = accepted; "-" = refused, any field
	}{
		{"day 90 after the original due", nil, "2026-06-29", ""},
		{"day 91 after the original due", nil, "2026-06-30", "due"},
		{"same as the current due", nil, "2026-03-31", "due"},
		{"before the current due", nil, "2026-03-30", "due"},
		{"one day later", nil, "2026-04-01", ""},
		{"second: 90 days after the ORIGINAL due", []string{"2026-05-31"}, "2026-06-29", ""},
		{"second: 91 days after the original due", []string{"2026-05-31"}, "2026-06-30", "due"},
		{"second: later than the original but not the current due", []string{"2026-05-31"}, "2026-05-15", "due"},
		{"second: same as the current due", []string{"2026-05-31"}, "2026-05-31", "due"},
		{"third extension", []string{"2026-04-15", "2026-05-15"}, "2026-06-01", "-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := gwExtBooks(t, 1)
			for i, d := range c.before {
				w.given("C1", gwExtend("INV-1", fmt.Sprintf("2026-03-%02d", 5+i), d))
			}
			r := w.when("C1", gwExtend("INV-1", "2026-03-10", c.due))
			switch c.field {
			case "":
				r.ok()
				if got := w.invoice("INV-1").DueAsOf(gwD("2026-03-10")); got != gwD(c.due) {
					t.Errorf("DueAsOf(2026-03-10) = %s, want %s", got, c.due)
				}
			case "-":
				r.refused("")
			default:
				r.refused(c.field)
			}
		})
	}
}

func TestExtensionNeedsAnOpenInvoice(t *testing.T) {
	t.Run("paid", func(t *testing.T) {
		w := gwExtBooks(t, 1)
		w.given("C1", gwPay("P1", "C1", "2026-03-05", "100.00", "CNY"))
		w.when("C1", gwExtend("INV-1", "2026-03-10", "2026-04-30")).refused("")
	})
	t.Run("written off", func(t *testing.T) {
		w := gwExtBooks(t, 1)
		w.given("C1", gwWriteOff("INV-1", "2026-03-05", true))
		w.when("C1", gwExtend("INV-1", "2026-03-10", "2026-04-30")).refused("")
	})
	t.Run("dated before the issue date", func(t *testing.T) {
		w := gwExtBooks(t, 1)
		w.when("C1", gwExtend("INV-1", "2026-02-28", "2026-04-30")).refused("on")
	})
	t.Run("unknown invoice", func(t *testing.T) {
		w := gwExtBooks(t, 1)
		w.when("C1", gwExtend("NOPE", "2026-03-10", "2026-04-30")).refused("invoice")
	})
}

func TestDueAsOfCountsExtensionsFromTheirDates(t *testing.T) {
	w := gwExtBooks(t, 1)
	w.given("C1",
		gwExtend("INV-1", "2026-03-20", "2026-04-30"),
		gwExtend("INV-1", "2026-04-10", "2026-05-20"),
	)
	inv := w.invoice("INV-1")
	for _, c := range []struct{ asOf, want string }{
		{"2026-03-01", "2026-03-31"},
		{"2026-03-19", "2026-03-31"},
		{"2026-03-20", "2026-04-30"},
		{"2026-04-09", "2026-04-30"},
		{"2026-04-10", "2026-05-20"},
		{"2026-12-31", "2026-05-20"},
	} {
		if got := inv.DueAsOf(gwD(c.asOf)); got != gwD(c.want) {
			t.Errorf("DueAsOf(%s) = %s, want %s", c.asOf, got, c.want)
		}
	}
}

// ---------------------------------------------------------------------------
// Disputes
// ---------------------------------------------------------------------------

func TestDisputeRules(t *testing.T) {
	setup := func(t *testing.T) *gwWorld {
		w := gwCustomers(t, "C1")
		w.given("C1",
			gwInvoice("INV-1", "C1", "2026-01-10", "100.00", "CNY"),
			gwInvoice("INV-P", "C1", "2026-01-10", "50.00", "CNY"),
			gwPay("P1", "C1", "2026-01-15", "50.00", "CNY", "INV-P=50.00"),
			gwInvoice("INV-W", "C1", "2026-01-10", "50.00", "CNY"),
			gwWriteOff("INV-W", "2026-01-20", true),
		)
		return w
	}
	t.Run("open on a paid invoice refused", func(t *testing.T) {
		setup(t).when("C1", gwDispute("INV-P", "2026-02-01")).refused("invoice")
	})
	t.Run("open on a written-off invoice refused", func(t *testing.T) {
		setup(t).when("C1", gwDispute("INV-W", "2026-02-01")).refused("invoice")
	})
	t.Run("open twice refused", func(t *testing.T) {
		w := setup(t)
		w.given("C1", gwDispute("INV-1", "2026-02-01"))
		w.when("C1", gwDispute("INV-1", "2026-02-02")).refused("invoice")
	})
	t.Run("resolve without a dispute refused", func(t *testing.T) {
		setup(t).when("C1", gwResolve("INV-1", "2026-02-01")).refused("invoice")
	})
	t.Run("open before the issue date refused", func(t *testing.T) {
		setup(t).when("C1", gwDispute("INV-1", "2026-01-09")).refused("on")
	})
	t.Run("DisputedOn follows the dates", func(t *testing.T) {
		w := setup(t)
		w.given("C1",
			gwDispute("INV-1", "2026-02-10"),
			gwResolve("INV-1", "2026-03-01"),
			gwDispute("INV-1", "2026-04-01"),
		)
		inv := w.invoice("INV-1")
		for _, c := range []struct {
			on   string
			want bool
		}{
			{"2026-02-09", false}, {"2026-02-10", true}, {"2026-02-28", true},
			{"2026-03-01", false}, {"2026-03-31", false}, {"2026-04-01", true}, {"2026-12-31", true},
		} {
			if got := inv.DisputedOn(gwD(c.on)); got != c.want {
				t.Errorf("DisputedOn(%s) = %v, want %v", c.on, got, c.want)
			}
		}
	})
}

// ---------------------------------------------------------------------------
// Section 5: doubtful, write-off, recovery
// ---------------------------------------------------------------------------

func TestDoubtfulFromTheDayAfterDuePlusSixMonths(t *testing.T) {
	cases := []struct{ due, from string }{
		{"2026-01-31", "2026-08-01"},
		{"2026-08-31", "2027-03-01"},
		{"2027-02-28", "2027-08-29"},
		{"2028-02-29", "2028-08-30"},
		{"2027-08-31", "2028-03-01"},
		{"2026-03-31", "2026-10-01"},
		{"2026-06-15", "2026-12-16"},
	}
	for _, c := range cases {
		t.Run("due "+c.due, func(t *testing.T) {
			w := gwCustomers(t, "C1")
			issue := gwD(c.due).AddDays(-10).String()
			w.given("C1", gwInvoiceDue("INV-1", "C1", issue, c.due, "100.00", "CNY"))
			inv := w.invoice("INV-1")
			from := gwD(c.from)
			if inv.DoubtfulOn(from - 1) {
				t.Errorf("DoubtfulOn(%s) = true, want false", from-1)
			}
			if !inv.DoubtfulOn(from) {
				t.Errorf("DoubtfulOn(%s) = false, want true", from)
			}
			if got := inv.DoubtfulSince(from); got != from {
				t.Errorf("DoubtfulSince = %s, want %s", got, from)
			}
		})
	}
}

func TestDoubtfulNeedsSomethingOutstandingAndNoWriteOff(t *testing.T) {
	cases := []struct {
		name  string
		steps []domain.Command
		want  map[string]bool // as of -> doubtful
	}{
		{"paid before the doubtful day",
			[]domain.Command{gwPay("P1", "C1", "2026-03-01", "100.00", "CNY")},
			map[string]bool{"2026-08-01": false, "2026-12-31": false}},
		{"partly paid",
			[]domain.Command{gwPay("P1", "C1", "2026-03-01", "99.99", "CNY")},
			map[string]bool{"2026-07-31": false, "2026-08-01": true}},
		{"paid after the doubtful day",
			[]domain.Command{gwPay("P1", "C1", "2026-09-01", "100.00", "CNY")},
			map[string]bool{"2026-08-01": true, "2026-08-31": true, "2026-09-01": false}},
		{"credited in full",
			[]domain.Command{gwCredit("CN-1", "C1", "2026-03-01", "100.00", "CNY", "INV-1")},
			map[string]bool{"2026-08-01": false}},
		{"written off",
			[]domain.Command{gwWriteOff("INV-1", "2026-05-01", true)},
			map[string]bool{"2026-04-30": false, "2026-08-01": false}},
		{"written off after the doubtful day",
			[]domain.Command{gwWriteOff("INV-1", "2026-08-15", false)},
			map[string]bool{"2026-08-01": true, "2026-08-14": true, "2026-08-15": false}},
		{"extended to 2026-03-31",
			[]domain.Command{gwExtend("INV-1", "2026-01-20", "2026-03-31")},
			map[string]bool{"2026-08-01": false, "2026-09-30": false, "2026-10-01": true}},
		{"disputed stays doubtful",
			[]domain.Command{gwDispute("INV-1", "2026-02-01")},
			map[string]bool{"2026-08-01": true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := gwCustomers(t, "C1")
			w.given("C1", gwInvoiceDue("INV-1", "C1", "2026-01-01", "2026-01-31", "100.00", "CNY"))
			w.given("C1", c.steps...)
			for asOf, want := range c.want {
				if got := w.invoice("INV-1").DoubtfulOn(gwD(asOf)); got != want {
					t.Errorf("DoubtfulOn(%s) = %v, want %v", asOf, got, want)
				}
			}
		})
	}
}

// gwWriteOffBooks: INV-1 100.00 due 2026-01-31 (doubtful from 2026-08-01), 30.00 paid.
func gwWriteOffBooks(t *testing.T) *gwWorld {
	w := gwCustomers(t, "C1")
	w.given("C1",
		gwInvoiceDue("INV-1", "C1", "2026-01-01", "2026-01-31", "100.00", "CNY"),
		gwPay("P0", "C1", "2026-02-15", "30.00", "CNY"),
	)
	return w
}

func TestWriteOffNeedsDoubtfulOrForce(t *testing.T) {
	cases := []struct {
		on    string
		force bool
		field string // "" = accepted
	}{
		{"2026-07-31", false, "force"},
		{"2026-08-01", false, ""},
		{"2026-02-20", true, ""},
		{"2025-12-31", true, "on"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s force=%v", c.on, c.force), func(t *testing.T) {
			w := gwWriteOffBooks(t)
			r := w.when("C1", gwWriteOff("INV-1", c.on, c.force))
			if c.field != "" {
				r.refused(c.field)
				if w.invoice("INV-1").WrittenOff() != nil {
					t.Errorf("a refused write-off was recorded")
				}
				return
			}
			ev := gwOnly[domain.InvoiceWrittenOff](t, r.ok())
			gwEq(t, "amount written off", ev.Amount, "70")
			if ev.Forced != c.force {
				t.Errorf("forced = %v, want %v", ev.Forced, c.force)
			}
		})
	}
}

func TestWriteOffTakesTheWholeOutstandingFromItsDate(t *testing.T) {
	w := gwWriteOffBooks(t)
	w.given("C1", gwWriteOff("INV-1", "2026-08-01", false))
	inv := w.invoice("INV-1")
	w.thenOutstanding("2026-07-31", "INV-1=70")
	w.thenOutstanding("2026-08-01", "INV-1=0")
	if inv.WrittenOffBy(gwD("2026-07-31")) || !inv.WrittenOffBy(gwD("2026-08-01")) {
		t.Errorf("WrittenOffBy does not follow the write-off's date")
	}
	t.Run("written off twice refused", func(t *testing.T) {
		w.when("C1", gwWriteOff("INV-1", "2026-09-01", true)).refused("invoice")
	})
	t.Run("nothing outstanding refused", func(t *testing.T) {
		w.given("C1",
			gwInvoice("INV-2", "C1", "2026-01-01", "10.00", "CNY"),
			gwPay("P2", "C1", "2026-01-02", "10.00", "CNY", "INV-2=10.00"),
		)
		w.when("C1", gwWriteOff("INV-2", "2026-09-01", true)).refused("")
	})
	t.Run("FIFO no longer allocates to it", func(t *testing.T) {
		ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("P3", "C1", "2026-09-01", "5.00", "CNY")).ok())
		if len(ev.Allocations) != 0 || len(ev.Recoveries) != 0 {
			t.Errorf("a payment without lines went to the written-off invoice: %+v", ev)
		}
	})
}

func TestRecoveryOnAWrittenOffInvoice(t *testing.T) {
	w := gwWriteOffBooks(t)
	w.given("C1",
		gwWriteOff("INV-1", "2026-08-01", false), // 70.00 written off
		gwInvoiceDue("INV-2", "C1", "2026-08-05", "2026-09-05", "100.00", "CNY"),
	)
	ev := gwOnly[domain.PaymentRecorded](t, w.when("C1", gwPay("R1", "C1", "2026-09-01", "50.00", "CNY", "INV-1=40.00")).ok())
	if len(ev.Recoveries) != 1 || ev.Recoveries[0].Invoice != "INV-1" || !ev.Recoveries[0].Amount.Equal(gwM("40")) {
		t.Errorf("recoveries = %+v, want INV-1 40.00", ev.Recoveries)
	}
	gwSame(t, "allocations (the rest, FIFO)", gwAllocLines(ev.Allocations), []string{"INV-2=10"})
	inv := w.invoice("INV-1")
	gwEq(t, "recovered as of 2026-08-31", inv.RecoveredAsOf(gwD("2026-08-31")), "0")
	gwEq(t, "recovered as of 2026-09-01", inv.RecoveredAsOf(gwD("2026-09-01")), "40")
	// A recovery is not a reduction of receivables.
	w.thenOutstanding("2026-07-31", "INV-1=70")
	w.thenOutstanding("2026-09-01", "INV-1=0", "INV-2=90")

	// Up to the amount written off less earlier recoveries: 30.00 left.
	w.when("C1", gwPay("R2", "C1", "2026-09-02", "30.01", "CNY", "INV-1=30.01")).refused("allocations[0].amount")
	w.when("C1", gwPay("R2", "C1", "2026-09-02", "40.00", "CNY", "INV-1=20.00", "INV-1=10.01")).refused("allocations[1].amount")
	w.when("C1", gwPay("R2", "C1", "2026-09-02", "30.00", "CNY", "INV-1=30.00")).ok()
	gwEq(t, "recovered", inv.RecoveredAsOf(gwD("2026-09-02")), "70")
	w.when("C1", gwPay("R3", "C1", "2026-09-03", "0.01", "CNY", "INV-1=0.01")).refused("allocations[0].amount")
	w.thenOutstanding("2026-09-03", "INV-1=0")
	w.thenUnapplied("C1", "R2", "2026-09-02", "0")
}

// ---------------------------------------------------------------------------
// Customers and entity ids
// ---------------------------------------------------------------------------

func TestRegisterCustomerTwiceRefused(t *testing.T) {
	w := gwGiven(t)
	w.given("C1", gwRegister("C1", "2026-01-01", 2, 30))
	a := w.account("C1")
	if a.GradeOn(gwD("2026-01-01")) != 2 || a.Profile().TermsDays != 30 {
		t.Errorf("registered profile = %+v, grade %d", a.Profile(), a.GradeOn(gwD("2026-01-01")))
	}
	w.when("C1", gwRegister("C1", "2026-01-02", 1, 10)).refused("customer")
	if a.GradeOn(gwD("2026-01-02")) != 2 || a.Profile().TermsDays != 30 {
		t.Errorf("a refused registration changed the account: %+v", a.Profile())
	}
}

// Entity ids are unique across customers: the books know who owns each one, which is
// what the write side checks a new id against.
func TestBooksKnowTheOwnerOfEveryEntityId(t *testing.T) {
	w := gwCustomers(t, "C1", "C2")
	w.given("C1",
		gwInvoice("INV-1", "C1", "2026-01-10", "100.00", "CNY"),
		gwPay("P1", "C1", "2026-01-11", "10.00", "CNY"),
		gwCredit("CN-1", "C1", "2026-01-12", "10.00", "CNY", ""),
	)
	w.given("C1", &domain.ReportViolation{Meta: gwMeta("2026-01-13"), Violation: "V1", Customer: "C1",
		Reporter: "C2", OccurredOn: gwD("2026-01-12")})
	for _, c := range []struct{ kind, id string }{
		{"invoice", "INV-1"}, {"payment", "P1"}, {"credit_note", "CN-1"}, {"violation", "V1"},
	} {
		if owner, ok := w.books.EntityOwner(c.kind, c.id); !ok || owner != "C1" {
			t.Errorf("EntityOwner(%s, %s) = %q, %v; want C1", c.kind, c.id, owner, ok)
		}
	}
	kind, id, field, ok := domain.NewEntity(gwInvoice("INV-1", "C2", "2026-01-20", "5.00", "CNY"))
	if !ok || kind != "invoice" || id != "INV-1" || field != "invoice" {
		t.Errorf("NewEntity(IssueInvoice) = %s %s %s %v", kind, id, field, ok)
	}
}
