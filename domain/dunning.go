package domain

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
)

// Dunning: the steps of SPEC section 6 and their status "as of D". Pure functions of an
// Account and a Policy; nothing here records anything.
//
// Decisions taken where SPEC is silent (team lead, written down here):
//
//   - Steps are generated independently of payment; the status handles settlement.
//     For each grade g and each row of g's ladder the date is the issue date ("0i") or
//     effective due + offset; the step exists only if Account.GradeOn(date) == g ("each
//     date uses the ladder of the grade in force on that date") and date >= issue date.
//     After the ladder's last offset L_g an automatic reminder falls on due+L_g+30k
//     (k >= 1), each kept only if GradeOn(date) == g. Only what falls in the asked
//     window is generated (the repeats are unbounded). GradeOn is the account's, with
//     every recorded assessment (also one dated after D).
//   - Extensions: only those dated on or before D count. With due_0 the original due
//     date and e_1..e_n the extensions in recording order, each row's date is computed
//     from due_0 and then, for each e_i in turn, re-computed from e_i's due date if it
//     falls after e_i.On. A row is re-dated, never repeated. "0i" steps use the issue
//     date and are always kept, once.
//   - bad_debt_review: one manual step on Invoice.DoubtfulSince(D).
//   - short_payment_notice: per payment (applications of kind AppPayment, grouped by
//     Source) whose last application to the invoice left Remaining > 0, an automatic
//     step on the payment's date (MoneyOn), if that date is <= D. Like every step, it is
//     dropped if dated before the issue date. Credit applied at the invoice's issue
//     (Application.AtIssue) is not a payment of it and adds no notice.
//   - Promises dated on or before D: automatic steps dated in [On, Promised] are held
//     (suspended). A promise is broken when D > Promised and the payments effective in
//     [On, Promised] (applications of kind AppPayment, not AtIssue) sum to less than its amount; a
//     manual call then falls on Promised+1 (Step.BrokenPromise).
//   - Two rules that yield the same identity (invoice, action, date) — a broken-promise
//     call on a ladder call's day, two broken promises for one day — make one step; it
//     is a broken-promise step if any of them is.
//   - Manual matching, see matchActions.

// StepStatus is the status of a step as of a date; a closed set.
type StepStatus struct{ name string }

var (
	StepPending   = StepStatus{"pending"}
	StepDone      = StepStatus{"done"}
	StepCancelled = StepStatus{"cancelled"}
	StepSuspended = StepStatus{"suspended"}
)

// ParseStepStatus reads a status name.
func ParseStepStatus(s string) (StepStatus, error) {
	for _, st := range []StepStatus{StepPending, StepDone, StepCancelled, StepSuspended} {
		if st.name == s {
			return st, nil
		}
	}
	return StepStatus{}, fmt.Errorf("%q is not a step status (pending, done, cancelled, suspended)", s)
}

func (s StepStatus) String() string { return s.name }

// IsZero reports whether the status is unset.
func (s StepStatus) IsZero() bool { return s.name == "" }

// Step is one collection action due on an invoice.
type Step struct {
	Invoice, Customer string
	Action            Action
	Date              Date
	Automatic         bool // sent by the engine; else a manual task for the collector
	Status            StepStatus
	Payment           string // short_payment_notice: the payment that left the invoice short
	BrokenPromise     bool   // a call added because a promise was broken
	Why               string // e.g. "grade 3 ladder default-1: +7 call from due 2026-01-31"
}

// ID is the step's identity (SPEC 6): invoice/action/date, or invoice/
// short_payment_notice/payment for a short-payment notice. It is also the idempotency
// key of the delivery and of its reminder.sent.v1 event.
func (s Step) ID() string {
	if s.Action == ActShortPaymentNotice {
		return s.Invoice + "/" + ActShortPaymentNotice.String() + "/" + s.Payment
	}
	return s.Invoice + "/" + s.Action.String() + "/" + s.Date.String()
}

// Steps returns every step of the invoice dated in [from, to] with its status as of
// asOf, by date, action (then payment). An invoice issued after asOf has none. The
// repeating reminder is generated only inside the window, so the work grows with
// to − max(from, issue date): keep the window bounded (the schedule report uses
// D−30..D+30). Manual
// steps are matched against the account's actions across all its invoices (a
// customer-level action may complete another invoice's step), so the account is needed.
func (p *Policy) Steps(a *Account, inv *Invoice, asOf Date, from, to Date) []Step {
	if inv.Issued > asOf {
		return nil
	}
	b := p.newBook(a, asOf, from, to, false)
	return b.finish(b.invoiceSteps(inv))
}

