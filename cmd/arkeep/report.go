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
	knownAt := fs.String("known-at", "", "RFC 3339 instant: report the books as recorded up to then")
	policyFile := fs.String("policy", "", "schedule, worklist: dunning policy file (JSON) instead of the built-in default")
	var req projections.Request
	fs.StringVar(&req.Basis, "basis", "due", "ageing: count days overdue from the due date (due) or the issue date (issue)")
	fs.StringVar(&req.Buckets, "buckets", "30,60,90,180", "ageing: inclusive upper bounds of the buckets in days")
	fs.StringVar(&req.Collector, "collector", "", "worklist: the collector")
	fs.StringVar(&req.Holidays, "holidays", "", "worklist: holidays D1,D2,... (not working days)")
	fs.StringVar(&req.From, "from", "", "kpi: first day YYYY-MM-DD")
	fs.StringVar(&req.To, "to", "", "kpi: last day YYYY-MM-DD")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: arkeep report NAME [flags]   NAME: %s\n", strings.Join(projections.ReportNames, ", "))
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one report NAME, got %d", len(pos))
	}
	req.Name = pos[0]
	if req.Policy, err = loadPolicy("policy", *policyFile); err != nil {
		return err
	}
	if *asOf == "" {
		req.AsOf = domain.NewDate(time.Now().Date())
	} else if req.AsOf, err = domain.ParseDate(*asOf); err != nil {
		return usagef("--as-of: %v", err)
	}
	var known time.Time
	if *knownAt != "" {
		if known, err = time.Parse(time.RFC3339Nano, *knownAt); err != nil {
			return usagef("--known-at: want an RFC 3339 instant like 2026-11-23T10:00:00Z: %v", err)
		}
	}
	switch *format {
	case "json", "csv", "table":
	default:
		return usagef("--format: want json, csv or table, not %q", *format)
	}
	build, err := req.Builder()
	if err != nil {
		fe, _ := domain.Refusal(err)
		if fe.Field == "name" {
			return usagef("%s", fe.Msg)
		}
		return usagef("--%s: %s", fe.Field, fe.Msg)
	}
	st, closeStore, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	books, _, err := projections.Fold(ctx, st, known)
	if err != nil {
		return fmt.Errorf("read the books: %w", err)
	}
	rep := build(books)
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "csv":
		return projections.WriteCSV(stdout, rep)
	default:
		return projections.WriteTable(stdout, fmt.Sprintf("%s as of %s", req.Name, req.AsOf), rep)
	}
}

// loadPolicy reads the dunning policy file given with the flag --flagName; no file
// (path "") is the built-in default policy. Errors are usage errors naming the flag.
func loadPolicy(flagName, path string) (*domain.Policy, error) {
	if path == "" {
		return domain.DefaultPolicy(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--%s: %v", flagName, err)
	}
	p, err := domain.ParsePolicy(data)
	if err != nil {
		return nil, usagef("--%s %s: %v", flagName, path, err)
	}
	return p, nil
}
