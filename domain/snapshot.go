package domain

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// SnapshotVersion changes whenever the shape of Snapshot or of the state it captures
// changes. A snapshot of another version is not restored: the books are folded from
// the stream instead (snapshots are a cache; the stream is the record).
// 2: accounts keep 16-byte digests of command hashes.
// 3: the ledger keeps digests too (one commandLog); a hex sha256 hash is not re-hashed.
// 4: an invoice's extensions, disputes, write-off and recoveries are InvoiceSnapshot
// fields (the invoice keeps them behind a pointer), and so is its amount (kept in
// minor units).
const SnapshotVersion = 4

// Snapshot is the folded books in an exported form, so that a projection can restart
// from it instead of replaying the whole stream. It holds no decisions of its own:
// Restore(b.Snapshot()) gives books equal to b.
type Snapshot struct {
	Version        int
	Accounts       []AccountSnapshot
	Closed         []ClosedQuarter
	LedgerCommands commandLog
}

// ClosedQuarter is a closed quarter and its close date.
type ClosedQuarter struct {
	Quarter Quarter
	On      Date
}

// AccountSnapshot is one account's state.
type AccountSnapshot struct {
	ID            string
	Registered    bool
	Profile       Profile
	Grades        []GradeAt
	Invoices      []InvoiceSnapshot // recording order
	Lots          []LotSnapshot     // recording order
	Payments      []string
	CreditNotes   []string
	LinkedCredits []LinkedCreditSnapshot
	Agreements    []GradeRate
	Violations    []ViolationSnapshot // recording order
	Funds         []FundSnapshot
	Promises      []PromiseRecorded
	Actions       []ActionRecorded
	Reminders     []ReminderSent
	Commands      commandLog
}

// GradeAt is a grade from a date on.
type GradeAt struct {
	On    Date
	Grade int
}

// GradeRate is a fund agreement's rate from a date on.
type GradeRate struct {
	On   Date
	Rate decimal.Decimal
}

// InvoiceSnapshot is an invoice with its recorded view.
type InvoiceSnapshot struct {
	Invoice     Invoice
	Amount      decimal.Decimal
	Outstanding decimal.Decimal
	Disputed    bool
	Extensions  []ExtensionGranted
	Disputes    []DisputeChange
	WrittenOff  *InvoiceWrittenOff
	Recoveries  []Application
	Recovered   decimal.Decimal
}

// LotSnapshot is a credit lot with what is unapplied of it.
type LotSnapshot struct {
	Lot       CreditLot
	Unapplied decimal.Decimal
}

// LinkedCreditSnapshot is a credit note linked to an invoice.
type LinkedCreditSnapshot struct {
	On       Date
	Invoice  string
	Amount   decimal.Decimal
	Currency Currency
}

// ViolationSnapshot is a violation with its recording position.
type ViolationSnapshot struct {
	Violation Violation
	Order     int
}

// FundSnapshot is a closed fund's outcome.
type FundSnapshot struct {
	Key       FundKey
	Rebated   *FundRebated
	Forfeited *FundForfeited
}

// Snapshot captures the books. The caller must keep the books from changing until the
// snapshot is encoded: it shares structure with them.
func (b *Books) Snapshot() Snapshot {
	s := Snapshot{Version: SnapshotVersion, LedgerCommands: b.ledger.commands}
	for q, on := range b.ledger.closed {
		s.Closed = append(s.Closed, ClosedQuarter{Quarter: q, On: on})
	}
	for _, a := range b.accounts {
		as := AccountSnapshot{ID: a.id, Registered: a.registered, Profile: a.profile, Commands: a.commands,
			Promises: make([]PromiseRecorded, 0, len(a.promises)), Actions: a.actions}
		for _, g := range a.grades {
			as.Grades = append(as.Grades, GradeAt{On: g.on, Grade: g.grade})
		}
		for _, inv := range a.invoiceSeq {
			h := inv.read()
			as.Invoices = append(as.Invoices, InvoiceSnapshot{Invoice: *inv, Amount: inv.Amount(), Outstanding: inv.Outstanding(),
				Disputed: inv.disputed, Extensions: h.extensions, Disputes: h.disputes,
				WrittenOff: h.writtenOff, Recoveries: h.recoveries, Recovered: h.recovered})
		}
		for _, l := range a.lots {
			as.Lots = append(as.Lots, LotSnapshot{Lot: *l, Unapplied: l.unapplied})
		}
		for id := range a.payments {
			as.Payments = append(as.Payments, id)
		}
		for id := range a.creditNote {
			as.CreditNotes = append(as.CreditNotes, id)
		}
		for _, c := range a.linkedCNs {
			as.LinkedCredits = append(as.LinkedCredits, LinkedCreditSnapshot{On: c.on, Invoice: c.invoice.ID, Amount: c.amount, Currency: c.currency})
		}
		for _, ag := range a.agreements {
			as.Agreements = append(as.Agreements, GradeRate{On: ag.on, Rate: ag.rate})
		}
		for _, v := range a.violSeq {
			as.Violations = append(as.Violations, ViolationSnapshot{Violation: *v, Order: v.order})
		}
		for k, o := range a.funds {
			as.Funds = append(as.Funds, FundSnapshot{Key: k, Rebated: o.Rebated, Forfeited: o.Forfeited})
		}
		for _, p := range a.promises {
			as.Promises = append(as.Promises, p.PromiseRecorded)
		}
		for _, r := range a.reminders {
			as.Reminders = append(as.Reminders, r)
		}
		s.Accounts = append(s.Accounts, as)
	}
	return s
}

