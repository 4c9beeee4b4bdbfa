package projections

import (
	"maps"
	"slices"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/internal/jsonquote"
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
	Doubtful   DoubtfulRows    `json:"doubtful"`
	WrittenOff []WrittenOffRow `json:"written_off"`
	Totals     BadDebtTotals   `json:"totals"`
}

// DoubtfulRow is a bad-debt candidate: an invoice, its effective due date, the first
// day it counts as doubtful, and what it still owes. In JSON it is
// {"invoice","customer","due","doubtful_since","outstanding"}.
//
// An old ledger's register lists most of its open invoices, so a row refers to its
// invoice and to its due date's shared texts instead of holding four strings: 32 bytes
// instead of 80. Writing a million rows of 80 bytes, and faulting in fresh pages for
// them, was a quarter of the register's time. The row stays right however long it is
// kept: an invoice's id and customer never change once recorded, and the due-date
// texts never change once made. Rows are made only by BadDebt; the zero row has no
// invoice to read.
type DoubtfulRow struct {
	inv         *domain.Invoice
	due         *dueDate
	outstanding string
}

// Invoice is the invoice's id.
func (r DoubtfulRow) Invoice() string { return r.inv.ID }

// Customer is the id of the invoice's customer.
func (r DoubtfulRow) Customer() string { return r.inv.Customer() }

// Due is the effective due date.
func (r DoubtfulRow) Due() string { return r.due.text }

// DoubtfulSince is the first day the invoice counts as doubtful.
func (r DoubtfulRow) DoubtfulSince() string { return r.due.sinceText }

// Outstanding is what the invoice still owes.
func (r DoubtfulRow) Outstanding() string { return r.outstanding }

// MarshalJSON writes the row's five members in the order above.
func (r DoubtfulRow) MarshalJSON() ([]byte, error) { return r.appendJSON(nil), nil }

// appendJSON appends the row as MarshalJSON writes it. Its strings are quoted as
// encoding/json quotes them without HTML escaping, which an encoder adds to a
// Marshaler's output itself when it escapes.
func (r DoubtfulRow) appendJSON(b []byte) []byte {
	b = append(b, `{"invoice":`...)
	b = jsonquote.Append(b, r.Invoice(), false)
	b = append(b, `,"customer":`...)
	b = jsonquote.Append(b, r.Customer(), false)
	b = append(b, `,"due":"`...)
	b = append(b, r.due.text...) // a date: digits and dashes
	b = append(b, `","doubtful_since":"`...)
	b = append(b, r.due.sinceText...)
	b = append(b, `","outstanding":"`...)
	b = append(b, r.outstanding...) // an amount: digits, a sign and a point
	return append(b, `"}`...)
}

// DoubtfulRows are a currency's doubtful rows. They are written to JSON as one array
// in one call rather than a Marshaler call per row: a register of a million rows is
// sixty megabytes of JSON.
type DoubtfulRows []DoubtfulRow

// MarshalJSON writes the rows as a JSON array, [] when there are none.
func (rs DoubtfulRows) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(rs)*128)
	b = append(b, '[')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = r.appendJSON(b)
	}
	return append(b, ']'), nil
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
	nDoubtful, nWritten          int
	found                        []doubtful // the doubtful invoices of the first pass
	doubtfulRows                 DoubtfulRows
	writtenRows                  []WrittenOffRow
}

// doubtful is a doubtful invoice as the first pass of BadDebt finds it: sixteen bytes
// and no pointer, so that a million of them cost the collector nothing.
type doubtful struct {
	inv   int32       // index in the id-ordered invoices (books hold far fewer than 2³¹)
	due   domain.Date // effective due date
	minor int64       // outstanding, unless badDebtPart.exact has it
}

// badDebtPart is one contiguous run of the id-ordered invoices.
type badDebtPart struct {
	per     map[string]*badDebtSums
	amounts texts
	exact   map[int32]decimal.Decimal // outstanding with no minor-unit form, by invoice index
}

// BadDebt lists, per currency, the doubtful invoices and the write-offs as of asOf, in
// invoice id order.
//
// Most of a large register is doubtful rows, so the scan runs over the books' invoices
// already in id order (no sort per report), split over the CPUs in contiguous runs that
// are joined in order; sums are in minor units and the due-date texts are made once
// per date (money.go). It takes two passes: the first finds the doubtful invoices and
// keeps them as small records, the second writes their rows, each part straight into
// its place in one list per currency. Building each part's rows and then joining
// them allocated and copied the rows three times over (a million rows are 80 MB with a
// pointer every 16 bytes), and the garbage collection that paid for was most of the
// report.
func BadDebt(books *domain.Books, asOf domain.Date) BadDebtReport {
	invoices := books.InvoicesByID()
	parts := inParts(len(invoices), func(lo, hi int) *badDebtPart {
		return scanBadDebt(invoices, lo, hi, asOf, true)
	})

	per, offset := joinParts(parts)
	for _, s := range per {
		s.doubtfulRows = make(DoubtfulRows, s.nDoubtful)
	}
	inEach(len(parts), func(i int) {
		part := parts[i]
		for code, p := range part.per {
			rows := per[code].doubtfulRows[offset[i][code]:]
			for j, d := range p.found {
				text := ""
				if exact, ok := part.exact[d.inv]; ok {
					text = domain.FormatMoney(exact, p.cur)
				} else {
					text = part.amounts.minor(d.minor, p.cur.Digits())
				}
				rows[j] = DoubtfulRow{inv: invoices[d.inv], due: dueDateOf(d.due), outstanding: text}
			}
		}
	})
	rep := BadDebtReport{AsOf: asOf.String(), Currencies: []BadDebtCurrency{}}
	for _, code := range slices.Sorted(maps.Keys(per)) {
		s := per[code]
		rep.Currencies = append(rep.Currencies, BadDebtCurrency{Currency: code, Doubtful: s.doubtfulRows,
			WrittenOff: s.writtenRows, Totals: s.totals()})
	}
	return rep
}

