package domain

import (
	"slices"
	"strings"
	"sync"
)

// Books are all accounts and the ledger scope, folded from recorded events, with the
// indexes that route commands naming only an invoice or a violation. The write side
// decides against Books; projections fold their own Books and report from them.
type Books struct {
	accounts map[string]*Account
	ledger   *Ledger
	// Entity id -> owning account. The account, not its id: a million invoices'
	// entries then hold a pointer each instead of a copy of the customer id.
	invoices    map[string]*Account
	violation   map[string]*Account
	payments    map[string]*Account
	credits     map[string]*Account
	index       invoiceIndex
	accountList accountList
	slots       int32 // slots handed out (Account.Slot)
}

// NewBooks returns empty books.
func NewBooks() *Books {
	return &Books{
		accounts:  map[string]*Account{},
		ledger:    NewLedger(),
		invoices:  map[string]*Account{},
		violation: map[string]*Account{},
		payments:  map[string]*Account{},
		credits:   map[string]*Account{},
	}
}

// Account returns the account of a customer, creating an empty one.
func (b *Books) Account(id string) *Account {
	a := b.accounts[id]
	if a == nil {
		a = NewAccount(id)
		b.adopt(a)
	}
	return a
}

// adopt makes a the books' account of its customer and gives it the next slot.
func (b *Books) adopt(a *Account) {
	a.slot = b.slots
	b.slots++
	b.accounts[a.id] = a
	if a.registered { // restored from a snapshot
		b.accountsChanged()
	}
}

// Slots is one more than the highest Account.Slot handed out: the length of an array
// indexed by slot.
func (b *Books) Slots() int { return int(b.slots) }

// Existing returns a registered account, if any.
func (b *Books) Existing(id string) (*Account, bool) {
	a, ok := b.accounts[id]
	return a, ok && a.registered
}

// Accounts returns the registered accounts sorted by customer id. The slice is
// shared: callers must not change it.
//
// Reports, the metrics and the worklists ask for it on every run, and sorting ten
// thousand customer ids each time was a tenth of an ageing report; so the sorted list
// is kept until the set of registered accounts changes (an account registered or
// dropped). Folding happens under the owner's write lock and reports under its read
// lock, several at once, hence the list's own mutex.
func (b *Books) Accounts() []*Account {
	l := &b.accountList
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.fresh {
		out := make([]*Account, 0, len(b.accounts))
		for _, a := range b.accounts {
			if a.registered {
				out = append(out, a)
			}
		}
		slices.SortFunc(out, func(x, y *Account) int { return strings.Compare(x.id, y.id) })
		l.sorted, l.fresh = out, true
	}
	return l.sorted[:len(l.sorted):len(l.sorted)]
}

// accountList is what Accounts keeps.
type accountList struct {
	mu     sync.Mutex
	sorted []*Account
	fresh  bool // sorted holds the registered accounts now
}

// accountsChanged drops the kept list of accounts.
func (b *Books) accountsChanged() {
	b.accountList.mu.Lock()
	b.accountList.sorted, b.accountList.fresh = nil, false
	b.accountList.mu.Unlock()
}

// Ledger is the ledger scope.
func (b *Books) Ledger() *Ledger { return b.ledger }

// CustomerRegistered implements Env.
func (b *Books) CustomerRegistered(id string) bool { _, ok := b.Existing(id); return ok }

// QuarterClosed implements Env.
func (b *Books) QuarterClosed(q Quarter) bool { return b.ledger.QuarterClosed(q) }

// InvoiceOwner returns the customer of an invoice id.
func (b *Books) InvoiceOwner(id string) (string, bool) { return ownerID(b.invoices, id) }

// ViolationOwner returns the violator of a violation id.
func (b *Books) ViolationOwner(id string) (string, bool) { return ownerID(b.violation, id) }

func ownerID(m map[string]*Account, id string) (string, bool) {
	if a, ok := m[id]; ok {
		return a.id, true
	}
	return "", false
}

// EntityOwner returns the customer that owns an entity id of a kind ("invoice",
// "payment", "credit_note", "violation").
func (b *Books) EntityOwner(kind, id string) (string, bool) {
	var m map[string]*Account
	switch kind {
	case "invoice":
		m = b.invoices
	case "payment":
		m = b.payments
	case "credit_note":
		m = b.credits
	case "violation":
		m = b.violation
	default:
		return "", false
	}
	return ownerID(m, id)
}

// ApplyCommand folds the events of one recorded command into a scope: customer "" is
// the ledger scope.
func (b *Books) ApplyCommand(customer, commandID, hash string, events []Event) {
	if customer == "" {
		for _, e := range events {
			b.ledger.Apply(e)
		}
		b.ledger.Remember(commandID, hash)
		return
	}
	a := b.Account(customer)
	for _, e := range events {
		a.Apply(e)
		switch e := e.(type) {
		case CustomerRegistered:
			b.accountsChanged()
		case InvoiceIssued:
			b.invoices[e.Invoice] = a
			if inv, ok := a.invoices[e.Invoice]; ok {
				b.index.noteIssued(inv)
			}
		case PaymentRecorded:
			b.payments[e.Payment] = a
		case CreditNoteIssued:
			b.credits[e.CreditNote] = a
		case ViolationReported:
			b.violation[e.Violation] = a
		}
	}
	a.Remember(commandID, hash)
}

// NewEntity names the globally unique id a command creates, if any: its kind, id and
// the field that carries it.
func NewEntity(c Command) (kind, id, field string, ok bool) {
	switch c := c.(type) {
	case *IssueInvoice:
		return "invoice", c.Invoice, "invoice", true
	case *RecordPayment:
		return "payment", c.Payment, "payment", true
	case *IssueCreditNote:
		return "credit_note", c.CreditNote, "credit_note", true
	case *ReportViolation:
		return "violation", c.Violation, "violation", true
	}
	return "", "", "", false
}

// Drop forgets an account and the index entries it owns, so that it can be folded
// again from its recorded commits (the write side does this to undo decisions that
// were applied ahead of a commit that then failed).
func (b *Books) Drop(customer string) {
	a := b.accounts[customer]
	if a == nil {
		return
	}
	forget := func(m map[string]*Account, id string) {
		if m[id] == a {
			delete(m, id)
		}
	}
	for _, inv := range a.invoiceSeq {
		forget(b.invoices, inv.ID)
	}
	for id := range a.payments {
		forget(b.payments, id)
	}
	for id := range a.creditNote {
		forget(b.credits, id)
	}
	for _, v := range a.violSeq {
		forget(b.violation, v.ID)
	}
	delete(b.accounts, customer)
	b.accountsChanged()
	if len(a.invoiceSeq) > 0 {
		b.index.drop(a.id)
	}
}
