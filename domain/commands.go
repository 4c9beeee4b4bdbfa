package domain

import "github.com/shopspring/decimal"

// Meta is what every command carries: the client's command id (unique within the
// account it concerns) and the business date it happened on.
type Meta struct {
	ID string
	On Date
}

// Command is one of the commands below. Parsing (batch, HTTP) builds them; the account
// decides them.
type Command interface{ meta() Meta }

func (m Meta) meta() Meta { return m }

// CommandMeta returns a command's id and date.
func CommandMeta(c Command) Meta { return c.meta() }

type RegisterCustomer struct {
	Meta
	Customer, Name        string
	Grade, TermsDays      int
	Collector             string
	Email, Phone, Webhook string
}

type AssessCredit struct {
	Meta
	Customer string
	Key      KeyIndicators
	Other    []Rating
}

type IssueInvoice struct {
	Meta
	Invoice, Customer string
	Amount            decimal.Decimal
	Currency          Currency
	Due               Date // NoDate: issue date + terms
}

// AllocationRequest is an explicit allocation line of a payment.
type AllocationRequest struct {
	Invoice string
	Amount  decimal.Decimal
}

type RecordPayment struct {
	Meta
	Payment, Customer string
	Amount            decimal.Decimal
	Currency          Currency
	Allocations       []AllocationRequest
}

type IssueCreditNote struct {
	Meta
	CreditNote, Customer string
	Amount               decimal.Decimal
	Currency             Currency
	Invoice              string // "" = unlinked
}

type GrantExtension struct {
	Meta
	Invoice string
	Due     Date
}

// RecordPromise's amount is in the invoice's currency; it is kept as written until the
// invoice (and so the currency) is known, then checked against its minor digits.
type RecordPromise struct {
	Meta
	Invoice  string
	Promised Date
	Amount   string
}

type OpenDispute struct {
	Meta
	Invoice, Reason string
}

type ResolveDispute struct {
	Meta
	Invoice, Reason string
}

type WriteOff struct {
	Meta
	Invoice string
	Reason  WriteOffReason
	Force   bool
}

type RecordAction struct {
	Meta
	Customer, Invoice string
	Action            Action
	Outcome, Note     string
}

type AgreePriceProtection struct {
	Meta
	Customer string
	Rate     decimal.Decimal
}

type ReportViolation struct {
	Meta
	Violation, Customer    string
	Reporter, ReporterName string // exactly one is set
	OccurredOn             Date
}

type ConfirmViolation struct {
	Meta
	Violation string
}

type RejectViolation struct {
	Meta
	Violation string
}

type CloseQuarter struct {
	Meta
	Quarter Quarter
}

// InvoiceOf returns the invoice a command is about when the command names no customer
// and must be routed by its invoice.
func InvoiceOf(c Command) (string, bool) {
	switch c := c.(type) {
	case *GrantExtension:
		return c.Invoice, true
	case *RecordPromise:
		return c.Invoice, true
	case *OpenDispute:
		return c.Invoice, true
	case *ResolveDispute:
		return c.Invoice, true
	case *WriteOff:
		return c.Invoice, true
	case *MarkDoubtful:
		return c.Invoice, true
	}
	return "", false
}

// CustomerOf returns the customer a command names, if it names one.
func CustomerOf(c Command) (string, bool) {
	switch c := c.(type) {
	case *RegisterCustomer:
		return c.Customer, true
	case *AssessCredit:
		return c.Customer, true
	case *IssueInvoice:
		return c.Customer, true
	case *RecordPayment:
		return c.Customer, true
	case *IssueCreditNote:
		return c.Customer, true
	case *RecordAction:
		return c.Customer, true
	case *AgreePriceProtection:
		return c.Customer, true
	case *ReportViolation:
		return c.Customer, true
	case *RecordReminder:
		return c.Customer, true
	}
	return "", false
}

// MarkDoubtful is recorded by the running engine's clock when an invoice passes its
// doubtful day (SPEC section 5), with the id "doubtful:<invoice>".
type MarkDoubtful struct {
	Meta
	Invoice string
}

// RecordReminder records that the engine performed an automatic step (or could not:
// Outcome "failed", or "no_contact" on Channel "manual"), with the id
// "reminder:<step id>" so that recording twice records once.
type RecordReminder struct {
	Meta
	Customer string
	Step     string
	Invoice  string
	Action   Action
	StepDate Date
	Channel  string
	Outcome  string
}
