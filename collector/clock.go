package collector

import (
	"context"
	"fmt"
	"sort"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/ledger"
)

// Clock records what the passing of time made true, as commands with deterministic
// ids, so that several instances, or a re-run after a crash, record each fact once:
// an invoice passing its doubtful day ("doubtful:<invoice>"), a quarter ended
// ("close:<quarter>", dated its first day after), and automatic steps falling due
// (jobs on the work queue, de-duplicated by step id).
type Clock struct {
	Service *ledger.Service
	Policy  *domain.Policy
	Queue   *Queue
	// Lookback is how many days back a pending automatic step is still sent (an
	// engine that was down for a weekend catches up; older ones are left to the
	// collector's worklist). Default 3.
	Lookback int
}

// ClockRun says what one run recorded.
type ClockRun struct {
	Doubtful, Closed, Enqueued int
}

// Run records the facts of day today.
func (c *Clock) Run(ctx context.Context, today domain.Date) (ClockRun, error) {
	var run ClockRun
	if _, err := c.Service.CatchUpAll(ctx); err != nil {
		return run, err
	}
	lookback := c.Lookback
	if lookback <= 0 {
		lookback = 3
	}
	var doubtful []*domain.MarkDoubtful
	quarters := map[domain.Quarter]bool{}
	var jobs []Job
	c.Service.View(func(b *domain.Books) {
		for _, a := range b.Accounts() {
			for _, inv := range a.Invoices() {
				if !inv.Doubtful && inv.WrittenOff() == nil && inv.DoubtfulOn(today) {
					since := inv.DoubtfulSince(today)
					doubtful = append(doubtful, &domain.MarkDoubtful{Meta: domain.Meta{ID: "doubtful:" + inv.ID, On: since}, Invoice: inv.ID})
				}
			}
			for _, f := range a.FundsAsOf(today) {
				if f.Quarter.Last() < today && !b.QuarterClosed(f.Quarter) {
					quarters[f.Quarter] = true
				}
			}
			if c.Queue == nil {
				continue
			}
			p := a.Profile()
			for _, s := range c.Policy.AccountSteps(a, today, today.AddDays(-lookback), today) {
				if !s.Automatic || s.Status != domain.StepPending {
					continue
				}
				inv, _ := a.Invoice(s.Invoice)
				jobs = append(jobs, Job{StepID: s.ID(), Customer: a.ID(), CustomerName: p.Name, Invoice: s.Invoice,
					Action: s.Action.String(), StepDate: s.Date.String(), Currency: inv.Currency.Code(),
					Outstanding: domain.FormatMoney(inv.OutstandingAsOf(today), inv.Currency),
					Due:         inv.DueAsOf(today).String(), Email: p.Email, Webhook: p.Webhook})
			}
		}
	})
	for _, cmd := range doubtful {
		if err := c.record(ctx, cmd); err != nil {
			return run, err
		}
		run.Doubtful++
	}
	qs := make([]domain.Quarter, 0, len(quarters))
	for q := range quarters {
		qs = append(qs, q)
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].Less(qs[j]) })
	for _, q := range qs {
		cmd := &domain.CloseQuarter{Meta: domain.Meta{ID: "close:" + q.String(), On: q.Next().First()}, Quarter: q}
		if err := c.record(ctx, cmd); err != nil {
			return run, err
		}
		run.Closed++
	}
	for _, j := range jobs {
		if err := c.Queue.Enqueue(ctx, j); err != nil {
			return run, fmt.Errorf("enqueue %s: %w", j.StepID, err)
		}
		run.Enqueued++
	}
	return run, nil
}

// record executes a clock command; a refusal because the fact is already recorded
// (by another instance) is not an error.
func (c *Clock) record(ctx context.Context, cmd domain.Command) error {
	_, err := c.Service.Execute(ctx, cmd, "clock")
	if fe, ok := domain.Refusal(err); ok && (fe.Reason == domain.Refused || fe.Reason == domain.Duplicate) {
		return nil
	}
	return err
}

// ServiceLedger is the worker's view of the books through the ledger service.
type ServiceLedger struct {
	Service *ledger.Service
	// Today is the business date a reminder is recorded on.
	Today func() domain.Date
}

// Sent reports whether reminder.sent.v1 is recorded for the step, after catching up
// with other instances' writes to the customer's account (the only one it reads: a
// catch-up with the whole stream on every job would read everything written since).
func (l ServiceLedger) Sent(ctx context.Context, customer, stepID string) (bool, error) {
	if err := l.Service.CatchUp(ctx, customer); err != nil {
		return false, err
	}
	sent := false
	l.Service.View(func(b *domain.Books) {
		if a, ok := b.Existing(customer); ok {
			_, sent = a.Reminders()[stepID]
		}
	})
	return sent, nil
}

// RecordSent records reminder.sent.v1 with the command id "reminder:<step id>".
func (l ServiceLedger) RecordSent(ctx context.Context, j Job, channel, outcome string) error {
	act, err := domain.ParseAction(j.Action)
	if err != nil {
		return err
	}
	stepDate, err := domain.ParseDate(j.StepDate)
	if err != nil {
		return err
	}
	cmd := &domain.RecordReminder{Meta: domain.Meta{ID: "reminder:" + j.StepID, On: l.Today()}, Customer: j.Customer,
		Step: j.StepID, Invoice: j.Invoice, Action: act, StepDate: stepDate, Channel: channel, Outcome: outcome}
	_, err = l.Service.Execute(ctx, cmd, "reminder")
	if fe, ok := domain.Refusal(err); ok && fe.Reason == domain.Duplicate && fe.Field == "step" {
		return nil // recorded by another instance
	}
	return err
}
