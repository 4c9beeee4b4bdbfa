package domain

import (
	"sort"

	"github.com/shopspring/decimal"
)

// FundState is one fund (customer, quarter, currency) as of a date.
type FundState struct {
	Quarter   Quarter
	Currency  Currency
	Accrued   decimal.Decimal
	Status    string // open, rebated, forfeited
	Rebated   decimal.Decimal
	Forfeited decimal.Decimal
	BountyTo  string // reporter customer id or outside name; "" = none yet
}

type fundSum struct {
	cur Currency
	sum decimal.Decimal
}

// fundSums adds up the exact contributions to each fund counted by d (NoDate: every
// recorded one): amount × rate of the invoices issued in the quarter under an
// agreement, less amount × the credited invoice's rate for credit notes linked to such
// invoices and dated in the quarter.
func (a *Account) fundSums(d Date) map[FundKey]*fundSum {
	sums := map[FundKey]*fundSum{}
	add := func(on Date, c Currency, v decimal.Decimal) {
		if d != NoDate && on > d {
			return
		}
		k := FundKey{Quarter: on.Quarter(), Currency: c.Code()}
		s := sums[k]
		if s == nil {
			s = &fundSum{cur: c, sum: decimal.Zero}
			sums[k] = s
		}
		s.sum = s.sum.Add(v)
	}
	for _, inv := range a.invoiceSeq {
		if inv.HasFund {
			add(inv.Issued, inv.Currency, inv.Amount().Mul(inv.FundRate))
		}
	}
	for _, cn := range a.linkedCNs {
		if cn.invoice.HasFund {
			add(cn.on, cn.currency, cn.amount.Mul(cn.invoice.FundRate).Neg())
		}
	}
	return sums
}

// fundAmount rounds a fund once and never lets it go below zero.
func fundAmount(s *fundSum) decimal.Decimal {
	v := RoundMoney(s.sum, s.cur)
	if v.IsNegative() {
		return decimal.Zero
	}
	return v
}

// forfeitingViolation is the earliest-reported confirmed violation (by report date,
// then recording order) that forfeits quarter q, counting confirmations dated by d
// (NoDate: every recorded one).
func (a *Account) forfeitingViolation(q Quarter, d Date) *Violation {
	var best *Violation
	for _, v := range a.violSeq {
		c := v.Confirmed
		if c == nil || c.ForfeitsNothing || c.Quarter != q || (d != NoDate && c.On > d) {
			continue
		}
		if best == nil || v.ReportedOn < best.ReportedOn {
			best = v
		}
	}
	return best
}

// FundsAsOf lists the account's funds as of d, by quarter then currency.
func (a *Account) FundsAsOf(d Date) []FundState {
	sums := a.fundSums(d)
	out := make([]FundState, 0, len(sums))
	for k, s := range sums {
		st := FundState{Quarter: k.Quarter, Currency: s.cur, Accrued: fundAmount(s), Status: "open",
			Rebated: decimal.Zero, Forfeited: decimal.Zero}
		o := a.funds[k]
		switch {
		case o != nil && o.Forfeited != nil && o.Forfeited.On <= d:
			st.Status, st.Forfeited = "forfeited", o.Forfeited.Amount
			st.BountyTo = o.Forfeited.Reporter
			if st.BountyTo == "" {
				st.BountyTo = o.Forfeited.ReporterName
			}
		case o != nil && o.Rebated != nil && o.Rebated.On <= d:
			st.Status, st.Rebated = "rebated", o.Rebated.Amount
		case a.forfeitingViolation(k.Quarter, d) != nil:
			st.Status, st.Forfeited = "forfeited", st.Accrued
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Quarter != out[j].Quarter {
			return out[i].Quarter.Less(out[j].Quarter)
		}
		return out[i].Currency.Code() < out[j].Currency.Code()
	})
	return out
}

// HasFundsIn reports whether any fund of quarter q exists on the account as recorded.
func (a *Account) HasFundsIn(q Quarter) bool {
	for k := range a.fundSums(NoDate) {
		if k.Quarter == q {
			return true
		}
	}
	return false
}

