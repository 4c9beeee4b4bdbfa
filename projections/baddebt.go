package projections

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"unsafe"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/internal/jsonquote"
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
// A row is made when a register's rows are read (DoubtfulRows.At, All): it refers to
// its invoice, its due date's shared texts and its amount's text in the register. It
// stays right however long it is kept: an invoice's id and customer never change once
// recorded, and the texts never change once made. The zero row has no invoice to read.
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

// DoubtfulRows are a currency's doubtful rows, in invoice id order. In JSON they are
// an array of rows, [] when there are none (the zero value).
//
// An old ledger's register lists most of its open invoices, and the dashboard, the
// API and the CSVs make it over the live books. So the register keeps its rows as
// twelve-byte records with no pointer, in the runs the scan found them in, with their
// amounts printed into each run's text as they were found; a row is made only when it
// is read, and the JSON is written straight from the records. Rows of 32 bytes with
// two pointers, made on every report and written again once the parts were joined, set
// off garbage collection over the whole books: with a million invoices held, the
// register took 44-48 ms with them and 32 ms without (p50).
type DoubtfulRows struct {
	invoices []*domain.Invoice // the books' invoices in id order as the register read them; never changed
	runs     []doubtfulRun     // in invoice order
	n        int
}

// doubtfulRun is the doubtful rows of one currency that one part of the scan found.
type doubtfulRun struct {
	recs  []doubtfulRec
	texts []byte // the rows' outstanding amounts, end to end; never written again
	start uint32 // where recs[0]'s amount starts in texts
}

// doubtfulRec is one row: its amount is texts[end of the record before (start for the
// first) : end]. A run's texts stay far below 4 GiB: a few bytes per invoice.
type doubtfulRec struct {
	inv int32       // index in invoices (books hold far fewer than 2³¹)
	due domain.Date // effective due date
	end uint32
}

// Len is the number of rows.
func (rs DoubtfulRows) Len() int { return rs.n }

// At is row i; it panics unless 0 ≤ i < Len(), as a slice index would.
func (rs DoubtfulRows) At(i int) DoubtfulRow {
	if i >= 0 {
		for ri := range rs.runs {
			r := &rs.runs[ri]
			if i < len(r.recs) {
				return rs.row(r, i)
			}
			i -= len(r.recs)
		}
	}
	panic(fmt.Sprintf("projections: doubtful row %d out of range [0:%d]", i, rs.n))
}

// All yields the rows in order, for range loops and templates.
func (rs DoubtfulRows) All() iter.Seq[DoubtfulRow] {
	return func(yield func(DoubtfulRow) bool) {
		for ri := range rs.runs {
			r := &rs.runs[ri]
			for i := range r.recs {
				if !yield(rs.row(r, i)) {
					return
				}
			}
		}
	}
}

// Slice is rows [lo, hi), sharing the records; it panics unless 0 ≤ lo ≤ hi ≤ Len().
func (rs DoubtfulRows) Slice(lo, hi int) DoubtfulRows {
	if lo < 0 || hi < lo || hi > rs.n {
		panic(fmt.Sprintf("projections: doubtful rows [%d:%d] out of range [0:%d]", lo, hi, rs.n))
	}
	out := DoubtfulRows{invoices: rs.invoices, n: hi - lo}
	for _, r := range rs.runs {
		n := len(r.recs)
		if a, b := max(lo, 0), min(hi, n); a < b {
			sub := doubtfulRun{recs: r.recs[a:b:b], texts: r.texts, start: r.start}
			if a > 0 {
				sub.start = r.recs[a-1].end
			}
			out.runs = append(out.runs, sub)
		}
		lo, hi = lo-n, hi-n
	}
	return out
}

// row makes row i of run r.
func (rs DoubtfulRows) row(r *doubtfulRun, i int) DoubtfulRow {
	start := r.start
	if i > 0 {
		start = r.recs[i-1].end
	}
	text := r.texts[start:r.recs[i].end]
	return DoubtfulRow{inv: rs.invoices[r.recs[i].inv], due: dueDateOf(r.recs[i].due),
		outstanding: unsafe.String(unsafe.SliceData(text), len(text))}
}

