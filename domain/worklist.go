package domain

import (
	"cmp"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// MaxContactsPerDay is the most contacts (customers) on one collector's worklist for a
// day (SPEC 6).
const MaxContactsPerDay = 60

// WorklistHorizon bounds the day-by-day simulation of the overflow: it starts at most
// this many working days before the worklist's day. Older pending steps are still
// tasks; only the overflow carried over from before the horizon is not replayed.
const WorklistHorizon = 400

// Calendar says which days are working days: Monday to Friday, except holidays.
type Calendar struct{ Holidays map[Date]bool }

// IsWorkingDay reports whether d is a Monday..Friday that is not a holiday.
func (c Calendar) IsWorkingDay(d Date) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !c.Holidays[d]
}

// NextWorkingDay is d if it is a working day, else the first working day after it.
func (c Calendar) NextWorkingDay(d Date) Date {
	for !c.IsWorkingDay(d) {
		d++
	}
	return d
}

// Contact is one customer on a worklist: its priority on the day (1 = first) and its
// pending manual steps due by that day, by date, invoice, action.
type Contact struct {
	Customer string
	Priority int
	Tasks    []Step
}

// Worklist returns a collector's contacts for day = the first working day on or after
// asOf (SPEC 6), in priority order, at most MaxContactsPerDay.
//
// Decisions (team lead, where SPEC is silent):
//   - Only accounts whose Profile().Collector is collector. Candidate tasks are the
//     manual steps pending as of day whose date, moved to the next working day, is on
//     or before day; each task keeps its own date.
//   - The overflow is simulated day by day over the working days up to day: on each
//     simulated day d the contacts are the customers with a candidate task due (moved
//     date) by d. First come the customers carried over from the previous simulated
//     day's overflow, in their order there; then the others by priority: a customer
//     with a broken-promise call due by d first, then money-days at risk as of d (Σ over
//     its invoices with OutstandingAsOf(d) > 0 and d − DueAsOf(d) > 0 of outstanding ×
//     days overdue, plain decimals across currencies), largest first, then customer id
//     (bytes). The first MaxContactsPerDay are that day's contacts; the rest overflow
//     to the next working day. Statuses are those as of day throughout, so a customer
//     served on d but still pending on day is among "the others" again on d+1.
//   - The number of contacts only grows from day to day, so nothing overflows before
//     the first day with more than MaxContactsPerDay of them: the simulation starts
//     there, but at most WorklistHorizon working days before day.
func (p *Policy) Worklist(accounts []*Account, collector string, asOf Date, cal Calendar) (day Date, contacts []Contact) {
	day = cal.NextWorkingDay(asOf)
	moved := map[Date]Date{}
	move := func(d Date) Date {
		m, ok := moved[d]
		if !ok {
			m = cal.NextWorkingDay(d)
			moved[d] = m
		}
		return m
	}

	var custs []*wlCustomer
	for _, a := range accounts {
		if !a.Registered() || a.Profile().Collector != collector {
			continue
		}
		c := &wlCustomer{id: a.ID(), firstBroken: NoDate}
		for _, s := range p.accountSteps(a, day, NoDate+1, day, true) {
			if s.Status != StepPending || s.Automatic {
				continue
			}
			m := move(s.Date)
			if m > day {
				continue
			}
			c.tasks = append(c.tasks, s)
			if len(c.tasks) == 1 || m < c.first {
				c.first = m
			}
			if s.BrokenPromise && (c.firstBroken == NoDate || m < c.firstBroken) {
				c.firstBroken = m
			}
		}
		if len(c.tasks) == 0 {
			continue
		}
		c.account = a
		custs = append(custs, c)
	}
	if len(custs) == 0 {
		return day, nil
	}
	slices.SortFunc(custs, func(x, y *wlCustomer) int {
		if c := cmp.Compare(x.first, y.first); c != 0 {
			return c
		}
		return cmp.Compare(x.id, y.id)
	})

	// First simulated day: the first with an overflow, bounded by the horizon.
	start := day
	if len(custs) > MaxContactsPerDay {
		start = custs[MaxContactsPerDay].first
		horizon := day
		for n := 0; n < WorklistHorizon; n++ {
			horizon--
			for !cal.IsWorkingDay(horizon) {
				horizon--
			}
		}
		start = max(start, horizon)
	}
	for _, c := range custs {
		c.prepareMoneyDays()
	}

	var carried []*wlCustomer
	next := 0 // custs[:next] are active (first <= d)
	for d := start; ; d = cal.NextWorkingDay(d + 1) {
		for next < len(custs) && custs[next].first <= d {
			next++
		}
		for _, c := range carried {
			c.carried = true
		}
		others := make([]*wlCustomer, 0, next)
		for _, c := range custs[:next] {
			if c.carried {
				continue
			}
			c.broken = c.firstBroken != NoDate && c.firstBroken <= d
			c.md = c.moneyDaysAt(d)
			others = append(others, c)
		}
		for _, c := range carried {
			c.carried = false
		}
		slices.SortFunc(others, comparePriority)
		order := append(carried, others...)
		if d >= day {
			n := min(len(order), MaxContactsPerDay)
			contacts = make([]Contact, n)
			for i, c := range order[:n] {
				contacts[i] = Contact{Customer: c.id, Priority: i + 1, Tasks: c.tasks}
			}
			return day, contacts
		}
		if len(order) > MaxContactsPerDay {
			carried = slices.Clone(order[MaxContactsPerDay:])
		} else {
			carried = nil
		}
	}
}

