package domain

import (
	"sort"

	"github.com/shopspring/decimal"
)

// Env answers what a decision needs to know beyond its own account. It is read-only.
type Env interface {
	// CustomerRegistered reports whether another account exists.
	CustomerRegistered(id string) bool
	// QuarterClosed reports whether CloseQuarter for q was recorded.
	QuarterClosed(q Quarter) bool
}

// Decide checks a command against the account as recorded and returns the events that
// carry its decision. It does not change the account: the caller applies the events
// once they are committed. CloseQuarter is decided by DecideClose and DecideBounty.
func (a *Account) Decide(cmd Command, env Env) ([]Event, error) {
	if _, isReg := cmd.(*RegisterCustomer); !isReg && !a.registered {
		return nil, fieldErr("customer", Unknown, "customer %q is not registered", a.id)
	}
	switch c := cmd.(type) {
	case *RegisterCustomer:
		return a.register(c)
	case *AssessCredit:
		return []Event{CreditAssessed{On: c.On, Key: c.Key, Other: c.Other, Grade: GradeFor(c.Key, c.Other)}}, nil
	case *IssueInvoice:
		return a.issueInvoice(c)
	case *RecordPayment:
		return a.recordPayment(c)
	case *IssueCreditNote:
		return a.issueCreditNote(c)
	case *GrantExtension:
		return a.grantExtension(c)
	case *OpenDispute:
		inv, err := a.invoiceFor(c.Invoice, c.On)
		if err != nil {
			return nil, err
		}
		if !inv.Open() {
			return nil, fieldErr("invoice", Refused, "invoice %q is not open (nothing outstanding or written off)", c.Invoice)
		}
		if inv.disputed {
			return nil, fieldErr("invoice", Refused, "invoice %q is already disputed", c.Invoice)
		}
		return []Event{DisputeOpened{On: c.On, Invoice: c.Invoice, Reason: c.Reason}}, nil
	case *ResolveDispute:
		inv, err := a.invoiceFor(c.Invoice, c.On)
		if err != nil {
			return nil, err
		}
		if !inv.disputed {
			return nil, fieldErr("invoice", Refused, "invoice %q has no open dispute", c.Invoice)
		}
		return []Event{DisputeResolved{On: c.On, Invoice: c.Invoice, Reason: c.Reason}}, nil
	case *WriteOff:
		return a.writeOff(c)
	case *RecordPromise:
		return a.recordPromise(c)
	case *RecordAction:
		if c.Invoice != "" {
			if _, err := a.invoiceFor(c.Invoice, c.On); err != nil {
				return nil, err
			}
		}
		return []Event{ActionRecorded{On: c.On, Invoice: c.Invoice, Action: c.Action, Outcome: c.Outcome, Note: c.Note}}, nil
	case *AgreePriceProtection:
		return []Event{FundAgreed{On: c.On, Rate: c.Rate}}, nil
	case *ReportViolation:
		return a.reportViolation(c, env)
	case *ConfirmViolation:
		return a.confirmViolation(c, env)
	case *MarkDoubtful:
		inv, err := a.invoiceFor(c.Invoice, c.On)
		if err != nil {
			return nil, err
		}
		if inv.Doubtful {
			return nil, fieldErr("invoice", Refused, "invoice %q is already marked doubtful", c.Invoice)
		}
		if inv.WrittenOff() != nil || !inv.DoubtfulOn(c.On) {
			return nil, fieldErr("on", Refused, "invoice %q is not doubtful on %s", c.Invoice, c.On)
		}
		return []Event{InvoiceBecameDoubtful{On: c.On, Invoice: c.Invoice}}, nil
	case *RecordReminder:
		if _, done := a.reminders[c.Step]; done {
			return nil, fieldErr("step", Duplicate, "step %q is already recorded as sent", c.Step)
		}
		if _, ok := a.invoices[c.Invoice]; !ok {
			return nil, fieldErr("invoice", Unknown, "invoice %q is not an invoice of customer %q", c.Invoice, a.id)
		}
		return []Event{ReminderSent{On: c.On, Step: c.Step, Invoice: c.Invoice, Action: c.Action,
			StepDate: c.StepDate, Channel: c.Channel, Outcome: c.Outcome}}, nil
	case *RejectViolation:
		v, err := a.openViolation(c.Violation, c.On)
		if err != nil {
			return nil, err
		}
		return []Event{ViolationRejected{On: c.On, Violation: v.ID}}, nil
	}
	return nil, fieldErr("cmd", Invalid, "command %T is not decided by an account", cmd)
}

func (a *Account) register(c *RegisterCustomer) ([]Event, error) {
	if a.registered {
		return nil, fieldErr("customer", Duplicate, "customer %q is already registered", c.Customer)
	}
	return []Event{CustomerRegistered{On: c.On, Customer: c.Customer, Name: c.Name, Grade: c.Grade,
		TermsDays: c.TermsDays, Collector: c.Collector, Email: c.Email, Phone: c.Phone, Webhook: c.Webhook}}, nil
}

