package domain

import (
	"crypto/sha256"
	"fmt"

	"github.com/shopspring/decimal"
)

// Remember records that a command id was applied with a content hash. It is part of
// applying a commit, so idempotency outlives any duplicate window of the store.
func (a *Account) Remember(commandID, hash string) { a.commands.remember(commandID, hash) }

// CheckCommand tells whether a command id was already applied: seen with the same hash
// means the command is already recorded (nothing to do); with another hash it is a
// different command reusing the id, which is refused.
func (a *Account) CheckCommand(commandID, hash string) (seen bool, err error) {
	return a.commands.check(commandID, hash)
}

// Digest is what a scope keeps of a command's content hash: 16 bytes. The hash itself
// is 64 hex characters, a 64-byte allocation per command held for the life of the
// process; 128 bits still tell two contents apart.
type Digest [16]byte

// digestOf is the Digest of a content hash. A hex sha256 (64 lowercase hex digits, as
// batch's content hash is) is already uniformly distributed: its first 16 bytes are
// taken as they are. Any other hash (the engine's own, tests' short ones) is hashed.
func digestOf(hash string) Digest {
	var d Digest
	if len(hash) == 64 {
		// Branch-free over a table: hex digits of a hash are random, so tests per byte
		// mispredicted, and this ran for every command of every fold.
		var bad byte
		for i := range 16 {
			hi, lo := hexValue[hash[2*i]], hexValue[hash[2*i+1]]
			bad |= hi | lo
			d[i] = hi<<4 | lo
		}
		for i := 32; i < 64; i++ {
			bad |= hexValue[hash[i]]
		}
		if bad&notHex == 0 {
			return d
		}
	}
	sum := sha256.Sum256([]byte(hash))
	copy(d[:], sum[:16])
	return d
}

// hexValue is the value of a lowercase hex digit, notHex for any other byte.
var hexValue = func() (t [256]byte) {
	for c := range t {
		switch {
		case c >= '0' && c <= '9':
			t[c] = byte(c - '0')
		case c >= 'a' && c <= 'f':
			t[c] = byte(c - 'a' + 10)
		default:
			t[c] = notHex
		}
	}
	return t
}()

const notHex = 0x80

// commandLog is a scope's record of applied commands (accounts and the ledger alike):
// command id -> digest of its content hash.
type commandLog map[string]Digest

func (l commandLog) remember(commandID, hash string) { l[commandID] = digestOf(hash) }

// check: see Account.CheckCommand.
func (l commandLog) check(commandID, hash string) (seen bool, err error) {
	d, ok := l[commandID]
	if !ok {
		return false, nil
	}
	if d != digestOf(hash) {
		return true, fieldErr("id", Duplicate, "command id %q was already used for a different command", commandID)
	}
	return true, nil
}

