package domain

import (
	"github.com/shopspring/decimal"
)

// Account is the consistency boundary: one customer's books. It changes only by
// applying recorded events (Apply); command methods (Decide) read it, check the
// rules and return the events that carry their decisions.
//
// The account keeps two views of the same facts. The recorded view (outstanding,
// disputed, unapplied credit "as they stand now") is what commands are decided against;
// the dated facts (every application with its effective date, every extension and
// dispute change with its date) are what reports "as of D" are computed from.
type Account struct {
	id         string
	registered bool
	slot       int32 // see Slot
	profile    Profile
	grades     []gradeChange

	invoices   map[string]*Invoice
	invoiceSeq []*Invoice // recording order
	lots       []*CreditLot
	lotByID    map[string]*CreditLot
	payments   map[string]bool
	creditNote map[string]bool
	linkedCNs  []linkedCredit

	agreements []agreement
	violations map[string]*Violation
	violSeq    []*Violation
	funds      map[FundKey]*FundOutcome

	promises  []*Promise
	actions   []ActionRecorded
	reminders map[string]ReminderSent

	commands commandLog // command id -> digest of its content hash
}

// Profile is what RegisterCustomer recorded.
type Profile struct {
	Name, Collector       string
	RegisteredOn          Date
	TermsDays             int
	Email, Phone, Webhook string
}

type gradeChange struct {
	on    Date
	grade int
}

type agreement struct {
	on   Date
	rate decimal.Decimal
}

type linkedCredit struct {
	on       Date
	invoice  *Invoice
	amount   decimal.Decimal
	currency Currency
}

// Invoice is one invoice with every dated fact about it.
type Invoice struct {
	// Fields are ordered so that the struct packs into 128 bytes: a million open
	// invoices are held in memory. What most invoices never have (extensions,
	// disputes, a write-off, recoveries) is behind one pointer, the customer is read
	// through the owning account, and the amounts are minor units where they can be
	// (storedAmount).
	ID       string
	FundRate decimal.Decimal
	Apps     []Application // money that reduces the receivable

	amount      storedAmount
	outstanding storedAmount // recorded view

	account *Account
	history *invoiceHistory // nil until the first extension, dispute or write-off

	Issued   Date
	Due      Date // original due date
	Currency Currency
	HasFund  bool
	Doubtful bool // InvoiceBecameDoubtful recorded
	disputed bool
}

// invoiceHistory is the part of an invoice's record that few invoices have.
type invoiceHistory struct {
	extensions []ExtensionGranted
	disputes   []DisputeChange
	writtenOff *InvoiceWrittenOff
	recoveries []Application
	recovered  decimal.Decimal
}

// noHistory is what an invoice without history reads. Nothing writes it: writes go
// through write, which gives the invoice a history of its own.
var noHistory invoiceHistory

// read is the invoice's history, empty when it has none.
func (inv *Invoice) read() *invoiceHistory {
	if inv.history == nil {
		return &noHistory
	}
	return inv.history
}

// write is the invoice's history, made on first use.
func (inv *Invoice) write() *invoiceHistory {
	if inv.history == nil {
		inv.history = &invoiceHistory{}
	}
	return inv.history
}

// Customer is the id of the invoice's customer.
func (inv *Invoice) Customer() string { return inv.account.id }

// AccountSlot is the Slot of the invoice's account.
func (inv *Invoice) AccountSlot() int { return int(inv.account.slot) }

// Extensions are the due-date extensions granted, in recording order.
func (inv *Invoice) Extensions() []ExtensionGranted { return inv.read().extensions }

// Disputes are the disputes opened and resolved, in recording order.
func (inv *Invoice) Disputes() []DisputeChange { return inv.read().disputes }

// WrittenOff is the write-off, nil if the invoice was not written off.
func (inv *Invoice) WrittenOff() *InvoiceWrittenOff { return inv.read().writtenOff }

// Recoveries are payments applied to the invoice after its write-off.
func (inv *Invoice) Recoveries() []Application { return inv.read().recoveries }

// AppKind says where applied money came from.
type AppKind uint8

