package api

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/projections"
	"github.com/shopspring/decimal"
)

// The grouped pages (ageing, baddebt) encode exactly as the per-row way of cutting
// them did, for every offset and limit, including groups with nothing in one list.
func TestGroupedPagesMatchPerRowCut(t *testing.T) {
	ageing := projections.AgeingReport{AsOf: "2026-02-20", Basis: "due", Buckets: []string{"current"}}
	for c, n := range []int{3, 0, 1, 4} {
		cur := projections.AgeingCurrency{Currency: fmt.Sprint("C", c), Customers: []projections.AgeingRow{},
			Totals: projections.AgeingTotals{Total: fmt.Sprint(c)}}
		for i := range n {
			cur.Customers = append(cur.Customers, projections.AgeingRow{Customer: fmt.Sprint("cust-", c, "-", i)})
		}
		ageing.Currencies = append(ageing.Currencies, cur)
	}
	doubtful := doubtfulRows(t, 10)
	bad := projections.BadDebtReport{AsOf: "2026-02-20"}
	for c, n := range [][2]int{{2, 0}, {0, 2}, {0, 0}, {1, 3}, {3, 1}} {
		cur := projections.BadDebtCurrency{Currency: fmt.Sprint("C", c), Totals: projections.BadDebtTotals{Doubtful: fmt.Sprint(c)}}
		cur.Doubtful = doubtful.Slice(0, n[0]) // the zero value when there are none, as well as not
		doubtful = doubtful.Slice(n[0], doubtful.Len())
		for i := range n[1] {
			cur.WrittenOff = append(cur.WrittenOff, projections.WrittenOffRow{Invoice: fmt.Sprint("w-", c, "-", i)})
		}
		bad.Currencies = append(bad.Currencies, cur)
	}
	for _, rep := range []projections.Tabular{ageing, bad, projections.AgeingReport{Currencies: []projections.AgeingCurrency{}},
		projections.BadDebtReport{Currencies: []projections.BadDebtCurrency{}}} {
		for offset := range 14 {
			for limit := 1; limit <= 13; limit++ {
				p := pageReq{on: true, offset: offset, limit: limit}
				got, gotTotal := paginate(rep, p)
				want, wantTotal := perRowCut(rep, p)
				gb, _ := json.Marshal(got)
				wb, _ := json.Marshal(want)
				if gotTotal != wantTotal || string(gb) != string(wb) {
					t.Fatalf("%T offset %d limit %d: total %d, want %d\n got %s\nwant %s", rep, offset, limit, gotTotal, wantTotal, gb, wb)
				}
			}
		}
	}
}

// doubtfulRows are n doubtful rows of a real register, each of its own invoice: rows
// are made only by the register.
func doubtfulRows(t *testing.T, n int) projections.DoubtfulRows {
	books := domain.NewBooks()
	on := domain.MustDate("2025-01-01")
	books.ApplyCommand("C", "reg", "h", []domain.Event{domain.CustomerRegistered{On: on, Customer: "C", Name: "C", Grade: 1, TermsDays: 30, Collector: "col"}})
	for i := range n {
		books.ApplyCommand("C", fmt.Sprint("inv", i), "h", []domain.Event{domain.InvoiceIssued{On: on, Invoice: fmt.Sprintf("d-%02d", i),
			Amount: decimal.New(100, 0), Currency: domain.MustCurrency("CNY"), Due: on.AddDays(30)}})
	}
	rep := projections.BadDebt(books, domain.MustDate("2026-02-20"))
	if len(rep.Currencies) != 1 || rep.Currencies[0].Doubtful.Len() != n {
		t.Fatalf("want %d doubtful rows, got %+v", n, rep)
	}
	return rep.Currencies[0].Doubtful
}

// perRowCut is the former cut: a reference to every row of the report, then the page.
func perRowCut(rep projections.Tabular, p pageReq) (any, int) {
	switch r := rep.(type) {
	case projections.AgeingReport:
		type ref struct{ c, i int }
		var all []ref
		for c, cur := range r.Currencies {
			for i := range cur.Customers {
				all = append(all, ref{c, i})
			}
		}
		lo, hi := p.window(len(all))
		out := r
		out.Currencies = []projections.AgeingCurrency{}
		for _, x := range all[lo:hi] {
			n := len(out.Currencies)
			if n == 0 || out.Currencies[n-1].Currency != r.Currencies[x.c].Currency {
				cur := r.Currencies[x.c]
				cur.Customers = []projections.AgeingRow{}
				out.Currencies = append(out.Currencies, cur)
				n++
			}
			last := &out.Currencies[n-1]
			last.Customers = append(last.Customers, r.Currencies[x.c].Customers[x.i])
		}
		return out, len(all)
	case projections.BadDebtReport:
		type ref struct {
			c, i     int
			doubtful bool
		}
		var all []ref
		for c, cur := range r.Currencies {
			for i := range cur.Doubtful.Len() {
				all = append(all, ref{c, i, true})
			}
			for i := range cur.WrittenOff {
				all = append(all, ref{c, i, false})
			}
		}
		// The register as plain lists of rows, each row copied on its own.
		type plainCurrency struct {
			Currency   string                      `json:"currency"`
			Doubtful   []projections.DoubtfulRow   `json:"doubtful"`
			WrittenOff []projections.WrittenOffRow `json:"written_off"`
			Totals     projections.BadDebtTotals   `json:"totals"`
		}
		type plainReport struct {
			AsOf       string          `json:"as_of"`
			Currencies []plainCurrency `json:"currencies"`
		}
		lo, hi := p.window(len(all))
		out := plainReport{AsOf: r.AsOf, Currencies: []plainCurrency{}}
		for _, x := range all[lo:hi] {
			n := len(out.Currencies)
			if n == 0 || out.Currencies[n-1].Currency != r.Currencies[x.c].Currency {
				cur := r.Currencies[x.c]
				out.Currencies = append(out.Currencies, plainCurrency{Currency: cur.Currency, Doubtful: []projections.DoubtfulRow{},
					WrittenOff: []projections.WrittenOffRow{}, Totals: cur.Totals})
				n++
			}
			last := &out.Currencies[n-1]
			if x.doubtful {
				last.Doubtful = append(last.Doubtful, r.Currencies[x.c].Doubtful.At(x.i))
			} else {
				last.WrittenOff = append(last.WrittenOff, r.Currencies[x.c].WrittenOff[x.i])
			}
		}
		return out, len(all)
	}
	panic("not a grouped report")
}
