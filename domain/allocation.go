package domain

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"
)

// allocate decides how money of a currency is applied: explicit lines first (a line to
// a written-off invoice is a recovery), then the rest to the open, undisputed invoices
// oldest first (effective due date, issue date, invoice id as bytes); what is left is
// unapplied credit. It reads the account as recorded and changes nothing.
func (a *Account) allocate(cur Currency, amount decimal.Decimal, explicit []AllocationRequest) (
	allocs []Allocation, recs []Recovery, unapplied decimal.Decimal, err error) {

	owed := map[string]decimal.Decimal{}  // outstanding left after this command's lines
	recov := map[string]decimal.Decimal{} // recoverable left after this command's lines
	left := amount
	for i, req := range explicit {
		field := fmt.Sprintf("allocations[%d]", i)
		inv, ok := a.invoices[req.Invoice]
		if !ok {
			return nil, nil, decimal.Zero, fieldErr(field+".invoice", Unknown, "invoice %q is not an invoice of customer %q", req.Invoice, a.id)
		}
		if inv.Currency != cur {
			return nil, nil, decimal.Zero, fieldErr(field+".invoice", Refused, "invoice %q is in %s, the money in %s", req.Invoice, inv.Currency, cur)
		}
		if req.Amount.GreaterThan(left) {
			return nil, nil, decimal.Zero, fieldErr(field+".amount", Refused, "allocations add up to more than the amount %s", FormatMoney(amount, cur))
		}
		if inv.WrittenOff() != nil {
			can, seen := recov[inv.ID]
			if !seen {
				can = inv.WrittenOff().Amount.Sub(inv.read().recovered)
			}
			if req.Amount.GreaterThan(can) {
				return nil, nil, decimal.Zero, fieldErr(field+".amount", Refused, "recovery %s exceeds what is left to recover on written-off invoice %q (%s)",
					FormatMoney(req.Amount, cur), inv.ID, FormatMoney(can, cur))
			}
			recov[inv.ID] = can.Sub(req.Amount)
			recs = append(recs, Recovery{Invoice: inv.ID, Amount: req.Amount})
			left = left.Sub(req.Amount)
			continue
		}
		can, seen := owed[inv.ID]
		if !seen {
			can = inv.Outstanding()
		}
		if req.Amount.GreaterThan(can) {
			return nil, nil, decimal.Zero, fieldErr(field+".amount", Refused, "allocation %s exceeds the outstanding %s of invoice %q",
				FormatMoney(req.Amount, cur), FormatMoney(can, cur), inv.ID)
		}
		owed[inv.ID] = can.Sub(req.Amount)
		allocs = append(allocs, Allocation{Invoice: inv.ID, Amount: req.Amount, Explicit: true, Remaining: owed[inv.ID]})
		left = left.Sub(req.Amount)
	}
	if left.IsPositive() {
		for _, inv := range a.fifoCandidates(cur) {
			can, seen := owed[inv.ID]
			if !seen {
				can = inv.Outstanding()
			}
			if !can.IsPositive() {
				continue
			}
			take := decimal.Min(can, left)
			owed[inv.ID] = can.Sub(take)
			allocs = append(allocs, Allocation{Invoice: inv.ID, Amount: take, Remaining: owed[inv.ID]})
			left = left.Sub(take)
			if !left.IsPositive() {
				break
			}
		}
	}
	return allocs, recs, left, nil
}

// fifoCandidates are the open, undisputed invoices of a currency in allocation order.
func (a *Account) fifoCandidates(cur Currency) []*Invoice {
	var out []*Invoice
	for _, inv := range a.invoiceSeq {
		if inv.Currency == cur && inv.Open() && !inv.disputed {
			out = append(out, inv)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if dx, dy := x.CurrentDue(), y.CurrentDue(); dx != dy {
			return dx < dy
		}
		if x.Issued != y.Issued {
			return x.Issued < y.Issued
		}
		return x.ID < y.ID
	})
	return out
}