// invoiceFor finds an invoice of this account that a command dated on refers to.
func (a *Account) invoiceFor(id string, on Date) (*Invoice, error) {
	inv, ok := a.invoices[id]
	if !ok {
		return nil, fieldErr("invoice", Unknown, "invoice %q is not an invoice of customer %q", id, a.id)
	}
	if on < inv.Issued {
		return nil, fieldErr("on", Invalid, "%s is before invoice %q was issued (%s)", on, id, inv.Issued)
	}
	return inv, nil
}

func (a *Account) issueInvoice(c *IssueInvoice) ([]Event, error) {
	if _, ok := a.invoices[c.Invoice]; ok {
		return nil, fieldErr("invoice", Duplicate, "invoice %q already exists", c.Invoice)
	}
	due := c.Due
	if due == NoDate {
		due = c.On.AddDays(a.profile.TermsDays)
	} else if due < c.On {
		return nil, fieldErr("due", Invalid, "due date %s is before the issue date %s", due, c.On)
	}
	e := InvoiceIssued{On: c.On, Invoice: c.Invoice, Amount: c.Amount, Currency: c.Currency, Due: due}
	if rate, ok := a.fundRateOn(c.On); ok {
		e.HasFund, e.FundRate = true, rate
	}
	// Unapplied credit in the invoice's currency is applied to it, oldest credit first.
	left := c.Amount
	for _, lot := range a.lotsByAge(c.Currency) {
		if !left.IsPositive() {
			break
		}
		take := decimal.Min(left, lot.unapplied)
		e.Applied = append(e.Applied, CreditApplication{Source: lot.ID, Amount: take})
		left = left.Sub(take)
	}
	return []Event{e}, nil
}

// fundRateOn is the rate of the agreement in force for an invoice issued on d: the
// latest agreement dated on or before d (the later recorded on a tie).
func (a *Account) fundRateOn(d Date) (decimal.Decimal, bool) {
	var rate decimal.Decimal
	found, best := false, NoDate
	for _, ag := range a.agreements {
		if ag.on <= d && ag.on >= best {
			rate, best, found = ag.rate, ag.on, true
		}
	}
	return rate, found
}

// lotsByAge are the lots of a currency with unapplied credit, oldest first (by date,
// then recording order).
func (a *Account) lotsByAge(c Currency) []*CreditLot {
	var out []*CreditLot
	for _, l := range a.lots {
		if l.Currency == c && l.unapplied.IsPositive() {
			out = append(out, l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].On < out[j].On })
	return out
}

func (a *Account) recordPayment(c *RecordPayment) ([]Event, error) {
	if a.payments[c.Payment] {
		return nil, fieldErr("payment", Duplicate, "payment %q already exists", c.Payment)
	}
	allocs, recs, rest, err := a.allocate(c.Currency, c.Amount, c.Allocations)
	if err != nil {
		return nil, err
	}
	return []Event{PaymentRecorded{On: c.On, Payment: c.Payment, Amount: c.Amount, Currency: c.Currency,
		Allocations: allocs, Recoveries: recs, Unapplied: rest}}, nil
}

func (a *Account) issueCreditNote(c *IssueCreditNote) ([]Event, error) {
	if a.creditNote[c.CreditNote] {
		return nil, fieldErr("credit_note", Duplicate, "credit note %q already exists", c.CreditNote)
	}
	e := CreditNoteIssued{On: c.On, CreditNote: c.CreditNote, Amount: c.Amount, Currency: c.Currency, Invoice: c.Invoice}
	if c.Invoice != "" {
		inv, err := a.invoiceFor(c.Invoice, c.On)
		if err != nil {
			return nil, err
		}
		switch {
		case inv.Currency != c.Currency:
			return nil, fieldErr("currency", Refused, "invoice %q is in %s, the credit note in %s", c.Invoice, inv.Currency, c.Currency)
		case inv.WrittenOff() != nil:
			return nil, fieldErr("invoice", Refused, "invoice %q is written off", c.Invoice)
		case c.Amount.GreaterThan(inv.Outstanding()):
			return nil, fieldErr("amount", Refused, "credit %s exceeds the outstanding %s of invoice %q",
				c.Amount, FormatMoney(inv.Outstanding(), inv.Currency), c.Invoice)
		}
		return []Event{e}, nil
	}
	allocs, _, rest, err := a.allocate(c.Currency, c.Amount, nil)
	if err != nil {
		return nil, err
	}
	e.Allocations, e.Unapplied = allocs, rest
	return []Event{e}, nil
}

