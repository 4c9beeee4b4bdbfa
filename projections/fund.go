package projections

import "github.com/arkeep/arkeep/domain"

// FundReport is the Appendix A fund statement.
type FundReport struct {
	AsOf  string    `json:"as_of"`
	Funds []FundRow `json:"funds"`
}

// FundRow is one fund: customer, quarter, currency.
type FundRow struct {
	Customer  string  `json:"customer"`
	Quarter   string  `json:"quarter"`
	Currency  string  `json:"currency"`
	Accrued   string  `json:"accrued"`
	Status    string  `json:"status"`
	Rebated   string  `json:"rebated"`
	Forfeited string  `json:"forfeited"`
	BountyTo  *string `json:"bounty_to"`
}

// Funds lists every price-protection fund as of asOf, by customer, quarter, currency.
func Funds(books *domain.Books, asOf domain.Date) FundReport {
	rep := FundReport{AsOf: asOf.String(), Funds: []FundRow{}}
	for _, a := range books.Accounts() {
		for _, f := range a.FundsAsOf(asOf) {
			row := FundRow{Customer: a.ID(), Quarter: f.Quarter.String(), Currency: f.Currency.Code(),
				Accrued: domain.FormatMoney(f.Accrued, f.Currency), Status: f.Status,
				Rebated: domain.FormatMoney(f.Rebated, f.Currency), Forfeited: domain.FormatMoney(f.Forfeited, f.Currency)}
			if f.BountyTo != "" {
				b := f.BountyTo
				row.BountyTo = &b
			}
			rep.Funds = append(rep.Funds, row)
		}
	}
	return rep
}
