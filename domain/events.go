package domain

import "github.com/shopspring/decimal"

// Event type names are part of the stored data: explicit, versioned, never derived
// from Go type names, never renamed.
const (
	TypeCustomerRegistered    = "customer.registered.v1"
	TypeCreditAssessed        = "credit.assessed.v1"
	TypeInvoiceIssued         = "invoice.issued.v1"
	TypePaymentRecorded       = "payment.recorded.v1"
	TypeCreditNoteIssued      = "creditnote.issued.v1"
	TypeExtensionGranted      = "extension.granted.v1"
	TypeDisputeOpened         = "dispute.opened.v1"
	TypeDisputeResolved       = "dispute.resolved.v1"
	TypeInvoiceWrittenOff     = "invoice.written_off.v1"
	TypeInvoiceBecameDoubtful = "invoice.became_doubtful.v1"
	TypePromiseRecorded       = "promise.recorded.v1"
	TypeActionRecorded        = "action.recorded.v1"
	TypeReminderSent          = "reminder.sent.v1"
	TypeFundAgreed            = "fund.agreed.v1"
	TypeViolationReported     = "violation.reported.v1"
	TypeViolationConfirmed    = "violation.confirmed.v1"
	TypeViolationRejected     = "violation.rejected.v1"
	TypeFundRebated           = "fund.rebated.v1"
	TypeFundForfeited         = "fund.forfeited.v1"
	TypeBountyAwarded         = "fund.bounty_awarded.v1"
	TypeQuarterClosed         = "quarter.closed.v1"
)

// Event is a fact recorded on an account. Every event carries the business date it
// happened on.
type Event interface {
	Type() string
	Date() Date
}

// Allocation is one decided line of money applied to an invoice. Remaining is the
// invoice's outstanding right after this line, as recorded, so the short-payment rule
// needs no re-derivation.
type Allocation struct {
	Invoice   string
	Amount    decimal.Decimal
	Explicit  bool
	Remaining decimal.Decimal
}

// Recovery is a payment line explicitly allocated to a written-off invoice.
type Recovery struct {
	Invoice string
	Amount  decimal.Decimal
}

// CreditApplication is unapplied credit applied to a newly issued invoice.
type CreditApplication struct {
	Source string // payment, credit note, rebate or bounty id
	Amount decimal.Decimal
}

type CustomerRegistered struct {
	On                    Date
	Customer, Name        string
	Grade, TermsDays      int
	Collector             string
	Email, Phone, Webhook string
}

type CreditAssessed struct {
	On    Date
	Key   KeyIndicators
	Other []Rating
	Grade int
}

// InvoiceIssued records the invoice with its decided due date, the fund rate decided
// at recording (HasFund false: no agreement applied) and the credit applied to it.
type InvoiceIssued struct {
	On       Date
	Invoice  string
	Amount   decimal.Decimal
	Currency Currency
	Due      Date
	HasFund  bool
	FundRate decimal.Decimal
	Applied  []CreditApplication
}

type PaymentRecorded struct {
	On          Date
	Payment     string
	Amount      decimal.Decimal
	Currency    Currency
	Allocations []Allocation
	Recoveries  []Recovery
	Unapplied   decimal.Decimal
}

// CreditNoteIssued: linked (Invoice set) it reduces that invoice by Amount; unlinked,
// Allocations and Unapplied record how it was allocated like a payment.
type CreditNoteIssued struct {
	On          Date
	CreditNote  string
	Amount      decimal.Decimal
	Currency    Currency
	Invoice     string
	Allocations []Allocation
	Unapplied   decimal.Decimal
}

type ExtensionGranted struct {
	On          Date
	Invoice     string
	Due         Date
	PreviousDue Date
}

type DisputeOpened struct {
	On              Date
	Invoice, Reason string
}

type DisputeResolved struct {
	On              Date
	Invoice, Reason string
}

type InvoiceWrittenOff struct {
	On      Date
	Invoice string
	Amount  decimal.Decimal
	Reason  WriteOffReason
	Forced  bool
}

type InvoiceBecameDoubtful struct {
	On      Date
	Invoice string
}

type PromiseRecorded struct {
	On       Date
	Invoice  string
	Promised Date
	Amount   decimal.Decimal
}

type ActionRecorded struct {
	On            Date
	Invoice       string
	Action        Action
	Outcome, Note string
}

// ReminderSent records an automatic step the engine performed. Step is the step's
// identity (also the delivery's idempotency key).
type ReminderSent struct {
	On       Date
	Step     string
	Invoice  string
	Action   Action
	StepDate Date
	Channel  string
	Outcome  string
}

type FundAgreed struct {
	On   Date
	Rate decimal.Decimal
}

