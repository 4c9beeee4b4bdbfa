package projections

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/arkeep/arkeep/domain"
)

// Basis says what days overdue count from.
type Basis string

const (
	BasisDue   Basis = "due"
	BasisIssue Basis = "issue"
)

// ParseBasis reads "due" or "issue".
func ParseBasis(s string) (Basis, error) {
	switch Basis(s) {
	case BasisDue, BasisIssue:
		return Basis(s), nil
	}
	return "", fmt.Errorf("%q: want due or issue", s)
}

// Buckets are ageing buckets: inclusive upper bounds in days overdue; names are
// "current", "1-30", ..., "181+".
type Buckets struct {
	bounds []int
	names  []string
}

// DefaultBuckets are current, 1-30, 31-60, 61-90, 91-180, 181+.
func DefaultBuckets() Buckets { b, _ := NewBuckets([]int{30, 60, 90, 180}); return b }

// ParseBuckets reads "30,60,90,180".
func ParseBuckets(s string) (Buckets, error) {
	var bounds []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return Buckets{}, fmt.Errorf("%q: %q is not a whole number of days", s, p)
		}
		bounds = append(bounds, n)
	}
	return NewBuckets(bounds)
}

// NewBuckets checks bounds: 1 to 12 of them, positive, strictly increasing.
func NewBuckets(bounds []int) (Buckets, error) {
	if len(bounds) == 0 || len(bounds) > 12 {
		return Buckets{}, fmt.Errorf("want 1 to 12 boundaries, got %d", len(bounds))
	}
	names := []string{"current"}
	prev := 0
	for _, b := range bounds {
		if b <= prev {
			return Buckets{}, fmt.Errorf("boundaries must be positive and increasing (%d after %d)", b, prev)
		}
		names = append(names, fmt.Sprintf("%d-%d", prev+1, b))
		prev = b
	}
	names = append(names, fmt.Sprintf("%d+", prev+1))
	return Buckets{bounds: append([]int(nil), bounds...), names: names}, nil
}

// Names of the buckets in order.
func (b Buckets) Names() []string { return b.names }

// index of the bucket for days overdue.
func (b Buckets) index(days int) int {
	if days <= 0 {
		return 0
	}
	for i, ub := range b.bounds {
		if days <= ub {
			return i + 1
		}
	}
	return len(b.bounds) + 1
}

// AmountMap is a JSON object of amounts whose keys keep the bucket order.
type AmountMap struct {
	Keys   []string
	Values []string
}

