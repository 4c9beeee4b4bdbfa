package projections

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
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
	buckets   []decimal.Decimal
	unapplied decimal.Decimal
}

func newAgeSums(c domain.Currency, n int) *ageSums {
	s := &ageSums{cur: c, buckets: make([]decimal.Decimal, n), unapplied: decimal.Zero}
	for i := range s.buckets {
		s.buckets[i] = decimal.Zero
	}
	return s
}

func (s *ageSums) total() decimal.Decimal {
	t := decimal.Zero
	for _, b := range s.buckets {
		t = t.Add(b)
	}
	return t
}

func (s *ageSums) add(o *ageSums) {
	for i := range s.buckets {
		s.buckets[i] = s.buckets[i].Add(o.buckets[i])
	}
	s.unapplied = s.unapplied.Add(o.unapplied)
}

// Ageing computes the ageing of every open receivable as of asOf.
func Ageing(books *domain.Books, asOf domain.Date, basis Basis, bk Buckets) AgeingReport {
	n := len(bk.names)
	perCur := map[string][]AgeingRow{}
	totals := map[string]*ageSums{}
	for _, a := range books.Accounts() {
		sums := AccountAgeing(a, asOf, basis, bk)
		for code, s := range sums {
			if s.total().IsZero() && s.unapplied.IsZero() {
				continue
			}
			t := totals[code]
			if t == nil {
				t = newAgeSums(s.cur, n)
				totals[code] = t
			}
			t.add(s)
			perCur[code] = append(perCur[code], AgeingRow{Customer: a.ID(), Buckets: amountMap(bk.names, s.buckets, s.cur),
				Total: domain.FormatMoney(s.total(), s.cur), UnappliedCredit: domain.FormatMoney(s.unapplied.Neg(), s.cur)})
		}
	}
	rep := AgeingReport{AsOf: asOf.String(), Basis: string(basis), Buckets: bk.names, Currencies: []AgeingCurrency{}}
	for _, code := range sortedKeys(perCur) {
		t := totals[code]
		rep.Currencies = append(rep.Currencies, AgeingCurrency{Currency: code, Customers: perCur[code],
			Totals: AgeingTotals{Buckets: amountMap(bk.names, t.buckets, t.cur), Total: domain.FormatMoney(t.total(), t.cur),
				UnappliedCredit: domain.FormatMoney(t.unapplied.Neg(), t.cur)}})
	}
	return rep
}

// AccountAgeing sums one account's outstanding per currency and bucket, and its
// unapplied credit, as of asOf.
func AccountAgeing(a *domain.Account, asOf domain.Date, basis Basis, bk Buckets) map[string]*ageSums {
	sums := map[string]*ageSums{}
	get := func(c domain.Currency) *ageSums {
		s := sums[c.Code()]
		if s == nil {
			s = newAgeSums(c, len(bk.names))
			sums[c.Code()] = s
		}
		return s
	}
	for _, inv := range a.Invoices() {
		if !inv.IssuedBy(asOf) {
			continue
		}
		out := inv.OutstandingAsOf(asOf)
		if !out.IsPositive() {
			continue
		}
		from := inv.DueAsOf(asOf)
		if basis == BasisIssue {
			from = inv.Issued
		}
		s := get(inv.Currency)
		i := bk.index(int(asOf - from))
		s.buckets[i] = s.buckets[i].Add(out)
	}
	for _, l := range a.Lots() {
		if u := l.UnappliedAsOf(asOf); !u.IsZero() {
			s := get(l.Currency)
			s.unapplied = s.unapplied.Add(u)
		}
	}
	return sums
}

func amountMap(names []string, vals []decimal.Decimal, c domain.Currency) AmountMap {
	m := AmountMap{Keys: names, Values: make([]string, len(vals))}
	for i, v := range vals {
		m.Values[i] = domain.FormatMoney(v, c)
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