// AccountSteps returns the steps dated in [from, to] of every invoice of the account
// issued on or before asOf, with their status as of asOf, sorted by date, invoice id
// (bytes), action name (then payment id).
func (p *Policy) AccountSteps(a *Account, asOf, from, to Date) []Step {
	return p.accountSteps(a, asOf, from, to, false)
}

func (p *Policy) accountSteps(a *Account, asOf, from, to Date, manualOnly bool) []Step {
	b := p.newBook(a, asOf, from, to, manualOnly)
	var out []Step
	for _, inv := range a.Invoices() {
		if inv.Issued <= asOf {
			out = append(out, b.invoiceSteps(inv)...)
		}
	}
	return b.finish(out)
}

// book computes the steps of one account as of one date.
type book struct {
	p          *Policy
	a          *Account
	asOf       Date
	from, to   Date
	manualOnly bool
	settled    map[string]Date           // invoice -> SettledOn
	matched    map[string]bool           // manual step ids done
	noContact  map[string][]ReminderSent // invoice -> reminders that found no contact
}

func (p *Policy) newBook(a *Account, asOf, from, to Date, manualOnly bool) *book {
	b := &book{p: p, a: a, asOf: asOf, from: from, to: to, manualOnly: manualOnly,
		settled: map[string]Date{}}
	for _, inv := range a.Invoices() {
		b.settled[inv.ID] = inv.SettledOn()
	}
	for _, r := range a.Reminders() {
		if r.Channel == ChannelManual && r.On <= asOf {
			if b.noContact == nil {
				b.noContact = map[string][]ReminderSent{}
			}
			b.noContact[r.Invoice] = append(b.noContact[r.Invoice], r)
		}
	}
	b.matched = b.matchActions()
	return b
}

func (b *book) finish(steps []Step) []Step {
	slices.SortFunc(steps, CompareSteps)
	return steps
}

// CompareSteps orders steps as the schedule lists them: date, invoice, action, then
// payment (short-payment notices).
func CompareSteps(x, y Step) int {
	if c := cmp.Compare(x.Date, y.Date); c != 0 {
		return c
	}
	if c := cmp.Compare(x.Invoice, y.Invoice); c != 0 {
		return c
	}
	if c := cmp.Compare(x.Action.String(), y.Action.String()); c != 0 {
		return c
	}
	return cmp.Compare(x.Payment, y.Payment)
}

// invoiceSteps returns the invoice's steps in the book's window with their status.
func (b *book) invoiceSteps(inv *Invoice) []Step {
	steps := b.generate(inv, b.from, b.to, b.manualOnly)
	for i := range steps {
		steps[i].Status = b.status(inv, &steps[i])
	}
	return steps
}