// DecideClose settles the account's funds of quarter q on the close date: each is
// forfeited (to the reporter of the earliest-reported confirmed violation of q) or
// returned as credit allocated like an unlinked credit note. Funds already settled are
// left alone, so deciding again after a crash adds nothing.
func (a *Account) DecideClose(q Quarter, on Date) []Event {
	sums := a.fundSums(NoDate)
	keys := make([]FundKey, 0, len(sums))
	for k := range sums {
		if k.Quarter == q {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Currency < keys[j].Currency })
	viol := a.forfeitingViolation(q, NoDate)
	var events []Event
	for _, k := range keys {
		if o := a.funds[k]; o != nil && (o.Rebated != nil || o.Forfeited != nil) {
			continue
		}
		s := sums[k]
		amount := fundAmount(s)
		if viol != nil {
			events = append(events, FundForfeited{On: on, Quarter: q, Currency: s.cur, Amount: amount,
				Violation: viol.ID, Reporter: viol.Reporter, ReporterName: viol.ReporterName})
			continue
		}
		e := FundRebated{On: on, Quarter: q, Currency: s.cur, Amount: amount, Unapplied: decimal.Zero}
		if amount.IsPositive() {
			e.Allocations, _, e.Unapplied, _ = a.allocate(s.cur, amount, nil)
		}
		events = append(events, e)
	}
	return events
}

// DecideBounty credits a forfeited fund to this account, the reporter's, allocated like
// a payment dated on the close. It returns nothing if the bounty is already recorded.
func (a *Account) DecideBounty(f FundForfeited, violator string) []Event {
	if _, ok := a.lotByID[BountyID(f.Quarter, violator, f.Currency)]; ok || !f.Amount.IsPositive() {
		return nil
	}
	allocs, _, rest, _ := a.allocate(f.Currency, f.Amount, nil)
	return []Event{BountyAwarded{On: f.On, Quarter: f.Quarter, Currency: f.Currency, Amount: f.Amount,
		Violator: violator, Violation: f.Violation, Allocations: allocs, Unapplied: rest}}
}

// Ledger is the scope of commands that concern no single customer (CloseQuarter).
type Ledger struct {
	closed   map[Quarter]Date
	commands commandLog
}

// NewLedger returns the empty ledger scope.
func NewLedger() *Ledger {
	return &Ledger{closed: map[Quarter]Date{}, commands: commandLog{}}
}

// QuarterClosed reports whether q was closed.
func (l *Ledger) QuarterClosed(q Quarter) bool { _, ok := l.closed[q]; return ok }

// ClosedQuarters are the closed quarters with their close dates.
func (l *Ledger) ClosedQuarters() map[Quarter]Date { return l.closed }

// DecideClose checks a CloseQuarter: once per quarter, dated after its last day.
func (l *Ledger) DecideClose(c *CloseQuarter) ([]Event, error) {
	if c.On <= c.Quarter.Last() {
		return nil, fieldErr("on", Refused, "quarter %s ends on %s; it can be closed only after that", c.Quarter, c.Quarter.Last())
	}
	if l.QuarterClosed(c.Quarter) {
		return nil, fieldErr("quarter", Refused, "quarter %s is already closed", c.Quarter)
	}
	return []Event{QuarterClosed{On: c.On, Quarter: c.Quarter}}, nil
}

// Apply folds a ledger-scope event.
func (l *Ledger) Apply(e Event) {
	if qc, ok := e.(QuarterClosed); ok {
		l.closed[qc.Quarter] = qc.On
	}
}

// Remember and CheckCommand give the ledger scope the same idempotency as accounts.
func (l *Ledger) Remember(id, hash string) { l.commands.remember(id, hash) }

// CheckCommand: see Account.CheckCommand.
func (l *Ledger) CheckCommand(id, hash string) (bool, error) { return l.commands.check(id, hash) }