// MarshalJSON writes the rows as a JSON array in one call rather than a Marshaler
// call per row: a register of a million rows is sixty megabytes of JSON.
func (rs DoubtfulRows) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+rs.n*128)
	b = append(b, '[')
	for r := range rs.All() {
		if len(b) > 1 {
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
	run                          doubtfulRun   // a part's doubtful rows
	runs                         []doubtfulRun // the parts' runs, joined in order
	writtenRows                  []WrittenOffRow
}

// badDebtPart is one contiguous run of the id-ordered invoices.
type badDebtPart struct {
	per  map[string]*badDebtSums
	last *badDebtSums // the invoice before's currency: most ledgers have one
}

// BadDebt lists, per currency, the doubtful invoices and the write-offs as of asOf, in
// invoice id order.
//
// Most of a large register is doubtful rows, so the scan runs over the books' invoices
// already in id order (no sort per report), split over the CPUs in contiguous runs that
// are joined in order (scan.go); sums are in minor units and the due-date texts are
// made once per date (money.go). Each part keeps the doubtful rows it finds as records
// in one run per currency, and the register holds the runs as they are (DoubtfulRows):
// the rows are neither copied nor joined.
func BadDebt(books *domain.Books, asOf domain.Date) BadDebtReport {
	invoices := books.InvoicesByID()
	return badDebtReport(invoices, scanInvoices(books, invoices, scanSpec{asOf: asOf, bad: true, rows: true}), asOf)
}

// badDebtReport joins the scan's parts into the register.
func badDebtReport(invoices []*domain.Invoice, parts []reportScan, asOf domain.Date) BadDebtReport {
	per := joinParts(parts)
	rep := BadDebtReport{AsOf: asOf.String(), Currencies: []BadDebtCurrency{}}
	for _, code := range slices.Sorted(maps.Keys(per)) {
		s := per[code]
		rep.Currencies = append(rep.Currencies, BadDebtCurrency{Currency: code,
			Doubtful:   DoubtfulRows{invoices: invoices, runs: s.runs, n: s.nDoubtful},
			WrittenOff: s.writtenRows, Totals: s.totals()})
	}
	return rep
}

func newBadDebtPart() *badDebtPart { return &badDebtPart{per: map[string]*badDebtSums{}} }

// get is the part's sums in c.
func (p *badDebtPart) get(c domain.Currency) *badDebtSums {
	if p.last != nil && p.last.cur == c {
		return p.last
	}
	s := p.per[c.Code()]
	if s == nil {
		s = &badDebtSums{cur: c, writtenRows: []WrittenOffRow{}}
		p.per[c.Code()] = s
	}
	p.last = s
	return s
}

// writtenOff adds an invoice written off by asOf.
func (p *badDebtPart) writtenOff(inv *domain.Invoice, asOf domain.Date, rows bool) {
	s := p.get(inv.Currency)
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
}

// doubtful adds invoices[i], doubtful and owing out, with the row when rows is set;
// hi is the end of the part's run of invoices.
func (p *badDebtPart) doubtful(i, hi int, inv *domain.Invoice, due domain.Date, out owed, rows bool) {
	s := p.get(inv.Currency)
	out.addTo(&s.doubtful, inv.Currency)
	s.nDoubtful++
	if !rows {
		return
	}
	r := &s.run
	if r.recs == nil {
		// Room for the rest of the run, never grown and copied; amounts are a few
		// characters each.
		r.recs = make([]doubtfulRec, 0, hi-i)
		r.texts = make([]byte, 0, 8*(hi-i))
	}
	if out.fast {
		r.texts = domain.AppendFixed(r.texts, out.minor, inv.Currency.Digits())
	} else {
		r.texts = append(r.texts, domain.FormatMoney(out.exact, inv.Currency)...)
	}
	r.recs = append(r.recs, doubtfulRec{inv: int32(i), due: due, end: uint32(len(r.texts))})
}

// BadDebtSummary is one currency of the bad-debt register without its rows: its
// totals and how many doubtful and written-off rows it has.
type BadDebtSummary struct {
	Currency             string
	Doubtful, WrittenOff int
	Totals               BadDebtTotals
}

// badDebtSummaries are the register's totals and row counts per currency, in
// currency order, from a scan that made no rows: the metrics read them on every
// scrape (AgeingAndBadDebtSummaries), and a register of a million doubtful invoices
// is a hundred megabytes of rows.
func badDebtSummaries(parts []reportScan) []BadDebtSummary {
	per := joinParts(parts)
	out := []BadDebtSummary{}
	for _, code := range slices.Sorted(maps.Keys(per)) {
		s := per[code]
		out = append(out, BadDebtSummary{Currency: code, Doubtful: s.nDoubtful, WrittenOff: s.nWritten, Totals: s.totals()})
	}
	return out
}

// joinParts joins the parts in part order: the sums, counts and rows per currency.
func joinParts(parts []reportScan) map[string]*badDebtSums {
	per := map[string]*badDebtSums{}
	for _, part := range parts {
		for code, p := range part.bad.per {
			s := per[code]
			if s == nil {
				s = &badDebtSums{cur: p.cur, writtenRows: []WrittenOffRow{}}
				per[code] = s
			}
			s.join(p)
		}
	}
	return per
}

// join adds a later part's sums, counts and rows to s.
func (s *badDebtSums) join(p *badDebtSums) {
	s.doubtful.addMoney(p.doubtful, s.cur)
	s.written.addMoney(p.written, s.cur)
	s.recovered.addMoney(p.recovered, s.cur)
	s.nDoubtful += p.nDoubtful
	s.nWritten += p.nWritten
	if len(p.run.recs) > 0 {
		s.runs = append(s.runs, p.run)
	}
	s.writtenRows = append(s.writtenRows, p.writtenRows...)
}

// totals are the currency's totals as the report prints them.
func (s *badDebtSums) totals() BadDebtTotals {
	return BadDebtTotals{Doubtful: s.doubtful.format(s.cur), WrittenOff: s.written.format(s.cur), Recovered: s.recovered.format(s.cur)}
}