// scanBadDebt is the first pass of the register over invoices[lo:hi]: the sums and
// counts per currency and, with rows, the write-off rows and the doubtful records.
func scanBadDebt(invoices []*domain.Invoice, lo, hi int, asOf domain.Date, rows bool) *badDebtPart {
	p := &badDebtPart{per: map[string]*badDebtSums{}}
	var last *badDebtSums // the invoice before's currency: most ledgers have one
	get := func(c domain.Currency) *badDebtSums {
		if last != nil && last.cur == c {
			return last
		}
		s := p.per[c.Code()]
		if s == nil {
			s = &badDebtSums{cur: c, writtenRows: []WrittenOffRow{}}
			p.per[c.Code()] = s
		}
		last = s
		return s
	}
	for i := lo; i < hi; i++ {
		inv := invoices[i]
		if !inv.IssuedBy(asOf) {
			continue
		}
		if inv.WrittenOffBy(asOf) {
			s := get(inv.Currency)
			w := inv.WrittenOff()
			rec := inv.RecoveredAsOf(asOf)
			s.written.add(w.Amount, inv.Currency)
			s.recovered.add(rec, inv.Currency)
			s.nWritten++
			if rows {
				s.writtenRows = append(s.writtenRows, WrittenOffRow{Invoice: inv.ID, Customer: inv.Customer(), On: w.On.String(),
					Amount: domain.FormatMoney(w.Amount, inv.Currency), Reason: w.Reason.String(),
					Recovered: domain.FormatMoney(rec, inv.Currency)})
			}
			continue
		}
		out := owedAsOf(inv, asOf)
		if !out.positive() {
			continue
		}
		due := inv.DueAsOf(asOf)
		if asOf < dueDateOf(due).doubtfulSince { // the six-month rule, as domain.Invoice.DoubtfulOn
			continue
		}
		s := get(inv.Currency)
		out.addTo(&s.doubtful, inv.Currency)
		s.nDoubtful++
		if !rows {
			continue
		}
		if !out.fast {
			if p.exact == nil {
				p.exact = map[int32]decimal.Decimal{}
			}
			p.exact[int32(i)] = out.exact
		}
		if s.found == nil {
			s.found = make([]doubtful, 0, hi-i) // room for the rest of the run: never grown and copied
		}
		s.found = append(s.found, doubtful{inv: int32(i), due: due, minor: out.minor})
	}
	return p
}

// BadDebtSummary is one currency of the bad-debt register without its rows: its
// totals and how many doubtful and written-off rows it has.
type BadDebtSummary struct {
	Currency             string
	Doubtful, WrittenOff int
	Totals               BadDebtTotals
}

// BadDebtSummaries are BadDebt's totals and row counts per currency, in currency
// order, without making a row: the metrics read them on every scrape, and a register
// of a million doubtful invoices is a hundred megabytes of rows.
func BadDebtSummaries(books *domain.Books, asOf domain.Date) []BadDebtSummary {
	invoices := books.InvoicesByID()
	parts := inParts(len(invoices), func(lo, hi int) *badDebtPart {
		return scanBadDebt(invoices, lo, hi, asOf, false)
	})
	per, _ := joinParts(parts)
	out := []BadDebtSummary{}
	for _, code := range slices.Sorted(maps.Keys(per)) {
		s := per[code]
		out = append(out, BadDebtSummary{Currency: code, Doubtful: s.nDoubtful, WrittenOff: s.nWritten, Totals: s.totals()})
	}
	return out
}

// joinParts joins the first pass's parts in part order: the sums, counts and write-off
// rows per currency, and for each part where its doubtful rows start in its
// currencies' rows.
func joinParts(parts []*badDebtPart) (map[string]*badDebtSums, []map[string]int) {
	per := map[string]*badDebtSums{}
	offset := make([]map[string]int, len(parts))
	for i, part := range parts {
		offset[i] = map[string]int{}
		for code, p := range part.per {
			s := per[code]
			if s == nil {
				s = &badDebtSums{cur: p.cur, writtenRows: []WrittenOffRow{}}
				per[code] = s
			}
			offset[i][code] = s.nDoubtful
			s.join(p)
		}
	}
	return per, offset
}

// join adds a later part's sums, counts and write-off rows to s.
func (s *badDebtSums) join(p *badDebtSums) {
	s.doubtful.addMoney(p.doubtful, s.cur)
	s.written.addMoney(p.written, s.cur)
	s.recovered.addMoney(p.recovered, s.cur)
	s.nDoubtful += p.nDoubtful
	s.nWritten += p.nWritten
	s.writtenRows = append(s.writtenRows, p.writtenRows...)
}

// totals are the currency's totals as the report prints them.
func (s *badDebtSums) totals() BadDebtTotals {
	return BadDebtTotals{Doubtful: s.doubtful.format(s.cur), WrittenOff: s.written.format(s.cur), Recovered: s.recovered.format(s.cur)}
}
