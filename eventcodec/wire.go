package eventcodec

import (
	"fmt"
	"strings"

	"github.com/arkeep/arkeep/domain"
)

// Wire structs: the stored form of each event's data. Field names are part of the
// stored data and must never be renamed; a change of shape is a new type version
// (x.v2) with an upcaster from x.v1 in upcast.go.
//
// The schema tag tells the schema generator (schema_test.go) what a string holds:
// amount (exact decimal), date (YYYY-MM-DD), currency, quarter, rating, action,
// reason (write-off reason), timestamp. Fields without omitempty are required. A
// field with a schema tag is parsed into something else, and the event must not keep
// its string: DecodeCommit's fast path (scan.go) reads such strings as slices of the
// whole message.

type wireKey struct {
	AnnualSales   string `json:"annual_sales" schema:"rating"`
	MonthlySales  string `json:"monthly_sales" schema:"rating"`
	PaymentMethod string `json:"payment_method" schema:"rating"`
	PaymentRecord string `json:"payment_record" schema:"rating"`
}

type wireApplied struct {
	Source string `json:"source"`
	Amount string `json:"amount" schema:"amount"`
}

type wireAllocation struct {
	Invoice   string `json:"invoice"`
	Amount    string `json:"amount" schema:"amount"`
	Explicit  bool   `json:"explicit"`
	Remaining string `json:"remaining" schema:"amount"`
}

type wireRecovery struct {
	Invoice string `json:"invoice"`
	Amount  string `json:"amount" schema:"amount"`
}

