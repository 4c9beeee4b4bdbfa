package projections

import (
	"github.com/arkeep/arkeep/domain"
	"maps"
	"slices"
)

// BadDebtReport is the Appendix A bad-debt register.
type BadDebtReport struct {
	AsOf       string            `json:"as_of"`
	Currencies []BadDebtCurrency `json:"currencies"`
}

// BadDebtCurrency is one currency's register.
type BadDebtCurrency struct {
	Currency   string          `json:"currency"`
	Doubtful   []DoubtfulRow   `json:"doubtful"`
	WrittenOff []WrittenOffRow `json:"written_off"`
	Totals     BadDebtTotals   `json:"totals"`
}

// DoubtfulRow is a bad-debt candidate; Due is the effective due date.
type DoubtfulRow struct {
	Invoice       string `json:"invoice"`
	Customer      string `json:"customer"`
	Due           string `json:"due"`
	DoubtfulSince string `json:"doubtful_since"`
	Outstanding   string `json:"outstanding"`
}

// WrittenOffRow is a write-off with what was recovered on it.
type WrittenOffRow struct {
	Invoice   string `json:"invoice"`
	Customer  string `json:"customer"`
	On        string `json:"on"`
	Amount    string `json:"amount"`
	Reason    string `json:"reason"`
	Recovered string `json:"recovered"`
}

// BadDebtTotals per currency.
type BadDebtTotals struct {
	Doubtful   string `json:"doubtful"`
	WrittenOff string `json:"written_off"`
	Recovered  string `json:"recovered"`
}

type badDebtSums struct {
	cur                          domain.Currency
	doubtful, written, recovered money
	doubtfulRows                 []DoubtfulRow
	writtenRows                  []WrittenOffRow
}

// BadDebt lists, per currency, the doubtful invoices and the write-offs as of asOf, in
// invoice id order.
//
// Most of a large register is doubtful rows, so the scan runs over the books' invoices
// already in id order (no sort per report), split over the CPUs in contiguous runs that
// are joined in order; sums are in minor units and the due-date texts are made once
// per date (money.go).
func BadDebt(books *domain.Books, asOf domain.Date) BadDebtReport {
	invoices := books.InvoicesByID()
	parts := inParts(len(invoices), func(lo, hi int) map[string]*badDebtSums {
		per := map[string]*badDebtSums{}
		var dates dueDates
		var amounts texts
		var last *badDebtSums // the invoice before's currency: most ledgers have one
		get := func(c domain.Currency) *badDebtSums {
			if last != nil && last.cur == c {
				return last
			}
			s := per[c.Code()]
			if s == nil {
				s = &badDebtSums{cur: c, doubtfulRows: []DoubtfulRow{}, writtenRows: []WrittenOffRow{}}
				if len(per) == 0 {
					// Most ledgers are in one currency and a large register is mostly
					// doubtful rows: room for them all saves copying them while growing.
					s.doubtfulRows = make([]DoubtfulRow, 0, hi-lo)
				}
				per[c.Code()] = s
			}
			last = s
			return s
		}
		for _, inv := range invoices[lo:hi] {
			if !inv.IssuedBy(asOf) {
				continue
			}
			if inv.WrittenOffBy(asOf) {
				s := get(inv.Currency)
				w := inv.WrittenOff()
				rec := inv.RecoveredAsOf(asOf)
				s.written.add(w.Amount, inv.Currency)
				s.recovered.add(rec, inv.Currency)
				s.writtenRows = append(s.writtenRows, WrittenOffRow{Invoice: inv.ID, Customer: inv.Customer(), On: w.On.String(),
					Amount: domain.FormatMoney(w.Amount, inv.Currency), Reason: w.Reason.String(),
					Recovered: domain.FormatMoney(rec, inv.Currency)})
				continue
			}
			out := owedAsOf(inv, asOf)
			if !out.positive() {
				continue
			}
			due := dates.get(inv.DueAsOf(asOf))
			if asOf < due.doubtfulSince { // the six-month rule, as domain.Invoice.DoubtfulOn
				continue
			}
			s := get(inv.Currency)
			out.addTo(&s.doubtful, inv.Currency)
			text := out.text(&amounts, inv.Currency)
			s.doubtfulRows = append(s.doubtfulRows, DoubtfulRow{Invoice: inv.ID, Customer: inv.Customer(),
				Due: due.text, DoubtfulSince: due.sinceText, Outstanding: text})
		}
		return per
	})
	per := parts[0]
	for _, part := range parts[1:] {
		for code, p := range part {
			s := per[code]
			if s == nil {
				per[code] = p
				continue
			}
			s.doubtful.addMoney(p.doubtful, s.cur)
			s.written.addMoney(p.written, s.cur)
			s.recovered.addMoney(p.recovered, s.cur)
			s.doubtfulRows = append(s.doubtfulRows, p.doubtfulRows...)
			s.writtenRows = append(s.writtenRows, p.writtenRows...)
		}
	}
	rep := BadDebtReport{AsOf: asOf.String(), Currencies: []BadDebtCurrency{}}
	for _, code := range slices.Sorted(maps.Keys(per)) {
		s := per[code]
		rep.Currencies = append(rep.Currencies, BadDebtCurrency{Currency: code, Doubtful: s.doubtfulRows,
			WrittenOff: s.writtenRows, Totals: BadDebtTotals{Doubtful: s.doubtful.format(s.cur),
				WrittenOff: s.written.format(s.cur), Recovered: s.recovered.format(s.cur)}})
	}
	return rep
}
