package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/projections"
)

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	asOf := fs.String("as-of", "", "business date YYYY-MM-DD the report is as of (end of day); default today")
	format := fs.String("format", "table", "json, csv or table")
	basis := fs.String("basis", "due", "ageing: count days overdue from the due date (due) or the issue date (issue)")
	buckets := fs.String("buckets", "30,60,90,180", "ageing: inclusive upper bounds of the buckets in days")
	knownAt := fs.String("known-at", "", "RFC 3339 instant: report the books as recorded up to then")
	collector := fs.String("collector", "", "worklist: the collector")
	holidays := fs.String("holidays", "", "worklist: holidays D1,D2,... (not working days)")
	policyFile := fs.String("policy", "", "schedule, worklist: dunning policy file (JSON) instead of the built-in default")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: arkeep report NAME [flags]   NAME: ageing, baddebt, fund, schedule, worklist")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one report NAME, got %d", len(pos))
	}
	name := pos[0]
	q := reportQuery{name: name, basis: *basis, buckets: *buckets, collector: *collector, policy: domain.DefaultPolicy()}
	if q.holidays, err = parseHolidays(*holidays); err != nil {
		return err
	}
	if *policyFile != "" {
		if q.policy, err = loadPolicy(*policyFile); err != nil {
			return err
		}
	}
	if *asOf == "" {
		q.asOf = domain.NewDate(time.Now().Date())
	} else if q.asOf, err = domain.ParseDate(*asOf); err != nil {
		return usagef("--as-of: %v", err)
	}
	if *knownAt != "" {
		if q.knownAt, err = time.Parse(time.RFC3339Nano, *knownAt); err != nil {
			return usagef("--known-at: want an RFC 3339 instant like 2026-11-23T10:00:00Z: %v", err)
		}
	}
	switch *format {
	case "json", "csv", "table":
	default:
		return usagef("--format: want json, csv or table, not %q", *format)
	}
	if err := q.check(); err != nil {
		return err
	}
	st, closeStore, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	books, _, err := projections.Fold(ctx, st, q.knownAt)
	if err != nil {
		return fmt.Errorf("read the books: %w", err)
	}
	rep, err := q.build(books)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "csv":
		return projections.WriteCSV(stdout, rep)
	default:
		return projections.WriteTable(stdout, fmt.Sprintf("%s as of %s", name, q.asOf), rep)
	}
}

// reportQuery is a parsed report request.
type reportQuery struct {
	name      string
	asOf      domain.Date
	knownAt   time.Time
	basis     string
	buckets   string
	collector string
	holidays  map[domain.Date]bool
	policy    *domain.Policy
}

func (q reportQuery) check() error {
	switch q.name {
	case "ageing", "baddebt", "fund", "schedule":
	case "worklist":
		if q.collector == "" {
			return usagef("worklist needs --collector NAME")
		}
	default:
		return usagef("unknown report %q (ageing, baddebt, fund, schedule, worklist)", q.name)
	}
	if _, err := projections.ParseBasis(q.basis); err != nil {
		return usagef("--basis: %v", err)
	}
	if _, err := projections.ParseBuckets(q.buckets); err != nil {
		return usagef("--buckets: %v", err)
	}
	return nil
}

func (q reportQuery) build(books *domain.Books) (projections.Tabular, error) {
	switch q.name {
	case "ageing":
		basis, _ := projections.ParseBasis(q.basis)
		bk, _ := projections.ParseBuckets(q.buckets)
		return projections.Ageing(books, q.asOf, basis, bk), nil
	case "baddebt":
		return projections.BadDebt(books, q.asOf), nil
	case "fund":
		return projections.Funds(books, q.asOf), nil
	case "schedule":
		return projections.Schedule(books, q.policy, q.asOf), nil
	case "worklist":
		return projections.Worklist(books, q.policy, q.collector, q.asOf, q.holidays), nil
	}
	return nil, usagef("unknown report %q", q.name)
}

func loadPolicy(path string) (*domain.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--policy: %v", err)
	}
	p, err := domain.ParsePolicy(data)
	if err != nil {
		return nil, usagef("--policy %s: %v", path, err)
	}
	return p, nil
}

func parseHolidays(s string) (map[domain.Date]bool, error) {
	out := map[domain.Date]bool{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		d, err := domain.ParseDate(p)
		if err != nil {
			return nil, usagef("--holidays: %v", err)
		}
		out[d] = true
	}
	return out, nil
}