type wireCustomerRegistered struct {
	Customer  string `json:"customer"`
	Name      string `json:"name"`
	Grade     int    `json:"grade"`
	TermsDays int    `json:"terms_days"`
	Collector string `json:"collector,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Webhook   string `json:"webhook,omitempty"`
}

type wireCreditAssessed struct {
	Key   wireKey  `json:"key"`
	Other []string `json:"other,omitempty" schema:"rating"`
	Grade int      `json:"grade"`
}

type wireInvoiceIssued struct {
	Invoice  string        `json:"invoice"`
	Amount   string        `json:"amount" schema:"amount"`
	Currency string        `json:"currency" schema:"currency"`
	Due      string        `json:"due" schema:"date"`
	HasFund  bool          `json:"has_fund"`
	FundRate string        `json:"fund_rate" schema:"amount"`
	Applied  []wireApplied `json:"applied,omitempty"`
}

type wirePaymentRecorded struct {
	Payment     string           `json:"payment"`
	Amount      string           `json:"amount" schema:"amount"`
	Currency    string           `json:"currency" schema:"currency"`
	Allocations []wireAllocation `json:"allocations,omitempty"`
	Recoveries  []wireRecovery   `json:"recoveries,omitempty"`
	Unapplied   string           `json:"unapplied" schema:"amount"`
}

type wireCreditNoteIssued struct {
	CreditNote  string           `json:"credit_note"`
	Amount      string           `json:"amount" schema:"amount"`
	Currency    string           `json:"currency" schema:"currency"`
	Invoice     string           `json:"invoice,omitempty"`
	Allocations []wireAllocation `json:"allocations,omitempty"`
	Unapplied   string           `json:"unapplied" schema:"amount"`
}

type wireExtensionGranted struct {
	Invoice     string `json:"invoice"`
	Due         string `json:"due" schema:"date"`
	PreviousDue string `json:"previous_due,omitempty" schema:"date"`
}

type wireDispute struct {
	Invoice string `json:"invoice"`
	Reason  string `json:"reason,omitempty"`
}

type wireDisputeOpened wireDispute

type wireDisputeResolved wireDispute

type wireInvoiceWrittenOff struct {
	Invoice string `json:"invoice"`
	Amount  string `json:"amount" schema:"amount"`
	Reason  string `json:"reason" schema:"reason"`
	Forced  bool   `json:"forced"`
}

type wireInvoiceBecameDoubtful struct {
	Invoice string `json:"invoice"`
}

type wirePromiseRecorded struct {
	Invoice  string `json:"invoice"`
	Promised string `json:"promised" schema:"date"`
	Amount   string `json:"amount" schema:"amount"`
}

type wireActionRecorded struct {
	Invoice string `json:"invoice,omitempty"`
	Action  string `json:"action" schema:"action"`
	Outcome string `json:"outcome,omitempty"`
	Note    string `json:"note,omitempty"`
}

type wireReminderSent struct {
	Step     string `json:"step"`
	Invoice  string `json:"invoice,omitempty"`
	Action   string `json:"action" schema:"action"`
	StepDate string `json:"step_date,omitempty" schema:"date"`
	Channel  string `json:"channel,omitempty"`
	Outcome  string `json:"outcome,omitempty"`
}

type wireFundAgreed struct {
	Rate string `json:"rate" schema:"amount"`
}

type wireViolationReported struct {
	Violation    string `json:"violation"`
	Reporter     string `json:"reporter,omitempty"`
	ReporterName string `json:"reporter_name,omitempty"`
	OccurredOn   string `json:"occurred_on,omitempty" schema:"date"`
}

type wireViolationConfirmed struct {
	Violation       string `json:"violation"`
	Quarter         string `json:"quarter" schema:"quarter"`
	ForfeitsNothing bool   `json:"forfeits_nothing"`
}

type wireViolationRejected struct {
	Violation string `json:"violation"`
}

type wireFundRebated struct {
	Quarter     string           `json:"quarter" schema:"quarter"`
	Currency    string           `json:"currency" schema:"currency"`
	Amount      string           `json:"amount" schema:"amount"`
	Allocations []wireAllocation `json:"allocations,omitempty"`
	Unapplied   string           `json:"unapplied" schema:"amount"`
}

type wireFundForfeited struct {
	Quarter      string `json:"quarter" schema:"quarter"`
	Currency     string `json:"currency" schema:"currency"`
	Amount       string `json:"amount" schema:"amount"`
	Violation    string `json:"violation"`
	Reporter     string `json:"reporter,omitempty"`
	ReporterName string `json:"reporter_name,omitempty"`
}

type wireBountyAwarded struct {
	Quarter     string           `json:"quarter" schema:"quarter"`
	Currency    string           `json:"currency" schema:"currency"`
	Amount      string           `json:"amount" schema:"amount"`
	Violator    string           `json:"violator"`
	Violation   string           `json:"violation"`
	Allocations []wireAllocation `json:"allocations,omitempty"`
	Unapplied   string           `json:"unapplied" schema:"amount"`
}

type wireQuarterClosed struct {
	Quarter string `json:"quarter" schema:"quarter"`
}

// encodeData converts an event to a pointer to its wire struct.
func encodeData(ev domain.Event) (any, error) {
	en := enc{typ: ev.Type()}
	var w any
	switch e := ev.(type) {
	case domain.CustomerRegistered:
		w = &wireCustomerRegistered{Customer: e.Customer, Name: e.Name, Grade: e.Grade,
			TermsDays: e.TermsDays, Collector: e.Collector, Email: e.Email, Phone: e.Phone,
			Webhook: e.Webhook}
	case domain.CreditAssessed:
		w = &wireCreditAssessed{
			Key: wireKey{
				AnnualSales:   en.rating("key.annual_sales", e.Key.AnnualSales),
				MonthlySales:  en.rating("key.monthly_sales", e.Key.MonthlySales),
				PaymentMethod: en.rating("key.payment_method", e.Key.PaymentMethod),
				PaymentRecord: en.rating("key.payment_record", e.Key.PaymentRecord),
			},
			Other: en.ratings("other", e.Other), Grade: e.Grade}
	case domain.InvoiceIssued:
		w = &wireInvoiceIssued{Invoice: e.Invoice, Amount: amount(e.Amount),
			Currency: en.currency(e.Currency), Due: en.date("due", e.Due), HasFund: e.HasFund,
			FundRate: amount(e.FundRate), Applied: encApplied(e.Applied)}
	case domain.PaymentRecorded:
		w = &wirePaymentRecorded{Payment: e.Payment, Amount: amount(e.Amount),
			Currency: en.currency(e.Currency), Allocations: encAllocations(e.Allocations),
			Recoveries: encRecoveries(e.Recoveries), Unapplied: amount(e.Unapplied)}
	case domain.CreditNoteIssued:
		w = &wireCreditNoteIssued{CreditNote: e.CreditNote, Amount: amount(e.Amount),
			Currency: en.currency(e.Currency), Invoice: e.Invoice,
			Allocations: encAllocations(e.Allocations), Unapplied: amount(e.Unapplied)}
	case domain.ExtensionGranted:
		w = &wireExtensionGranted{Invoice: e.Invoice, Due: en.date("due", e.Due),
			PreviousDue: en.optDate("previous_due", e.PreviousDue)}
	case domain.DisputeOpened:
		w = &wireDisputeOpened{Invoice: e.Invoice, Reason: e.Reason}
	case domain.DisputeResolved:
		w = &wireDisputeResolved{Invoice: e.Invoice, Reason: e.Reason}
	case domain.InvoiceWrittenOff:
		w = &wireInvoiceWrittenOff{Invoice: e.Invoice, Amount: amount(e.Amount),
			Reason: en.reason(e.Reason), Forced: e.Forced}
	case domain.InvoiceBecameDoubtful:
		w = &wireInvoiceBecameDoubtful{Invoice: e.Invoice}
	case domain.PromiseRecorded:
		w = &wirePromiseRecorded{Invoice: e.Invoice, Promised: en.date("promised", e.Promised),
			Amount: amount(e.Amount)}
	case domain.ActionRecorded:
		w = &wireActionRecorded{Invoice: e.Invoice, Action: en.action(e.Action),
			Outcome: e.Outcome, Note: e.Note}
	case domain.ReminderSent:
		w = &wireReminderSent{Step: e.Step, Invoice: e.Invoice, Action: en.action(e.Action),
			StepDate: en.optDate("step_date", e.StepDate), Channel: e.Channel, Outcome: e.Outcome}
	case domain.FundAgreed:
		w = &wireFundAgreed{Rate: amount(e.Rate)}
	case domain.ViolationReported:
		w = &wireViolationReported{Violation: e.Violation, Reporter: e.Reporter,
			ReporterName: e.ReporterName, OccurredOn: en.optDate("occurred_on", e.OccurredOn)}
	case domain.ViolationConfirmed:
		w = &wireViolationConfirmed{Violation: e.Violation, Quarter: en.quarter(e.Quarter),
			ForfeitsNothing: e.ForfeitsNothing}
	case domain.ViolationRejected:
		w = &wireViolationRejected{Violation: e.Violation}
	case domain.FundRebated:
		w = &wireFundRebated{Quarter: en.quarter(e.Quarter), Currency: en.currency(e.Currency),
			Amount: amount(e.Amount), Allocations: encAllocations(e.Allocations),
			Unapplied: amount(e.Unapplied)}
	case domain.FundForfeited:
		w = &wireFundForfeited{Quarter: en.quarter(e.Quarter), Currency: en.currency(e.Currency),
			Amount: amount(e.Amount), Violation: e.Violation, Reporter: e.Reporter,
			ReporterName: e.ReporterName}
	case domain.BountyAwarded:
		w = &wireBountyAwarded{Quarter: en.quarter(e.Quarter), Currency: en.currency(e.Currency),
			Amount: amount(e.Amount), Violator: e.Violator, Violation: e.Violation,
			Allocations: encAllocations(e.Allocations), Unapplied: amount(e.Unapplied)}
	case domain.QuarterClosed:
		w = &wireQuarterClosed{Quarter: en.quarter(e.Quarter)}
	default:
		// Pointers to events land here too: the domain produces event values.
		return nil, fmt.Errorf("%s: cannot encode Go type %T (want a domain event value)", ev.Type(), ev)
	}
	if en.err != nil {
		return nil, en.err
	}
	return w, nil
}

// newWire is the explicit switch from a current type name to a new wire struct to
// decode its data into; nil for any other name. Every type ever written must stay
// readable: here, or through an upcaster.
func newWire(typ string) wireEvent {
	switch typ {
	case domain.TypeCustomerRegistered:
		return new(wireCustomerRegistered)
	case domain.TypeCreditAssessed:
		return new(wireCreditAssessed)
	case domain.TypeInvoiceIssued:
		return new(wireInvoiceIssued)
	case domain.TypePaymentRecorded:
		return new(wirePaymentRecorded)
	case domain.TypeCreditNoteIssued:
		return new(wireCreditNoteIssued)
	case domain.TypeExtensionGranted:
		return new(wireExtensionGranted)
	case domain.TypeDisputeOpened:
		return new(wireDisputeOpened)
	case domain.TypeDisputeResolved:
		return new(wireDisputeResolved)
	case domain.TypeInvoiceWrittenOff:
		return new(wireInvoiceWrittenOff)
	case domain.TypeInvoiceBecameDoubtful:
		return new(wireInvoiceBecameDoubtful)
	case domain.TypePromiseRecorded:
		return new(wirePromiseRecorded)
	case domain.TypeActionRecorded:
		return new(wireActionRecorded)
	case domain.TypeReminderSent:
		return new(wireReminderSent)
	case domain.TypeFundAgreed:
		return new(wireFundAgreed)
	case domain.TypeViolationReported:
		return new(wireViolationReported)
	case domain.TypeViolationConfirmed:
		return new(wireViolationConfirmed)
	case domain.TypeViolationRejected:
		return new(wireViolationRejected)
	case domain.TypeFundRebated:
		return new(wireFundRebated)
	case domain.TypeFundForfeited:
		return new(wireFundForfeited)
	case domain.TypeBountyAwarded:
		return new(wireBountyAwarded)
	case domain.TypeQuarterClosed:
		return new(wireQuarterClosed)
	}
	return nil
}

// decodeData decodes the data of a current type.
func decodeData(typ string, on domain.Date, data []byte) (domain.Event, error) {
	w := newWire(typ)
	if w == nil {
		return nil, unknownType(typ)
	}
	if err := unmarshal(data, w); err != nil {
		return nil, fmt.Errorf("%s: data: %w", typ, err)
	}
	return w.event(on)
}

func unknownType(typ string) error {
	// Name the versions this build reads when only the version is unknown.
	if i := strings.LastIndex(typ, ".v"); i > 0 {
		base := typ[:i+2]
		for _, known := range knownTypes {
			if strings.HasPrefix(known, base) {
				return fmt.Errorf("%w %s (this build reads %s)", ErrUnknownEventType, typ, known)
			}
		}
	}
	return fmt.Errorf("%w %s", ErrUnknownEventType, typ)
}

// knownTypes are the current type names decodeData reads, for error messages and
// tests.
var knownTypes = []string{
	domain.TypeCustomerRegistered, domain.TypeCreditAssessed, domain.TypeInvoiceIssued,
	domain.TypePaymentRecorded, domain.TypeCreditNoteIssued, domain.TypeExtensionGranted,
	domain.TypeDisputeOpened, domain.TypeDisputeResolved, domain.TypeInvoiceWrittenOff,
	domain.TypeInvoiceBecameDoubtful, domain.TypePromiseRecorded, domain.TypeActionRecorded,
	domain.TypeReminderSent, domain.TypeFundAgreed, domain.TypeViolationReported,
	domain.TypeViolationConfirmed, domain.TypeViolationRejected, domain.TypeFundRebated,
	domain.TypeFundForfeited, domain.TypeBountyAwarded, domain.TypeQuarterClosed,
}

type wireEvent interface {
	event(on domain.Date) (domain.Event, error)
}

func (w *wireCustomerRegistered) event(on domain.Date) (domain.Event, error) {
	return domain.CustomerRegistered{On: on, Customer: w.Customer, Name: w.Name,
		Grade: w.Grade, TermsDays: w.TermsDays, Collector: w.Collector, Email: w.Email,
		Phone: w.Phone, Webhook: w.Webhook}, nil
}

func (w *wireCreditAssessed) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeCreditAssessed}
	e := domain.CreditAssessed{On: on,
		Key: domain.KeyIndicators{
			AnnualSales:   d.rating("key.annual_sales", w.Key.AnnualSales),
			MonthlySales:  d.rating("key.monthly_sales", w.Key.MonthlySales),
			PaymentMethod: d.rating("key.payment_method", w.Key.PaymentMethod),
			PaymentRecord: d.rating("key.payment_record", w.Key.PaymentRecord),
		},
		Other: d.ratings("other", w.Other), Grade: w.Grade}
	return result(e, d.err)
}

func (w *wireInvoiceIssued) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeInvoiceIssued}
	e := domain.InvoiceIssued{On: on, Invoice: w.Invoice, Amount: d.amount("amount", w.Amount),
		Currency: d.currency(w.Currency), Due: d.date("due", w.Due), HasFund: w.HasFund,
		FundRate: d.amount("fund_rate", w.FundRate), Applied: d.applied(w.Applied)}
	return result(e, d.err)
}

func (w *wirePaymentRecorded) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypePaymentRecorded}
	e := domain.PaymentRecorded{On: on, Payment: w.Payment, Amount: d.amount("amount", w.Amount),
		Currency: d.currency(w.Currency), Allocations: d.allocations(w.Allocations),
		Recoveries: d.recoveries(w.Recoveries), Unapplied: d.amount("unapplied", w.Unapplied)}
	return result(e, d.err)
}

func (w *wireCreditNoteIssued) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeCreditNoteIssued}
	e := domain.CreditNoteIssued{On: on, CreditNote: w.CreditNote,
		Amount: d.amount("amount", w.Amount), Currency: d.currency(w.Currency),
		Invoice: w.Invoice, Allocations: d.allocations(w.Allocations),
		Unapplied: d.amount("unapplied", w.Unapplied)}
	return result(e, d.err)
}

func (w *wireExtensionGranted) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeExtensionGranted}
	e := domain.ExtensionGranted{On: on, Invoice: w.Invoice, Due: d.date("due", w.Due),
		PreviousDue: d.optDate("previous_due", w.PreviousDue)}
	return result(e, d.err)
}

func (w *wireDisputeOpened) event(on domain.Date) (domain.Event, error) {
	return domain.DisputeOpened{On: on, Invoice: w.Invoice, Reason: w.Reason}, nil
}

func (w *wireDisputeResolved) event(on domain.Date) (domain.Event, error) {
	return domain.DisputeResolved{On: on, Invoice: w.Invoice, Reason: w.Reason}, nil
}

func (w *wireInvoiceWrittenOff) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeInvoiceWrittenOff}
	e := domain.InvoiceWrittenOff{On: on, Invoice: w.Invoice, Amount: d.amount("amount", w.Amount),
		Reason: d.reason(w.Reason), Forced: w.Forced}
	return result(e, d.err)
}

func (w *wireInvoiceBecameDoubtful) event(on domain.Date) (domain.Event, error) {
	return domain.InvoiceBecameDoubtful{On: on, Invoice: w.Invoice}, nil
}

func (w *wirePromiseRecorded) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypePromiseRecorded}
	e := domain.PromiseRecorded{On: on, Invoice: w.Invoice, Promised: d.date("promised", w.Promised),
		Amount: d.amount("amount", w.Amount)}
	return result(e, d.err)
}

func (w *wireActionRecorded) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeActionRecorded}
	e := domain.ActionRecorded{On: on, Invoice: w.Invoice, Action: d.action(w.Action),
		Outcome: w.Outcome, Note: w.Note}
	return result(e, d.err)
}

func (w *wireReminderSent) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeReminderSent}
	e := domain.ReminderSent{On: on, Step: w.Step, Invoice: w.Invoice, Action: d.action(w.Action),
		StepDate: d.optDate("step_date", w.StepDate), Channel: w.Channel, Outcome: w.Outcome}
	return result(e, d.err)
}

func (w *wireFundAgreed) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeFundAgreed}
	e := domain.FundAgreed{On: on, Rate: d.amount("rate", w.Rate)}
	return result(e, d.err)
}

func (w *wireViolationReported) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeViolationReported}
	e := domain.ViolationReported{On: on, Violation: w.Violation, Reporter: w.Reporter,
		ReporterName: w.ReporterName, OccurredOn: d.optDate("occurred_on", w.OccurredOn)}
	return result(e, d.err)
}

func (w *wireViolationConfirmed) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeViolationConfirmed}
	e := domain.ViolationConfirmed{On: on, Violation: w.Violation, Quarter: d.quarter(w.Quarter),
		ForfeitsNothing: w.ForfeitsNothing}
	return result(e, d.err)
}

func (w *wireViolationRejected) event(on domain.Date) (domain.Event, error) {
	return domain.ViolationRejected{On: on, Violation: w.Violation}, nil
}

func (w *wireFundRebated) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeFundRebated}
	e := domain.FundRebated{On: on, Quarter: d.quarter(w.Quarter), Currency: d.currency(w.Currency),
		Amount: d.amount("amount", w.Amount), Allocations: d.allocations(w.Allocations),
		Unapplied: d.amount("unapplied", w.Unapplied)}
	return result(e, d.err)
}

func (w *wireFundForfeited) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeFundForfeited}
	e := domain.FundForfeited{On: on, Quarter: d.quarter(w.Quarter), Currency: d.currency(w.Currency),
		Amount: d.amount("amount", w.Amount), Violation: w.Violation, Reporter: w.Reporter,
		ReporterName: w.ReporterName}
	return result(e, d.err)
}

func (w *wireBountyAwarded) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeBountyAwarded}
	e := domain.BountyAwarded{On: on, Quarter: d.quarter(w.Quarter), Currency: d.currency(w.Currency),
		Amount: d.amount("amount", w.Amount), Violator: w.Violator, Violation: w.Violation,
		Allocations: d.allocations(w.Allocations), Unapplied: d.amount("unapplied", w.Unapplied)}
	return result(e, d.err)
}

func (w *wireQuarterClosed) event(on domain.Date) (domain.Event, error) {
	d := dec{typ: domain.TypeQuarterClosed}
	e := domain.QuarterClosed{On: on, Quarter: d.quarter(w.Quarter)}
	return result(e, d.err)
}

func result[E domain.Event](e E, err error) (domain.Event, error) {
	if err != nil {
		return nil, err
	}
	return e, nil
}
