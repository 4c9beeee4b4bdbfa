package domain

import (
	"cmp"
	"slices"

	"github.com/shopspring/decimal"
)

// The methods here answer "as of D" (end of day D): every recorded fact counts from
// its effective business date.

// IssuedBy reports whether the invoice exists as of d.
func (inv *Invoice) IssuedBy(d Date) bool { return inv.Issued <= d }

// WrittenOffBy reports whether the invoice is written off as of d.
func (inv *Invoice) WrittenOffBy(d Date) bool {
	w := inv.WrittenOff()
	return w != nil && w.On <= d
}

// OutstandingAsOf is amount less the money applied effective by d; a written-off
// invoice has none.
func (inv *Invoice) OutstandingAsOf(d Date) decimal.Decimal {
	if inv.Issued > d || inv.WrittenOffBy(d) {
		return decimal.Zero
	}
	if inv.WrittenOff() == nil && inv.appliedBy(d) {
		// Every application counts by d: that is the recorded outstanding (amount less
		// every application), without a subtraction per application.
		return inv.Outstanding()
	}
	out := inv.Amount()
	for _, ap := range inv.Apps {
		if ap.On <= d {
			out = out.Sub(ap.Amount)
		}
	}
	return out
}

// OwesAsOf reports whether something is outstanding on d (OutstandingAsOf(d) > 0),
// reading minor units where they answer instead of building a decimal.
func (inv *Invoice) OwesAsOf(d Date) bool {
	if m, ok := inv.OutstandingMinorAsOf(d); ok {
		return m > 0
	}
	return inv.OutstandingAsOf(d).IsPositive()
}

// OutstandingMinorAsOf is OutstandingAsOf in minor units, when d is after every
// application, no write-off is recorded and the amount has an exact int64 form; ok is
// false otherwise (use OutstandingAsOf). The reports' fast path: it reads no decimal.
func (inv *Invoice) OutstandingMinorAsOf(d Date) (v int64, ok bool) {
	if inv.Issued > d || inv.WrittenOff() != nil || !inv.appliedBy(d) {
		return 0, false
	}
	return inv.outstanding.minorUnits()
}

// appliedBy reports whether every application is effective by d.
func (inv *Invoice) appliedBy(d Date) bool {
	for _, ap := range inv.Apps {
		if ap.On > d {
			return false
		}
	}
	return true
}

// DueAsOf is the effective due date as of d: the latest extension granted by d, else
// the original due date.
func (inv *Invoice) DueAsOf(d Date) Date {
	due := inv.Due
	for _, e := range inv.Extensions() {
		if e.On <= d {
			due = e.Due
		}
	}
	return due
}

// DisputedOn reports whether a dispute is open on d.
func (inv *Invoice) DisputedOn(d Date) bool {
	open := false
	for _, c := range inv.Disputes() {
		if c.On <= d {
			open = c.Open
		}
	}
	return open
}

// DoubtfulSince is the first day the invoice counts as doubtful with the due date in
// force on d: effective due date + 6 months + 1 day.
func (inv *Invoice) DoubtfulSince(d Date) Date { return DoubtfulFrom(inv.DueAsOf(d)) }

// DoubtfulFrom is the first day a receivable due on due counts as doubtful: due + 6
// months + 1 day.
func DoubtfulFrom(due Date) Date { return due.AddMonths(6) + 1 }

// DoubtfulOn applies the six-month rule: something outstanding, not written off, and d
// later than the effective due date + 6 months.
func (inv *Invoice) DoubtfulOn(d Date) bool {
	return inv.OutstandingAsOf(d).IsPositive() && d >= inv.DoubtfulSince(d)
}

// RecoveredAsOf is what was recovered on a written-off invoice by d.
func (inv *Invoice) RecoveredAsOf(d Date) decimal.Decimal {
	sum := decimal.Zero
	for _, r := range inv.Recoveries() {
		if r.On <= d {
			sum = sum.Add(r.Amount)
		}
	}
	return sum
}

// SettledOn is the day the invoice became fully settled (paid, credited or written
// off), or NoDate if it is not settled by any recorded fact.
func (inv *Invoice) SettledOn() Date {
	settled := NoDate
	w := inv.WrittenOff()
	if w != nil {
		settled = w.On
	}
	if inv.outstanding.sign() != 0 && w == nil {
		return NoDate
	}
	// The day the effective applications reach the amount.
	apps := slices.Clone(inv.Apps)
	slices.SortStableFunc(apps, func(x, y Application) int { return cmp.Compare(x.On, y.On) })
	paid := decimal.Zero
	for _, ap := range apps {
		paid = paid.Add(ap.Amount)
		if paid.GreaterThanOrEqual(inv.Amount()) {
			if settled == NoDate || ap.On < settled {
				settled = ap.On
			}
			break
		}
	}
	return settled
}

// UnappliedAsOf is the part of the lot received by d and not applied effective by d.
func (l *CreditLot) UnappliedAsOf(d Date) decimal.Decimal {
	if l.On > d || (l.spent && l.lastUse <= d) {
		return decimal.Zero
	}
	if l.lastUse <= d {
		return l.unapplied // the amount less every use, as recorded
	}
	left := l.Amount
	for _, u := range l.Uses {
		if u.On <= d {
			left = left.Sub(u.Amount)
		}
	}
	return left
}
