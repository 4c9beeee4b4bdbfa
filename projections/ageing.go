package projections

import (
	"encoding/json"
	"fmt"
	"maps"
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
// invoice, so it sums in minor units (money.go) and splits the accounts over the CPUs;
// each part keeps account order and the parts are joined in order, so the result is
// that of one pass.
func Ageing(books *domain.Books, asOf domain.Date, basis Basis, bk Buckets) AgeingReport {
	n := len(bk.names)
	accts := books.Accounts()
	parts := inParts(len(accts), func(lo, hi int) ageingPart {
		part := ageingPart{}
		for _, a := range accts[lo:hi] {
			for _, s := range accountAgeing(a, asOf, basis, bk) {
				if s.empty() {
					continue
				}
				c := part[s.cur.Code()]
				if c == nil {
					c = &ageingCurrency{totals: newAgeSums(s.cur, n)}
					part[s.cur.Code()] = c
				}
				c.totals.add(s)
				c.rows = append(c.rows, AgeingRow{Customer: a.ID(), Buckets: amountMap(bk.names, s.buckets, s.cur),
					Total: s.total().format(s.cur), UnappliedCredit: negated(s.unapplied, s.cur).format(s.cur)})
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
	for _, code := range slices.Sorted(maps.Keys(all)) {
		c := all[code]
		t := c.totals
		rep.Currencies = append(rep.Currencies, AgeingCurrency{Currency: code, Customers: c.rows,
			Totals: AgeingTotals{Buckets: amountMap(bk.names, t.buckets, t.cur), Total: t.total().format(t.cur),
				UnappliedCredit: negated(t.unapplied, t.cur).format(t.cur)}})
	}
	return rep
}

// negated is -m: unapplied credit is shown as a negative amount. Once per row, so
// through decimals.
func negated(m money, c domain.Currency) money {
	var out money
	out.addRest(m.value(c).Neg())
	return out
}

// accountAgeing sums one account's outstanding per currency and bucket, and its
// unapplied credit, as of asOf; currencies in the order the account first used them.
func accountAgeing(a *domain.Account, asOf domain.Date, basis Basis, bk Buckets) []*ageSums {
	var sums []*ageSums
	get := func(c domain.Currency) *ageSums {
		for _, s := range sums {
			if s.cur == c {
				return s
			}
		}
		s := newAgeSums(c, len(bk.names))
		sums = append(sums, s)
		return s
	}
	for _, inv := range a.Invoices() {
		if !inv.IssuedBy(asOf) {
			continue
		}
		out := owedAsOf(inv, asOf)
		if !out.positive() {
			continue
		}
		from := inv.DueAsOf(asOf)
		if basis == BasisIssue {
			from = inv.Issued
		}
		out.addTo(&get(inv.Currency).buckets[bk.index(int(asOf-from))], inv.Currency)
	}
	for _, l := range a.Lots() {
		if u := l.UnappliedAsOf(asOf); !u.IsZero() {
			get(l.Currency).unapplied.add(u, l.Currency)
		}
	}
	return sums
}

func amountMap(names []string, vals []money, c domain.Currency) AmountMap {
	m := AmountMap{Keys: names, Values: make([]string, len(vals))}
	for i, v := range vals {
		m.Values[i] = v.format(c)
	}
	return m
}
