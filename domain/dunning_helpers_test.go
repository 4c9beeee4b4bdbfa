package domain_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// Test fixtures: accounts built by applying events directly.

var (
	day = domain.MustDate
	cny = domain.MustCurrency("CNY")
	usd = domain.MustCurrency("USD")
	jpy = domain.MustCurrency("JPY")
)

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

type fixture struct {
	t *testing.T
	*domain.Account
}

func customer(t *testing.T, id string, grade int, collector string) fixture {
	t.Helper()
	a := domain.NewAccount(id)
	a.Apply(domain.CustomerRegistered{On: day("2025-12-01"), Customer: id, Name: id,
		Grade: grade, TermsDays: 30, Collector: collector})
	return fixture{t, a}
}

func (f fixture) assess(on string, grade int) fixture {
	f.Apply(domain.CreditAssessed{On: day(on), Grade: grade})
	return f
}

func (f fixture) invoice(id, on, due, amount string) fixture {
	return f.invoiceIn(id, on, due, amount, cny)
}

func (f fixture) invoiceIn(id, on, due, amount string, c domain.Currency) fixture {
	f.Apply(domain.InvoiceIssued{On: day(on), Invoice: id, Amount: money(amount), Currency: c, Due: day(due)})
	return f
}

func (f fixture) inv(id string) *domain.Invoice {
	f.t.Helper()
	inv, ok := f.Invoice(id)
	if !ok {
		f.t.Fatalf("no invoice %s", id)
	}
	return inv
}

// pay records a payment fully allocated to one invoice.
func (f fixture) pay(id, on, invoice, amount string) fixture {
	inv := f.inv(invoice)
	f.Apply(domain.PaymentRecorded{On: day(on), Payment: id, Amount: money(amount), Currency: inv.Currency,
		Allocations: []domain.Allocation{{Invoice: invoice, Amount: money(amount), Remaining: inv.Outstanding().Sub(money(amount))}}})
	return f
}

func (f fixture) creditNote(id, on, invoice, amount string) fixture {
	inv := f.inv(invoice)
	f.Apply(domain.CreditNoteIssued{On: day(on), CreditNote: id, Amount: money(amount), Currency: inv.Currency, Invoice: invoice})
	return f
}

func (f fixture) unlinkedCreditNote(id, on, invoice, amount string) fixture {
	inv := f.inv(invoice)
	f.Apply(domain.CreditNoteIssued{On: day(on), CreditNote: id, Amount: money(amount), Currency: inv.Currency,
		Allocations: []domain.Allocation{{Invoice: invoice, Amount: money(amount), Remaining: inv.Outstanding().Sub(money(amount))}}})
	return f
}

func (f fixture) extend(invoice, on, due string) fixture {
	f.Apply(domain.ExtensionGranted{On: day(on), Invoice: invoice, Due: day(due), PreviousDue: f.inv(invoice).CurrentDue()})
	return f
}

func (f fixture) dispute(invoice, on string) fixture {
	f.Apply(domain.DisputeOpened{On: day(on), Invoice: invoice})
	return f
}

func (f fixture) resolve(invoice, on string) fixture {
	f.Apply(domain.DisputeResolved{On: day(on), Invoice: invoice})
	return f
}

func (f fixture) writeOff(invoice, on string) fixture {
	f.Apply(domain.InvoiceWrittenOff{On: day(on), Invoice: invoice, Amount: f.inv(invoice).Outstanding(), Reason: domain.ReasonOther, Forced: true})
	return f
}

func (f fixture) promise(invoice, on, promised, amount string) fixture {
	f.Apply(domain.PromiseRecorded{On: day(on), Invoice: invoice, Promised: day(promised), Amount: money(amount)})
	return f
}

func (f fixture) action(on, invoice string, act domain.Action) fixture {
	f.Apply(domain.ActionRecorded{On: day(on), Invoice: invoice, Action: act})
	return f
}

func (f fixture) sent(on string, s domain.Step) fixture {
	f.Apply(domain.ReminderSent{On: day(on), Step: s.ID(), Invoice: s.Invoice, Action: s.Action, StepDate: s.Date, Channel: "email", Outcome: "delivered"})
	return f
}

// show renders steps as "date invoice action kind status" lines (kind auto/manual;
// "+broken" for broken-promise calls, "@payment" for short-payment notices).
func show(steps []domain.Step) []string {
	var out []string
	for _, s := range steps {
		kind := "manual"
		if s.Automatic {
			kind = "auto"
		}
		line := fmt.Sprintf("%s %s %s %s %s", s.Date, s.Invoice, s.Action, kind, s.Status)
		if s.BrokenPromise {
			line += " +broken"
		}
		if s.Payment != "" {
			line += " @" + s.Payment
		}
		out = append(out, line)
	}
	return out
}

func only(steps []domain.Step, acts ...domain.Action) []domain.Step {
	var out []domain.Step
	for _, s := range steps {
		for _, a := range acts {
			if s.Action == a {
				out = append(out, s)
			}
		}
	}
	return out
}

func find(t *testing.T, steps []domain.Step, date string, act domain.Action) domain.Step {
	t.Helper()
	for _, s := range steps {
		if s.Date == day(date) && s.Action == act {
			return s
		}
	}
	t.Fatalf("no %s step on %s in\n%s", act, date, strings.Join(show(steps), "\n"))
	return domain.Step{}
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s\n got:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
