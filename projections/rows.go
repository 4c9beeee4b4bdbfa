package projections

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Tabular is a report flattened to rows, for CSV export and the table people read.
type Tabular interface {
	Header() []string
	Rows() [][]string
}

// WriteCSV writes a report as CSV with a header line.
func WriteCSV(w io.Writer, t Tabular) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header()); err != nil {
		return err
	}
	if err := cw.WriteAll(t.Rows()); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes a report as aligned text columns.
func WriteTable(w io.Writer, title string, t Tabular) error {
	if title != "" {
		if _, err := fmt.Fprintln(w, title); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(t.Header(), "\t")+"\t")
	for _, r := range t.Rows() {
		fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
	}
	return tw.Flush()
}

// Header of the ageing rows.
func (r AgeingReport) Header() []string {
	h := []string{"currency", "customer"}
	h = append(h, r.Buckets...)
	return append(h, "total", "unapplied_credit")
}

// Rows: one per customer and currency, then the currency's total ("*").
func (r AgeingReport) Rows() [][]string {
	var rows [][]string
	for _, c := range r.Currencies {
		for _, cu := range c.Customers {
			row := append([]string{c.Currency, cu.Customer}, cu.Buckets.Values...)
			rows = append(rows, append(row, cu.Total, cu.UnappliedCredit))
		}
		row := append([]string{c.Currency, "TOTAL"}, c.Totals.Buckets.Values...)
		rows = append(rows, append(row, c.Totals.Total, c.Totals.UnappliedCredit))
	}
	return rows
}

// Header of the bad-debt rows.
func (r BadDebtReport) Header() []string {
	return []string{"currency", "kind", "invoice", "customer", "due", "doubtful_since", "outstanding", "written_off_on", "amount", "reason", "recovered"}
}

// Rows: doubtful invoices, then write-offs, per currency.
func (r BadDebtReport) Rows() [][]string {
	var rows [][]string
	for _, c := range r.Currencies {
		for d := range c.Doubtful.All() {
			rows = append(rows, []string{c.Currency, "doubtful", d.Invoice(), d.Customer(), d.Due(), d.DoubtfulSince(), d.Outstanding(), "", "", "", ""})
		}
		for _, w := range c.WrittenOff {
			rows = append(rows, []string{c.Currency, "written_off", w.Invoice, w.Customer, "", "", "", w.On, w.Amount, w.Reason, w.Recovered})
		}
		rows = append(rows, []string{c.Currency, "TOTAL", "", "", "", "", c.Totals.Doubtful, "", c.Totals.WrittenOff, "", c.Totals.Recovered})
	}
	return rows
}

// Header of the fund rows.
func (r FundReport) Header() []string {
	return []string{"customer", "quarter", "currency", "accrued", "status", "rebated", "forfeited", "bounty_to"}
}

// Rows: one per fund.
func (r FundReport) Rows() [][]string {
	var rows [][]string
	for _, f := range r.Funds {
		b := ""
		if f.BountyTo != nil {
			b = *f.BountyTo
		}
		rows = append(rows, []string{f.Customer, f.Quarter, f.Currency, f.Accrued, f.Status, f.Rebated, f.Forfeited, b})
	}
	return rows
}