// generate lists the invoice's steps dated in [from, to] (and not before its issue
// date), without status.
func (b *book) generate(inv *Invoice, from, to Date, manualOnly bool) []Step {
	p, a, asOf := b.p, b.a, b.asOf
	lo, hi := max(from, inv.Issued), to
	if lo > hi {
		return nil
	}
	var steps []Step
	index := map[string]int{}
	add := func(act Action, d Date, why string, payment string, broken bool) {
		if d < lo || d > hi || (manualOnly && act.Automatic()) {
			return
		}
		s := Step{Invoice: inv.ID, Customer: inv.Customer(), Action: act, Date: d,
			Automatic: act.Automatic(), Payment: payment, BrokenPromise: broken, Why: why}
		id := s.ID()
		if i, ok := index[id]; ok {
			old := &steps[i]
			old.BrokenPromise = old.BrokenPromise || broken
			old.Why += "; " + why
			return
		}
		index[id] = len(steps)
		steps = append(steps, s)
	}

	// Issue-date rows, with the grade in force on the issue date.
	if g := a.GradeOn(inv.Issued); g >= 1 && g <= 5 {
		for _, r := range p.ladders[g] {
			if r.AtIssue {
				add(r.Action, inv.Issued, fmt.Sprintf("grade %d ladder %s: 0i %s", g, p.version, r.Action), "", false)
			}
		}
	}

	// Due-relative rows and repeats. An extension re-dates, from its new due date,
	// every step dated after the extension's date; steps on or before it keep their
	// dates. Each row is re-dated through the extensions in order, so a row that
	// already fell before an extension is not repeated from the new due date.
	var exts []ExtensionGranted
	for _, e := range inv.Extensions() {
		if e.On <= asOf {
			exts = append(exts, e)
		}
	}
	redate := func(offset int) (Date, Date, string) {
		due, note := inv.Due, ""
		d := due.AddDays(offset)
		for _, e := range exts {
			if d > e.On {
				due, note = e.Due, fmt.Sprintf(" (extension of %s)", e.On)
				d = due.AddDays(offset)
			}
		}
		return d, due, note
	}
	latest := inv.Due
	for _, e := range exts {
		latest = max(latest, e.Due)
	}
	for g := 1; g <= 5; g++ {
		for _, r := range p.ladders[g] {
			if r.AtIssue {
				continue
			}
			if d, due, note := redate(r.Offset); d >= lo && d <= hi && a.GradeOn(d) == g {
				add(r.Action, d, fmt.Sprintf("grade %d ladder %s: %s %s from due %s%s",
					g, p.version, r.OffsetString(), r.Action, due, note), "", false)
			}
		}
		if manualOnly { // the repeats are automatic reminders
			continue
		}
		// Repeat k is dated between inv.Due+last+30k and latest+last+30k.
		k := int64(1)
		if diff := int64(lo) - int64(latest) - int64(p.last[g]); diff > RepeatEvery {
			k = diff / RepeatEvery
		}
		for ; int64(inv.Due)+int64(p.last[g])+RepeatEvery*k <= int64(hi); k++ {
			d, due, note := redate(p.last[g] + int(RepeatEvery*k))
			if d >= lo && d <= hi && a.GradeOn(d) == g {
				add(ActReminder, d, fmt.Sprintf("grade %d ladder %s: reminder every %d days after %s (#%d) from due %s%s",
					g, p.version, RepeatEvery, LadderRow{Offset: p.last[g]}.OffsetString(), k, due, note), "", false)
			}
		}
	}

	// The doubtful day.
	due := inv.DueAsOf(asOf)
	add(ActBadDebtReview, inv.DoubtfulSince(asOf),
		fmt.Sprintf("doubtful day: effective due %s + 6 months + 1 day", due), "", false)

	// Short payments: each payment whose last application left the invoice short.
	if !manualOnly {
		last := map[string]Application{}
		var order []string
		for _, ap := range inv.Apps {
			if ap.Kind != AppPayment || ap.AtIssue {
				continue
			}
			if _, ok := last[ap.Source]; !ok {
				order = append(order, ap.Source)
			}
			last[ap.Source] = ap
		}
		for _, src := range order {
			ap := last[src]
			if ap.Remaining.IsPositive() && ap.MoneyOn <= asOf {
				add(ActShortPaymentNotice, ap.MoneyOn, fmt.Sprintf("payment %s of %s left %s %s unpaid",
					src, ap.MoneyOn, ap.Remaining.StringFixed(inv.Currency.Digits()), inv.Currency), src, false)
			}
		}
	}

	// Automatic steps the engine could not send (no email, webhook or phone on the
	// account) become a manual task: the collector calls instead, on the step's date.
	for _, r := range b.noContact[inv.ID] {
		add(ActCall, r.StepDate, fmt.Sprintf("%s of %s could not be sent: no contact on the account; call instead",
			r.Action, r.StepDate), "", false)
	}

	// Broken promises.
	for _, pr := range b.promises(inv) {
		if asOf <= pr.Promised {
			continue
		}
		paid := inv.PaidBetween(pr.On, pr.Promised)
		if paid.LessThan(pr.Amount) {
			add(ActCall, pr.Promised.AddDays(1), fmt.Sprintf("promise of %s to pay %s %s by %s broken: %s %s paid",
				pr.On, pr.Amount.StringFixed(inv.Currency.Digits()), inv.Currency, pr.Promised,
				paid.StringFixed(inv.Currency.Digits()), inv.Currency), "", true)
		}
	}
	return steps
}

// PaidBetween sums the payments applied to the invoice effective in [from, to].
func (inv *Invoice) PaidBetween(from, to Date) decimal.Decimal {
	sum := decimal.Zero
	for _, ap := range inv.Apps {
		if ap.Kind == AppPayment && !ap.AtIssue && ap.On >= from && ap.On <= to {
			sum = sum.Add(ap.Amount)
		}
	}
	return sum
}

// promises of the invoice dated on or before the book's date.
func (b *book) promises(inv *Invoice) []*Promise {
	var out []*Promise
	for _, pr := range b.a.Promises() {
		if pr.Invoice == inv.ID && pr.On <= b.asOf {
			out = append(out, pr)
		}
	}
	return out
}