// Restore rebuilds books from a snapshot.
func Restore(s Snapshot) (*Books, error) {
	if s.Version != SnapshotVersion {
		return nil, fmt.Errorf("snapshot version %d, this build reads %d", s.Version, SnapshotVersion)
	}
	b := NewBooks()
	for _, c := range s.Closed {
		b.ledger.closed[c.Quarter] = c.On
	}
	for id, h := range s.LedgerCommands {
		b.ledger.commands[id] = h
	}
	for _, as := range s.Accounts {
		a := NewAccount(as.ID)
		a.registered, a.profile = as.Registered, as.Profile
		for id, h := range as.Commands {
			a.commands[id] = h
		}
		for _, g := range as.Grades {
			a.grades = append(a.grades, gradeChange{on: g.On, grade: g.Grade})
		}
		for _, is := range as.Invoices {
			inv := is.Invoice
			inv.account, inv.disputed = a, is.Disputed
			inv.amount = storeAmount(is.Amount, inv.Currency)
			if is.Extensions != nil || is.Disputes != nil || is.WrittenOff != nil || is.Recoveries != nil || !is.Recovered.IsZero() {
				inv.history = &invoiceHistory{extensions: is.Extensions, disputes: is.Disputes,
					writtenOff: is.WrittenOff, recoveries: is.Recoveries, recovered: is.Recovered}
			}
			inv.setOutstanding(is.Outstanding)
			a.invoices[inv.ID] = &inv
			a.invoiceSeq = append(a.invoiceSeq, &inv)
			b.invoices[inv.ID] = a
		}
		for _, ls := range as.Lots {
			lot := ls.Lot
			lot.unapplied = ls.Unapplied
			lot.settle()
			a.lots = append(a.lots, &lot)
			a.lotByID[lot.ID] = &lot
		}
		for _, id := range as.Payments {
			a.payments[id] = true
			b.payments[id] = a
		}
		for _, id := range as.CreditNotes {
			a.creditNote[id] = true
			b.credits[id] = a
		}
		for _, c := range as.LinkedCredits {
			inv := a.invoices[c.Invoice]
			if inv == nil {
				return nil, fmt.Errorf("snapshot: account %s: credit note on unknown invoice %s", as.ID, c.Invoice)
			}
			a.linkedCNs = append(a.linkedCNs, linkedCredit{on: c.On, invoice: inv, amount: c.Amount, currency: c.Currency})
		}
		for _, ag := range as.Agreements {
			a.agreements = append(a.agreements, agreement{on: ag.On, rate: ag.Rate})
		}
		for _, vs := range as.Violations {
			v := vs.Violation
			v.order = vs.Order
			a.violations[v.ID] = &v
			a.violSeq = append(a.violSeq, &v)
			b.violation[v.ID] = a
		}
		for _, f := range as.Funds {
			a.funds[f.Key] = &FundOutcome{Rebated: f.Rebated, Forfeited: f.Forfeited}
		}
		for _, p := range as.Promises {
			a.promises = append(a.promises, &Promise{p})
		}
		a.actions = as.Actions
		for _, r := range as.Reminders {
			a.reminders[r.Step] = r
		}
		b.adopt(a)
	}
	b.index.rebuild = true // the invoices were not noted as they were recorded
	return b, nil
}