// wlCustomer is one customer's candidate tasks and priority data for a worklist.
type wlCustomer struct {
	id          string
	account     *Account
	tasks       []Step // sorted by date, invoice, action
	first       Date   // earliest moved date of a task
	firstBroken Date   // earliest moved date of a broken-promise call, or NoDate

	// Money-days at risk as a piecewise-linear function of the day d:
	// md(d) = A·d − B, A = Σ outstanding, B = Σ outstanding × due over the overdue
	// invoices; deltas change A and B from their date on.
	deltas []mdDelta
	pos    int
	a, b   decimal.Decimal

	carried bool
	broken  bool
	md      decimal.Decimal
}

type mdDelta struct {
	on   Date
	a, b decimal.Decimal
}

func comparePriority(x, y *wlCustomer) int {
	if x.broken != y.broken {
		if x.broken {
			return -1
		}
		return 1
	}
	if c := y.md.Cmp(x.md); c != 0 {
		return c
	}
	return cmp.Compare(x.id, y.id)
}

// prepareMoneyDays builds the deltas of A and B. Between the dates where an invoice's
// outstanding, effective due date or overdue-ness can change (issue, each application,
// write-off, extension, and the day after each due date) its contribution
// outstanding × (d − due) is linear in d.
func (c *wlCustomer) prepareMoneyDays() {
	c.a, c.b = decimal.Zero, decimal.Zero
	for _, inv := range c.account.Invoices() {
		bps := []Date{inv.Issued, inv.Due + 1}
		for _, ap := range inv.Apps {
			bps = append(bps, ap.On)
		}
		for _, e := range inv.Extensions() {
			bps = append(bps, e.On, e.Due+1)
		}
		if inv.WrittenOff() != nil {
			bps = append(bps, inv.WrittenOff().On)
		}
		slices.Sort(bps)
		bps = slices.Compact(bps)
		prevA, prevB := decimal.Zero, decimal.Zero
		for _, d := range bps {
			if d < inv.Issued {
				continue
			}
			a, b := decimal.Zero, decimal.Zero
			out, due := inv.OutstandingAsOf(d), inv.DueAsOf(d)
			if out.IsPositive() && d > due {
				a, b = out, out.Mul(decimal.NewFromInt(int64(due)))
			}
			if !a.Equal(prevA) || !b.Equal(prevB) {
				c.deltas = append(c.deltas, mdDelta{on: d, a: a.Sub(prevA), b: b.Sub(prevB)})
				prevA, prevB = a, b
			}
		}
	}
	slices.SortStableFunc(c.deltas, func(x, y mdDelta) int { return cmp.Compare(x.on, y.on) })
}

// moneyDaysAt is the money-days at risk as of d; d must not decrease between calls.
func (c *wlCustomer) moneyDaysAt(d Date) decimal.Decimal {
	for c.pos < len(c.deltas) && c.deltas[c.pos].on <= d {
		c.a = c.a.Add(c.deltas[c.pos].a)
		c.b = c.b.Add(c.deltas[c.pos].b)
		c.pos++
	}
	return c.a.Mul(decimal.NewFromInt(int64(d))).Sub(c.b)
}

// MoneyDaysAtRisk is the customer's money-days at risk as of d: Σ over its invoices
// with something outstanding and overdue of outstanding × days overdue, as a plain
// decimal across currencies (SPEC 6 worklist priority).
func MoneyDaysAtRisk(a *Account, d Date) decimal.Decimal {
	sum := decimal.Zero
	for _, inv := range a.Invoices() {
		out := inv.OutstandingAsOf(d)
		if days := int64(d - inv.DueAsOf(d)); out.IsPositive() && days > 0 {
			sum = sum.Add(out.Mul(decimal.NewFromInt(days)))
		}
	}
	return sum
}