// Apply folds one recorded event into the account. It never refuses: events are facts.
func (a *Account) Apply(e Event) {
	switch e := e.(type) {
	case CustomerRegistered:
		a.registered = true
		a.profile = Profile{Name: e.Name, Collector: e.Collector, RegisteredOn: e.On,
			TermsDays: e.TermsDays, Email: e.Email, Phone: e.Phone, Webhook: e.Webhook}
		a.grades = append(a.grades, gradeChange{on: e.On, grade: e.Grade})
	case CreditAssessed:
		a.grades = append(a.grades, gradeChange{on: e.On, grade: e.Grade})
	case InvoiceIssued:
		inv := &Invoice{ID: e.Invoice, account: a, Currency: e.Currency, amount: storeAmount(e.Amount, e.Currency),
			Issued: e.On, Due: e.Due, HasFund: e.HasFund, FundRate: e.FundRate}
		inv.outstanding = inv.amount
		a.invoices[e.Invoice] = inv
		a.invoiceSeq = append(a.invoiceSeq, inv)
		for _, c := range e.Applied {
			lot := a.lotByID[c.Source]
			if lot == nil {
				panic(fmt.Sprintf("invoice %s applies unknown credit %s", e.Invoice, c.Source))
			}
			a.applyLot(lot, Allocation{Invoice: inv.ID, Amount: c.Amount})
			inv.Apps[len(inv.Apps)-1].AtIssue = true
		}
	case PaymentRecorded:
		a.payments[e.Payment] = true
		lot := a.addLot(e.Payment, AppPayment, e.On, e.Currency, e.Amount)
		a.applyAllocations(lot, e.Allocations)
		for _, r := range e.Recoveries {
			inv := a.invoices[r.Invoice]
			on := maxDate(e.On, inv.Issued)
			h := inv.write()
			h.recoveries = append(h.recoveries, Application{Source: e.Payment, Kind: AppPayment,
				On: on, MoneyOn: e.On, Amount: r.Amount, Explicit: true})
			h.recovered = h.recovered.Add(r.Amount)
			lot.use(on, r.Amount)
		}
	case CreditNoteIssued:
		a.creditNote[e.CreditNote] = true
		if e.Invoice != "" {
			inv := a.invoices[e.Invoice]
			left := inv.reduce(e.Amount)
			inv.Apps = append(inv.Apps, Application{Source: e.CreditNote, Kind: AppLinkedCredit,
				On: maxDate(e.On, inv.Issued), MoneyOn: e.On, Amount: e.Amount,
				Remaining: left, Explicit: true})
			a.linkedCNs = append(a.linkedCNs, linkedCredit{on: e.On, invoice: inv, amount: e.Amount, currency: e.Currency})
			return
		}
		lot := a.addLot(e.CreditNote, AppCreditNote, e.On, e.Currency, e.Amount)
		a.applyAllocations(lot, e.Allocations)
	case ExtensionGranted:
		inv := a.invoices[e.Invoice]
		h := inv.write()
		h.extensions = append(h.extensions, e)
	case DisputeOpened:
		inv := a.invoices[e.Invoice]
		h := inv.write()
		h.disputes = append(h.disputes, DisputeChange{On: e.On, Open: true})
		inv.disputed = true
	case DisputeResolved:
		inv := a.invoices[e.Invoice]
		h := inv.write()
		h.disputes = append(h.disputes, DisputeChange{On: e.On, Open: false})
		inv.disputed = false
	case InvoiceWrittenOff:
		inv := a.invoices[e.Invoice]
		w := e
		inv.write().writtenOff = &w
		inv.setOutstanding(decimal.Zero)
	case InvoiceBecameDoubtful:
		a.invoices[e.Invoice].Doubtful = true
	case PromiseRecorded:
		a.promises = append(a.promises, &Promise{e})
	case ActionRecorded:
		a.actions = append(a.actions, e)
	case ReminderSent:
		a.reminders[e.Step] = e
	case FundAgreed:
		a.agreements = append(a.agreements, agreement{on: e.On, rate: e.Rate})
	case ViolationReported:
		v := &Violation{ID: e.Violation, ReportedOn: e.On, OccurredOn: e.OccurredOn,
			Reporter: e.Reporter, ReporterName: e.ReporterName, order: len(a.violSeq)}
		a.violations[e.Violation] = v
		a.violSeq = append(a.violSeq, v)
	case ViolationConfirmed:
		c := e
		a.violations[e.Violation].Confirmed = &c
	case ViolationRejected:
		r := e
		a.violations[e.Violation].Rejected = &r
	case FundRebated:
		k := FundKey{e.Quarter, e.Currency.Code()}
		r := e
		a.fundOutcome(k).Rebated = &r
		lot := a.addLot(RebateID(e.Quarter, e.Currency), AppRebate, e.On, e.Currency, e.Amount)
		a.applyAllocations(lot, e.Allocations)
	case FundForfeited:
		f := e
		a.fundOutcome(FundKey{e.Quarter, e.Currency.Code()}).Forfeited = &f
	case BountyAwarded:
		lot := a.addLot(BountyID(e.Quarter, e.Violator, e.Currency), AppBounty, e.On, e.Currency, e.Amount)
		a.applyAllocations(lot, e.Allocations)
	case QuarterClosed:
		// Ledger scope only; accounts record their own outcomes.
	default:
		panic(fmt.Sprintf("account %s: cannot apply %T", a.id, e))
	}
}

// RebateID is the credit-lot id of a quarter's returned fund.
func RebateID(q Quarter, c Currency) string { return "rebate:" + q.String() + ":" + c.Code() }

// BountyID is the credit-lot id of a bounty on the reporter's account.
func BountyID(q Quarter, violator string, c Currency) string {
	return "bounty:" + q.String() + ":" + violator + ":" + c.Code()
}

func (a *Account) fundOutcome(k FundKey) *FundOutcome {
	o := a.funds[k]
	if o == nil {
		o = &FundOutcome{}
		a.funds[k] = o
	}
	return o
}

func (a *Account) addLot(id string, kind AppKind, on Date, c Currency, amount decimal.Decimal) *CreditLot {
	lot := &CreditLot{ID: id, Kind: kind, On: on, Currency: c, Amount: amount, unapplied: amount, spent: amount.IsZero()}
	a.lots = append(a.lots, lot)
	a.lotByID[id] = lot
	return lot
}

func (a *Account) applyAllocations(lot *CreditLot, allocs []Allocation) {
	for _, al := range allocs {
		a.applyLot(lot, al)
	}
}

// applyLot applies part of a lot to an invoice, counted from the later of the money's
// date and the invoice's issue date.
func (a *Account) applyLot(lot *CreditLot, al Allocation) {
	inv := a.invoices[al.Invoice]
	on := maxDate(lot.On, inv.Issued)
	left := inv.reduce(al.Amount)
	inv.Apps = append(inv.Apps, Application{Source: lot.ID, Kind: lot.Kind, On: on, MoneyOn: lot.On,
		Amount: al.Amount, Remaining: left, Explicit: al.Explicit})
	lot.use(on, al.Amount)
}

func maxDate(a, b Date) Date {
	if a > b {
		return a
	}
	return b
}