const (
	AppPayment AppKind = iota + 1
	AppCreditNote
	AppLinkedCredit
	AppRebate
	AppBounty
)

// Application is money applied to an invoice, counted from On: the later of the
// money's date and the invoice's issue date. Remaining is the invoice's outstanding
// right after it, as recorded.
type Application struct {
	Source    string
	Kind      AppKind
	On        Date
	MoneyOn   Date
	Amount    decimal.Decimal
	Remaining decimal.Decimal
	Explicit  bool
	// AtIssue marks unapplied credit applied when the invoice was issued: it is not a
	// payment of the invoice (no short-payment notice, does not keep a promise).
	AtIssue bool
}

// DisputeChange is a dispute opened (Open) or resolved on a date.
type DisputeChange struct {
	On   Date
	Open bool
}

// CreditLot is money received that may sit unapplied: a payment, an unlinked credit
// note, a rebate or a bounty. Uses are its applications with their effective dates.
type CreditLot struct {
	ID       string
	Kind     AppKind
	spent    bool // nothing is left unapplied (as recorded, after every use)
	On       Date
	Currency Currency
	lastUse  Date // the latest use's date; zero with no use
	Amount   decimal.Decimal
	Uses     []LotUse
	// unapplied is Amount less every use. With spent and lastUse it answers what is
	// unapplied as of a date without reading Uses or the decimal: the ageing asks it
	// of every lot of every account, and those reads were a tenth of the report.
	unapplied decimal.Decimal
}

// use records part of the lot applied (or recovered) from on. It keeps spent and
// lastUse up to date itself: settle reads every use, and one payment spread over a
// thousand invoices would read them a thousand times.
func (l *CreditLot) use(on Date, amount decimal.Decimal) {
	l.Uses = append(l.Uses, LotUse{On: on, Amount: amount})
	l.unapplied = l.unapplied.Sub(amount)
	l.spent, l.lastUse = l.unapplied.IsZero(), max(l.lastUse, on)
}

// settle sets spent and lastUse from Uses and unapplied, for a lot restored without
// them.
func (l *CreditLot) settle() {
	l.spent, l.lastUse = l.unapplied.IsZero(), 0
	for _, u := range l.Uses {
		l.lastUse = max(l.lastUse, u.On)
	}
}

// LotUse is part of a lot applied (or recovered) from a date on.
type LotUse struct {
	On     Date
	Amount decimal.Decimal
}

// Promise is a customer's promise to pay an invoice by a date.
type Promise struct {
	PromiseRecorded
}

// Violation of a price-protection agreement by this account's customer.
type Violation struct {
	ID                     string
	ReportedOn, OccurredOn Date
	Reporter, ReporterName string
	Confirmed              *ViolationConfirmed
	Rejected               *ViolationRejected
	order                  int
}

// FundKey names one fund: a quarter and a currency of one customer.
type FundKey struct {
	Quarter  Quarter
	Currency string
}

// FundOutcome is how a closed quarter's fund ended.
type FundOutcome struct {
	Rebated   *FundRebated
	Forfeited *FundForfeited
}

// NewAccount returns the empty account of a customer id.
func NewAccount(id string) *Account {
	return &Account{
		id:         id,
		invoices:   map[string]*Invoice{},
		lotByID:    map[string]*CreditLot{},
		payments:   map[string]bool{},
		creditNote: map[string]bool{},
		violations: map[string]*Violation{},
		funds:      map[FundKey]*FundOutcome{},
		reminders:  map[string]ReminderSent{},
		commands:   commandLog{},
	}
}

// ID is the customer id.
func (a *Account) ID() string { return a.id }

// Registered reports whether RegisterCustomer was recorded.
func (a *Account) Registered() bool { return a.registered }

// Profile returns the registration data.
func (a *Account) Profile() Profile { return a.profile }

// Invoice returns an invoice of this account.
func (a *Account) Invoice(id string) (*Invoice, bool) {
	inv, ok := a.invoices[id]
	return inv, ok
}

// Invoices in recording order.
func (a *Account) Invoices() []*Invoice { return a.invoiceSeq }

