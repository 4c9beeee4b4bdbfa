package projections

import (
	"sort"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
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
	doubtful, written, recovered decimal.Decimal
	doubtfulRows                 []DoubtfulRow
	writtenRows                  []WrittenOffRow
}

// BadDebt lists, per currency, the doubtful invoices and the write-offs as of asOf.
func BadDebt(books *domain.Books, asOf domain.Date) BadDebtReport {
	per := map[string]*badDebtSums{}
	get := func(c domain.Currency) *badDebtSums {
		s := per[c.Code()]
		if s == nil {
			s = &badDebtSums{cur: c, doubtful: decimal.Zero, written: decimal.Zero, recovered: decimal.Zero,
				doubtfulRows: []DoubtfulRow{}, writtenRows: []WrittenOffRow{}}
			per[c.Code()] = s
		}
		return s
	}
	for _, a := range books.Accounts() {
		for _, inv := range a.Invoices() {
			if !inv.IssuedBy(asOf) {
				continue
			}
			if inv.WrittenOffBy(asOf) {
				s := get(inv.Currency)
				w := inv.WrittenOff
				rec := inv.RecoveredAsOf(asOf)
				s.written = s.written.Add(w.Amount)
				s.recovered = s.recovered.Add(rec)
				s.writtenRows = append(s.writtenRows, WrittenOffRow{Invoice: inv.ID, Customer: a.ID(), On: w.On.String(),
					Amount: domain.FormatMoney(w.Amount, inv.Currency), Reason: w.Reason.String(),
					Recovered: domain.FormatMoney(rec, inv.Currency)})
				continue
			}
			if inv.DoubtfulOn(asOf) {
				s := get(inv.Currency)
				out := inv.OutstandingAsOf(asOf)
				s.doubtful = s.doubtful.Add(out)
				s.doubtfulRows = append(s.doubtfulRows, DoubtfulRow{Invoice: inv.ID, Customer: a.ID(),
					Due: inv.DueAsOf(asOf).String(), DoubtfulSince: inv.DoubtfulSince(asOf).String(),
					Outstanding: domain.FormatMoney(out, inv.Currency)})
			}
		}
	}
	rep := BadDebtReport{AsOf: asOf.String(), Currencies: []BadDebtCurrency{}}
	for _, code := range sortedKeys(per) {
		s := per[code]
		sort.Slice(s.doubtfulRows, func(i, j int) bool { return s.doubtfulRows[i].Invoice < s.doubtfulRows[j].Invoice })
		sort.Slice(s.writtenRows, func(i, j int) bool { return s.writtenRows[i].Invoice < s.writtenRows[j].Invoice })
		rep.Currencies = append(rep.Currencies, BadDebtCurrency{Currency: code, Doubtful: s.doubtfulRows,
			WrittenOff: s.writtenRows, Totals: BadDebtTotals{Doubtful: domain.FormatMoney(s.doubtful, s.cur),
				WrittenOff: domain.FormatMoney(s.written, s.cur), Recovered: domain.FormatMoney(s.recovered, s.cur)}})
	}
	return rep
}