func (a *Account) grantExtension(c *GrantExtension) ([]Event, error) {
	inv, err := a.invoiceFor(c.Invoice, c.On)
	if err != nil {
		return nil, err
	}
	cur := inv.CurrentDue()
	switch g := a.GradeOn(c.On); {
	case !inv.Open():
		return nil, fieldErr("invoice", Refused, "invoice %q is not open", c.Invoice)
	case g != 1 && g != 2:
		return nil, fieldErr("invoice", Refused, "customer %q has credit grade %d on %s; extensions need grade 1 or 2", a.id, g, c.On)
	case len(inv.Extensions()) >= 2:
		return nil, fieldErr("invoice", Refused, "invoice %q already has 2 extensions", c.Invoice)
	case c.Due <= cur:
		return nil, fieldErr("due", Refused, "new due date %s is not later than the current due date %s", c.Due, cur)
	case c.Due > inv.Due.AddDays(90):
		return nil, fieldErr("due", Refused, "new due date %s is more than 90 days after the original due date %s", c.Due, inv.Due)
	}
	return []Event{ExtensionGranted{On: c.On, Invoice: c.Invoice, Due: c.Due, PreviousDue: cur}}, nil
}

func (a *Account) writeOff(c *WriteOff) ([]Event, error) {
	inv, err := a.invoiceFor(c.Invoice, c.On)
	if err != nil {
		return nil, err
	}
	switch {
	case inv.WrittenOff() != nil:
		return nil, fieldErr("invoice", Refused, "invoice %q is already written off", c.Invoice)
	case !inv.Outstanding().IsPositive():
		return nil, fieldErr("invoice", Refused, "invoice %q has nothing outstanding", c.Invoice)
	case !c.Force && !inv.DoubtfulOn(c.On):
		return nil, fieldErr("force", Refused, "invoice %q is not doubtful on %s (doubtful from %s); set force to write it off anyway",
			c.Invoice, c.On, inv.DoubtfulSince(c.On))
	}
	return []Event{InvoiceWrittenOff{On: c.On, Invoice: c.Invoice, Amount: inv.Outstanding(), Reason: c.Reason, Forced: c.Force}}, nil
}

func (a *Account) recordPromise(c *RecordPromise) ([]Event, error) {
	inv, err := a.invoiceFor(c.Invoice, c.On)
	if err != nil {
		return nil, err
	}
	amount, err := ParseAmount(c.Amount, inv.Currency)
	if err != nil {
		return nil, fieldErr("amount", Invalid, "%v", err)
	}
	switch {
	case c.Promised < c.On:
		return nil, fieldErr("promised", Invalid, "promised date %s is before %s", c.Promised, c.On)
	case !inv.Open():
		return nil, fieldErr("invoice", Refused, "invoice %q is not open", c.Invoice)
	}
	return []Event{PromiseRecorded{On: c.On, Invoice: c.Invoice, Promised: c.Promised, Amount: amount}}, nil
}

func (a *Account) reportViolation(c *ReportViolation, env Env) ([]Event, error) {
	if _, ok := a.violations[c.Violation]; ok {
		return nil, fieldErr("violation", Duplicate, "violation %q already exists", c.Violation)
	}
	if c.OccurredOn > c.On {
		return nil, fieldErr("occurred_on", Invalid, "occurred_on %s is after the report's date %s", c.OccurredOn, c.On)
	}
	if c.Reporter != "" {
		if c.Reporter == a.id {
			return nil, fieldErr("reporter", Refused, "a customer cannot report its own violation")
		}
		if !env.CustomerRegistered(c.Reporter) {
			return nil, fieldErr("reporter", Unknown, "reporter %q is not a registered customer", c.Reporter)
		}
	}
	return []Event{ViolationReported{On: c.On, Violation: c.Violation, Reporter: c.Reporter,
		ReporterName: c.ReporterName, OccurredOn: c.OccurredOn}}, nil
}

func (a *Account) openViolation(id string, on Date) (*Violation, error) {
	v, ok := a.violations[id]
	switch {
	case !ok:
		return nil, fieldErr("violation", Unknown, "violation %q is not known", id)
	case v.Confirmed != nil || v.Rejected != nil:
		return nil, fieldErr("violation", Refused, "violation %q was already confirmed or rejected", id)
	case on < v.ReportedOn:
		return nil, fieldErr("on", Invalid, "%s is before violation %q was reported (%s)", on, id, v.ReportedOn)
	}
	return v, nil
}

func (a *Account) confirmViolation(c *ConfirmViolation, env Env) ([]Event, error) {
	v, err := a.openViolation(c.Violation, c.On)
	if err != nil {
		return nil, err
	}
	q := v.OccurredOn.Quarter()
	return []Event{ViolationConfirmed{On: c.On, Violation: v.ID, Quarter: q, ForfeitsNothing: env.QuarterClosed(q)}}, nil
}