// Slot is a small number, unique among the accounts of the books that hold the account
// (below Books.Slots), given when the books took it in. Reports that scan every
// invoice in id order sum per customer into arrays indexed by slot: a map lookup per
// invoice cost more than the rest of the scan.
func (a *Account) Slot() int { return int(a.slot) }

// Lots are the account's credit lots in recording order.
func (a *Account) Lots() []*CreditLot { return a.lots }

// Promises in recording order.
func (a *Account) Promises() []*Promise { return a.promises }

// Actions are the recorded collector actions in recording order.
func (a *Account) Actions() []ActionRecorded { return a.actions }

// Reminders are the automatic steps performed, by step id.
func (a *Account) Reminders() map[string]ReminderSent { return a.reminders }

// Violations in recording order.
func (a *Account) Violations() []*Violation { return a.violSeq }

// Violation by id.
func (a *Account) Violation(id string) (*Violation, bool) {
	v, ok := a.violations[id]
	return v, ok
}

// FundOutcomes are the closed funds.
func (a *Account) FundOutcomes() map[FundKey]*FundOutcome { return a.funds }

// GradeOn is the credit grade in force on d: that of the latest assessment — the
// registration counts as one — dated on or before d (the later recorded on a tie);
// before any of them, the grade given at registration.
func (a *Account) GradeOn(d Date) int {
	if len(a.grades) == 0 {
		return 0
	}
	g, best := a.grades[0].grade, NoDate
	for _, c := range a.grades {
		if c.on <= d && c.on >= best {
			g, best = c.grade, c.on
		}
	}
	return g
}

// LastAssessed is the date of the latest assessment (or the registration) dated on or
// before d.
func (a *Account) LastAssessed(d Date) Date {
	last := NoDate
	for _, c := range a.grades {
		if c.on <= d && c.on > last {
			last = c.on
		}
	}
	return last
}

// CreditReviewDue reports whether, on d, the last assessment (or registration) is more
// than 3 months old: grades must be re-assessed every 3 months.
func (a *Account) CreditReviewDue(d Date) bool {
	last := a.LastAssessed(d)
	return last != NoDate && d > last.AddMonths(3)
}

// Amount is the invoice's amount as issued.
func (inv *Invoice) Amount() decimal.Decimal { return inv.amount.value(inv.Currency) }

// Outstanding is the invoice's outstanding as recorded (all recorded events).
func (inv *Invoice) Outstanding() decimal.Decimal { return inv.outstanding.value(inv.Currency) }

func (inv *Invoice) setOutstanding(d decimal.Decimal) {
	inv.outstanding = storeAmount(d, inv.Currency)
}

// reduce takes applied money off the recorded outstanding and returns what remains.
// Minor units are subtracted as integers when both sides have that form.
func (inv *Invoice) reduce(by decimal.Decimal) decimal.Decimal {
	if out, ok := inv.outstanding.minorUnits(); ok {
		if m, ok := MinorUnits(by, inv.Currency); ok {
			// Both are under 10^18 in size (MinorUnits): the difference cannot overflow.
			if left := out - m; left > -1e18 && left < 1e18 {
				inv.outstanding = storedAmount{minor: left}
				return inv.Outstanding()
			}
		}
	}
	left := inv.Outstanding().Sub(by)
	inv.setOutstanding(left)
	return left
}

// Disputed reports whether the invoice is disputed as recorded.
func (inv *Invoice) Disputed() bool { return inv.disputed }

// CurrentDue is the effective due date as recorded: the latest extension's.
func (inv *Invoice) CurrentDue() Date {
	if ext := inv.Extensions(); len(ext) > 0 {
		return ext[len(ext)-1].Due
	}
	return inv.Due
}

// Open means something is still owed and the invoice is not written off.
func (inv *Invoice) Open() bool { return inv.WrittenOff() == nil && inv.outstanding.sign() > 0 }

// Unapplied is the part of the lot not yet applied, as recorded.
func (l *CreditLot) Unapplied() decimal.Decimal { return l.unapplied }
