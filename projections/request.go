package projections

import (
	"fmt"
	"strings"

	"github.com/arkeep/arkeep/domain"
)

// ReportNames are the reports a Request can name.
var ReportNames = []string{"ageing", "baddebt", "fund", "schedule", "worklist", "kpi"}

// Request is a report asked for by name with its parameters as text, the way the
// command line and the HTTP API take them; empty means the default.
type Request struct {
	Name      string
	AsOf      domain.Date
	Basis     string // ageing: due (default) or issue
	Buckets   string // ageing: "30,60,90,180" (default)
	Collector string // worklist: required
	Holidays  string // worklist: "2026-01-01,2026-05-01"
	From, To  string // kpi: required
	Policy    *domain.Policy
}

// Builder checks the request and returns how to build the report from books. A bad
// parameter is a *domain.FieldError whose Field is the parameter's name ("basis",
// "buckets", "collector", "holidays", "from", "to", "name").
func (r Request) Builder() (func(*domain.Books) Tabular, error) {
	bad := func(field string, err error) error { return domain.Invalidf(field, "%v", err) }
	switch r.Name {
	case "ageing":
		basis, bk := BasisDue, DefaultBuckets()
		var err error
		if r.Basis != "" {
			if basis, err = ParseBasis(r.Basis); err != nil {
				return nil, bad("basis", err)
			}
		}
		if r.Buckets != "" {
			if bk, err = ParseBuckets(r.Buckets); err != nil {
				return nil, bad("buckets", err)
			}
		}
		return func(b *domain.Books) Tabular { return Ageing(b, r.AsOf, basis, bk) }, nil
	case "baddebt":
		return func(b *domain.Books) Tabular { return BadDebt(b, r.AsOf) }, nil
	case "fund":
		return func(b *domain.Books) Tabular { return Funds(b, r.AsOf) }, nil
	case "schedule":
		return func(b *domain.Books) Tabular { return Schedule(b, r.Policy, r.AsOf) }, nil
	case "worklist":
		if r.Collector == "" {
			return nil, domain.Invalidf("collector", "the worklist needs a collector")
		}
		hol, err := ParseHolidays(r.Holidays)
		if err != nil {
			return nil, bad("holidays", err)
		}
		return func(b *domain.Books) Tabular { return Worklist(b, r.Policy, r.Collector, r.AsOf, hol) }, nil
	case "kpi":
		var from, to domain.Date
		for _, f := range []struct {
			key, val string
			dst      *domain.Date
		}{{"from", r.From, &from}, {"to", r.To, &to}} {
			if f.val == "" {
				return nil, domain.Invalidf(f.key, "the kpi report needs %s (YYYY-MM-DD)", f.key)
			}
			d, err := domain.ParseDate(f.val)
			if err != nil {
				return nil, bad(f.key, err)
			}
			*f.dst = d
		}
		if err := KPIRange(from, to); err != nil {
			return nil, bad("to", err)
		}
		return func(b *domain.Books) Tabular { return KPI(b, from, to) }, nil
	}
	return nil, domain.Invalidf("name", "unknown report %q (%s)", r.Name, strings.Join(ReportNames, ", "))
}

// ParseHolidays reads "D1,D2,..."; blanks are skipped.
func ParseHolidays(s string) (map[domain.Date]bool, error) {
	out := map[domain.Date]bool{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		d, err := domain.ParseDate(p)
		if err != nil {
			return nil, fmt.Errorf("holiday %v", err)
		}
		out[d] = true
	}
	return out, nil
}