type ViolationReported struct {
	On                     Date
	Violation              string
	Reporter, ReporterName string
	OccurredOn             Date
}

// ViolationConfirmed: ForfeitsNothing is true when the violation's quarter was already
// closed on this account when the confirmation was recorded.
type ViolationConfirmed struct {
	On              Date
	Violation       string
	Quarter         Quarter
	ForfeitsNothing bool
}

type ViolationRejected struct {
	On        Date
	Violation string
}

// FundRebated returns a quarter's fund to the customer as credit, allocated like an
// unlinked credit note dated on the close. Source id: "rebate:<quarter>:<currency>".
type FundRebated struct {
	On          Date
	Quarter     Quarter
	Currency    Currency
	Amount      decimal.Decimal
	Allocations []Allocation
	Unapplied   decimal.Decimal
}

// FundForfeited takes a quarter's fund from the violator; the bounty goes to the
// reporter of Violation (a customer, or an outside person recorded as payable).
type FundForfeited struct {
	On           Date
	Quarter      Quarter
	Currency     Currency
	Amount       decimal.Decimal
	Violation    string
	Reporter     string
	ReporterName string
}

// BountyAwarded is the reporter's side of a forfeit: credit allocated like a payment
// dated on the close. Source id: "bounty:<quarter>:<violator>:<currency>".
type BountyAwarded struct {
	On          Date
	Quarter     Quarter
	Currency    Currency
	Amount      decimal.Decimal
	Violator    string
	Violation   string
	Allocations []Allocation
	Unapplied   decimal.Decimal
}

// QuarterClosed is recorded on the ledger scope; each account then records its own
// rebate or forfeit with a command id derived from the quarter.
type QuarterClosed struct {
	On      Date
	Quarter Quarter
}

func (CustomerRegistered) Type() string    { return TypeCustomerRegistered }
func (CreditAssessed) Type() string        { return TypeCreditAssessed }
func (InvoiceIssued) Type() string         { return TypeInvoiceIssued }
func (PaymentRecorded) Type() string       { return TypePaymentRecorded }
func (CreditNoteIssued) Type() string      { return TypeCreditNoteIssued }
func (ExtensionGranted) Type() string      { return TypeExtensionGranted }
func (DisputeOpened) Type() string         { return TypeDisputeOpened }
func (DisputeResolved) Type() string       { return TypeDisputeResolved }
func (InvoiceWrittenOff) Type() string     { return TypeInvoiceWrittenOff }
func (InvoiceBecameDoubtful) Type() string { return TypeInvoiceBecameDoubtful }
func (PromiseRecorded) Type() string       { return TypePromiseRecorded }
func (ActionRecorded) Type() string        { return TypeActionRecorded }
func (ReminderSent) Type() string          { return TypeReminderSent }
func (FundAgreed) Type() string            { return TypeFundAgreed }
func (ViolationReported) Type() string     { return TypeViolationReported }
func (ViolationConfirmed) Type() string    { return TypeViolationConfirmed }
func (ViolationRejected) Type() string     { return TypeViolationRejected }
func (FundRebated) Type() string           { return TypeFundRebated }
func (FundForfeited) Type() string         { return TypeFundForfeited }
func (BountyAwarded) Type() string         { return TypeBountyAwarded }
func (QuarterClosed) Type() string         { return TypeQuarterClosed }

func (e CustomerRegistered) Date() Date    { return e.On }
func (e CreditAssessed) Date() Date        { return e.On }
func (e InvoiceIssued) Date() Date         { return e.On }
func (e PaymentRecorded) Date() Date       { return e.On }
func (e CreditNoteIssued) Date() Date      { return e.On }
func (e ExtensionGranted) Date() Date      { return e.On }
func (e DisputeOpened) Date() Date         { return e.On }
func (e DisputeResolved) Date() Date       { return e.On }
func (e InvoiceWrittenOff) Date() Date     { return e.On }
func (e InvoiceBecameDoubtful) Date() Date { return e.On }
func (e PromiseRecorded) Date() Date       { return e.On }
func (e ActionRecorded) Date() Date        { return e.On }
func (e ReminderSent) Date() Date          { return e.On }
func (e FundAgreed) Date() Date            { return e.On }
func (e ViolationReported) Date() Date     { return e.On }
func (e ViolationConfirmed) Date() Date    { return e.On }
func (e ViolationRejected) Date() Date     { return e.On }
func (e FundRebated) Date() Date           { return e.On }
func (e FundForfeited) Date() Date         { return e.On }
func (e BountyAwarded) Date() Date         { return e.On }
func (e QuarterClosed) Date() Date         { return e.On }