// cancelledEarly is status rule (1): the invoice was settled on or before D and before
// the step's date.
func (b *book) cancelledEarly(inv *Invoice, s *Step) bool {
	st := b.settled[inv.ID]
	return st != NoDate && st <= b.asOf && st < s.Date
}

// suspended is status rule (2): disputed on the step's date (for a step after D: on D),
// or an automatic step in a promise's hold.
func (b *book) suspended(inv *Invoice, s *Step) bool {
	if inv.DisputedOn(min(s.Date, b.asOf)) {
		return true
	}
	if s.Automatic {
		for _, pr := range b.promises(inv) {
			if s.Date >= pr.On && s.Date <= pr.Promised {
				return true
			}
		}
	}
	return false
}

// status of a step as of D, first match wins (SPEC 6):
//
//  1. cancelled: the invoice was settled on or before D and before the step's date;
//  2. suspended: disputed on the step's date (a step after D: on D), or an automatic
//     step in a promise's hold — unless the invoice is settled on or before D: SPEC's
//     rule 4 says "suspended ones included", which strict first-match order would make
//     unreachable, so a settled invoice's suspended steps are cancelled;
//  3. done: automatic — a reminder.sent.v1 for its ID dated on or before D; manual —
//     completed by a RecordAction (matchActions);
//  4. cancelled: the invoice is settled on or before D;
//  5. pending.
func (b *book) status(inv *Invoice, s *Step) StepStatus {
	settled := b.settled[inv.ID] != NoDate && b.settled[inv.ID] <= b.asOf
	switch {
	case b.cancelledEarly(inv, s):
		return StepCancelled
	case b.suspended(inv, s):
		if settled {
			return StepCancelled
		}
		return StepSuspended
	case b.done(s):
		return StepDone
	case settled:
		return StepCancelled
	}
	return StepPending
}

func (b *book) done(s *Step) bool {
	if s.Automatic {
		r, ok := b.a.Reminders()[s.ID()]
		return ok && r.On <= b.asOf
	}
	return b.matched[s.ID()]
}

// matchActions decides which manual steps the account's RecordActions completed as of
// D. Actions dated on or before D are taken by date, then recording order. Each
// completes the earliest still-unmatched manual step (ties on date: smallest invoice
// id) of the same action, dated on or before the action's date, of the action's invoice
// — or, for an action naming no invoice, of any invoice of the customer — that is not
// cancelled or suspended by status rules (1)-(2) and was still needed on the action's
// date: a step of an invoice settled before the action's date is not completed (SPEC:
// "each completing the earliest such pending step"; otherwise a customer-level call
// after one invoice was paid would complete that paid invoice's old call instead of
// the open invoice's). An action on the settlement day itself still completes it. An
// action that finds no step completes nothing; automatic actions recorded by hand
// complete nothing (automatic steps are done only by reminder.sent.v1).
func (b *book) matchActions() map[string]bool {
	matched := map[string]bool{}
	var acts []ActionRecorded
	for _, act := range b.a.Actions() {
		if act.On <= b.asOf && !act.Action.Automatic() {
			acts = append(acts, act)
		}
	}
	if len(acts) == 0 {
		return matched
	}
	slices.SortStableFunc(acts, func(x, y ActionRecorded) int { return cmp.Compare(x.On, y.On) })

	type cand struct {
		step    Step
		settled Date
		used    bool
	}
	byAction := map[Action][]*cand{}
	for _, inv := range b.a.Invoices() {
		if inv.Issued > b.asOf {
			continue
		}
		for _, s := range b.generate(inv, inv.Issued, b.asOf, true) {
			if b.cancelledEarly(inv, &s) || b.suspended(inv, &s) {
				continue
			}
			byAction[s.Action] = append(byAction[s.Action], &cand{step: s, settled: b.settled[inv.ID]})
		}
	}
	for _, list := range byAction {
		slices.SortFunc(list, func(x, y *cand) int { return CompareSteps(x.step, y.step) })
	}
	for _, act := range acts {
		for _, c := range byAction[act.Action] {
			if c.step.Date > act.On {
				break
			}
			if c.used || (act.Invoice != "" && c.step.Invoice != act.Invoice) ||
				(c.settled != NoDate && c.settled < act.On) {
				continue
			}
			c.used = true
			matched[c.step.ID()] = true
			break
		}
	}
	return matched
}