// MarshalJSON writes the object with keys in bucket order.
func (m AmountMap) MarshalJSON() ([]byte, error) {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, k := range m.Keys {
		if i > 0 {
			sb.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(m.Values[i])
		sb.Write(kb)
		sb.WriteByte(':')
		sb.Write(vb)
	}
	sb.WriteByte('}')
	return []byte(sb.String()), nil
}

// AgeingReport is the Appendix A ageing report.
type AgeingReport struct {
	AsOf       string           `json:"as_of"`
	Basis      string           `json:"basis"`
	Buckets    []string         `json:"buckets"`
	Currencies []AgeingCurrency `json:"currencies"`
}

// AgeingCurrency is one currency's part of the ageing.
type AgeingCurrency struct {
	Currency  string       `json:"currency"`
	Customers []AgeingRow  `json:"customers"`
	Totals    AgeingTotals `json:"totals"`
}

// AgeingRow is one customer in one currency.
type AgeingRow struct {
	Customer        string    `json:"customer"`
	Buckets         AmountMap `json:"buckets"`
	Total           string    `json:"total"`
	UnappliedCredit string    `json:"unapplied_credit"`
}

// AgeingTotals are a currency's totals.
type AgeingTotals struct {
	Buckets         AmountMap `json:"buckets"`
	Total           string    `json:"total"`
	UnappliedCredit string    `json:"unapplied_credit"`
}

type ageSums struct {
	cur       domain.Currency
	buckets   []money
	unapplied money
}

func newAgeSums(c domain.Currency, n int) *ageSums {
	return &ageSums{cur: c, buckets: make([]money, n)}
}

func (s *ageSums) total() money {
	var t money
	for _, b := range s.buckets {
		t.addMoney(b, s.cur)
	}
	return t
}

func (s *ageSums) add(o *ageSums) {
	for i := range s.buckets {
		s.buckets[i].addMoney(o.buckets[i], s.cur)
	}
	s.unapplied.addMoney(o.unapplied, s.cur)
}

func (s *ageSums) empty() bool {
	return s.total().isZero(s.cur) && s.unapplied.isZero(s.cur)
}

// ageingPart is the ageing of a run of accounts, per currency code.
type ageingPart map[string]*ageingCurrency

type ageingCurrency struct {
	rows   []AgeingRow
	totals *ageSums
}

// Ageing computes the ageing of every open receivable as of asOf.
//
// The dashboard, the API, the metrics and the daily CSVs run it over every open
// invoice, so it sums in minor units (money.go) and works in two passes split over the
// CPUs. The first scans the invoices in id order, which is close to the order they
// were recorded and so to their order in memory, and sums them per account slot
// (ageScan, scan.go). Going account by account instead read each account's invoices
// from all over the heap, and waiting for memory was most of the report. The second
// makes the rows account by account; each part keeps account order and the parts are
// joined in order, so the result is that of one pass.
func Ageing(books *domain.Books, asOf domain.Date, basis Basis, bk Buckets) AgeingReport {
	q := scanSpec{asOf: asOf, basis: basis, bk: bk, age: true}
	return ageingReport(books, scanInvoices(books, books.InvoicesByID(), q), q)
}

// ageingReport makes the ageing's rows from the scan's parts.
func ageingReport(books *domain.Books, scanned []reportScan, q scanSpec) AgeingReport {
	asOf, basis, bk := q.asOf, q.basis, q.bk
	n := len(bk.names)
	scans := make([]*ageScan, len(scanned))
	for i, p := range scanned {
		scans[i] = p.age
	}
	accts := books.Accounts()
	parts := inParts(len(accts), func(lo, hi int) ageingPart {
		part := ageingPart{}
		var rm rowMaker
		for _, a := range accts[lo:hi] {
			for _, s := range rm.accountAgeing(a, scans, asOf, n) {
				if s.empty() {
					continue
				}
				c := part[s.cur.Code()]
				if c == nil {
					c = &ageingCurrency{totals: newAgeSums(s.cur, n)}
					part[s.cur.Code()] = c
				}
				c.totals.add(s)
				c.rows = append(c.rows, AgeingRow{Customer: a.ID(), Buckets: rm.amountMap(bk.names, s.buckets, s.cur),
					Total: s.total().text(&rm.texts, s.cur), UnappliedCredit: negated(s.unapplied, s.cur).text(&rm.texts, s.cur)})
			}
		}
		return part
	})
	all := ageingPart{}
	for _, part := range parts {
		for code, c := range part {
			if a := all[code]; a != nil {
				a.rows = append(a.rows, c.rows...)
				a.totals.add(c.totals)
			} else {
				all[code] = c
			}
		}
	}
	rep := AgeingReport{AsOf: asOf.String(), Basis: string(basis), Buckets: bk.names, Currencies: []AgeingCurrency{}}
	var rm rowMaker
	for _, code := range slices.Sorted(maps.Keys(all)) {
		c := all[code]
		t := c.totals
		rep.Currencies = append(rep.Currencies, AgeingCurrency{Currency: code, Customers: c.rows,
			Totals: AgeingTotals{Buckets: rm.amountMap(bk.names, t.buckets, t.cur), Total: t.total().text(&rm.texts, t.cur),
				UnappliedCredit: negated(t.unapplied, t.cur).text(&rm.texts, t.cur)}})
	}
	return rep
}

// negated is -m: unapplied credit is shown as a negative amount.
func negated(m money, c domain.Currency) money {
	if !m.hasRest && m.minor != math.MinInt64 {
		return money{minor: -m.minor}
	}
	var out money
	out.addRest(m.value(c).Neg())
	return out
}

// ageScan is one run of invoices summed per account slot and bucket. Nearly every
// account owes in one currency, so the first currency a slot meets is summed in one
// flat array of minor units for all slots (eight bytes a bucket: the array of ten
// thousand customers stays in the CPU's cache). What does not fit it, an amount with
// no minor-unit form, a sum that would overflow, or another currency of the slot, is
// summed exactly apart.
type ageScan struct {
	n     int               // buckets
	cur   []domain.Currency // per slot, its first currency; the zero value: none yet
	first []int64           // slot*n + bucket, minor units of cur[slot]
	rest  map[int]*money    // slot*n + bucket: the exact remainder of first
	more  map[int][]*ageSums
}

func newAgeScan(slots, n int) *ageScan {
	return &ageScan{n: n, cur: make([]domain.Currency, slots), first: make([]int64, slots*n)}
}

// add adds an invoice's outstanding in c to slot's bucket i.
func (s *ageScan) add(slot int, c domain.Currency, i int, o owed) {
	switch s.cur[slot] {
	case domain.Currency{}:
		s.cur[slot] = c
		fallthrough
	case c:
		k := slot*s.n + i
		if o.fast {
			if v, ok := addInt64(s.first[k], o.minor); ok {
				s.first[k] = v
				return
			}
		}
		if s.rest == nil {
			s.rest = map[int]*money{}
		}
		if s.rest[k] == nil {
			s.rest[k] = &money{}
		}
		o.addTo(s.rest[k], c)
		return
	}
	for _, m := range s.more[slot] {
		if m.cur == c {
			o.addTo(&m.buckets[i], c)
			return
		}
	}
	if s.more == nil {
		s.more = map[int][]*ageSums{}
	}
	m := newAgeSums(c, s.n)
	s.more[slot] = append(s.more[slot], m)
	o.addTo(&m.buckets[i], c)
}

// rowMaker makes one part's ageing rows. A row's texts and its list of bucket amounts
// are cut from buffers shared by the part, and the sums of one account are reused for
// the next: ten thousand customers made a quarter of a million small allocations per
// report, and with a million invoices on the heap each allocation paid for garbage
// collection work as well.
type rowMaker struct {
	texts texts
	vals  []string   // room for the rows' bucket amounts
	rows  int        // how many rows vals last had room for
	sums  []*ageSums // the account's sums, reused
	used  int        // of sums, by the account being made
}

// accountAgeing joins one account's outstanding per currency and bucket from the
// scans, and adds its unapplied credit as of asOf. The sums are valid until the next
// call.
func (r *rowMaker) accountAgeing(a *domain.Account, scans []*ageScan, asOf domain.Date, n int) []*ageSums {
	r.used = 0
	slot := a.Slot()
	for _, sc := range scans {
		if c := sc.cur[slot]; c != (domain.Currency{}) {
			s := r.get(c, n)
			for i, v := range sc.first[slot*n : (slot+1)*n] {
				s.buckets[i].addUnits(v, c)
				if m := sc.rest[slot*n+i]; m != nil {
					s.buckets[i].addMoney(*m, c)
				}
			}
		}
		for _, o := range sc.more[slot] {
			s := r.get(o.cur, n)
			for i, m := range o.buckets {
				s.buckets[i].addMoney(m, o.cur)
			}
		}
	}
	for _, l := range a.Lots() {
		if u := l.UnappliedAsOf(asOf); !u.IsZero() {
			r.get(l.Currency, n).unapplied.add(u, l.Currency)
		}
	}
	return r.sums[:r.used]
}

// get is the account's sums in c, zero when first asked for.
func (r *rowMaker) get(c domain.Currency, n int) *ageSums {
	for _, s := range r.sums[:r.used] {
		if s.cur == c {
			return s
		}
	}
	if r.used == len(r.sums) {
		r.sums = append(r.sums, newAgeSums(c, n))
	}
	s := r.sums[r.used]
	r.used++
	s.cur, s.unapplied = c, money{}
	clear(s.buckets)
	return s
}

// amountMap is the bucket amounts of one row, as texts.
func (r *rowMaker) amountMap(names []string, vals []money, c domain.Currency) AmountMap {
	if len(r.vals) < len(vals) {
		// Room for 4 rows, doubling to 256.
		r.rows = min(256, max(4, 2*r.rows))
		r.vals = make([]string, r.rows*len(vals))
	}
	m := AmountMap{Keys: names, Values: r.vals[:len(vals):len(vals)]}
	r.vals = r.vals[len(vals):]
	for i, v := range vals {
		m.Values[i] = v.text(&r.texts, c)
	}
	return m
}
