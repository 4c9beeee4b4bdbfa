package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/arkeep/arkeep/csvimport"
	"github.com/arkeep/arkeep/ledger"
)

func runImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	workers := fs.Int("workers", ledger.DefaultWorkers, "accounts with a command in flight at once")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	format := fs.String("format", "", "input format: jsonl or csv (default: csv when FILE ends in .csv or --map/--preset is given, else jsonl)")
	mapFile := fs.String("map", "", "csv: the mapping YAML file (which column holds what)")
	preset := fs.String("preset", "", "csv: a built-in mapping instead of --map ("+strings.Join(csvimport.Presets(), ", ")+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: arkeep import [flags] FILE.jsonl   (FILE '-' reads standard input)")
		fmt.Fprintln(stderr, "       arkeep import [flags] (--map MAPPING.yaml | --preset NAME) FILE.csv")
		fmt.Fprintln(stderr, "Records Appendix A commands, one JSON object per line. Refused lines are listed on")
		fmt.Fprintln(stderr, "stderr with their line numbers; the exit code is 1 if any line was refused.")
		fmt.Fprintln(stderr, "A CSV export is translated row by row into those commands (see package csvimport);")
		fmt.Fprintln(stderr, "refusals name the CSV line and column.")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one FILE (or -), got %d", len(pos))
	}
	var mapping *csvimport.Mapping
	switch *format {
	case "":
		if strings.HasSuffix(strings.ToLower(pos[0]), ".csv") || *mapFile != "" || *preset != "" {
			*format = "csv"
		} else {
			*format = "jsonl"
		}
	case "jsonl", "csv":
	default:
		return usagef("--format %q: want jsonl or csv", *format)
	}
	switch {
	case *format == "jsonl" && (*mapFile != "" || *preset != ""):
		return usagef("--map and --preset are for --format csv")
	case *format == "csv" && *mapFile != "" && *preset != "":
		return usagef("give --map FILE or --preset NAME, not both")
	case *format == "csv" && *mapFile == "" && *preset == "":
		return usagef("a CSV import needs --map MAPPING.yaml or --preset NAME (%s)", strings.Join(csvimport.Presets(), ", "))
	case *format == "csv":
		var m csvimport.Mapping
		if *preset != "" {
			m, err = csvimport.Preset(*preset)
		} else {
			m, err = csvimport.LoadMapping(*mapFile)
		}
		if err != nil {
			return usageError{err}
		}
		mapping = &m
	}
	in := stdin
	if pos[0] != "-" {
		fh, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer fh.Close()
		in = fh
	}
	st, closeStore, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctx); err != nil {
		return fmt.Errorf("load the books: %w", err)
	}
	opts := ledger.ImportOptions{Workers: *workers}
	if !*quiet {
		// The CSV path records through the JSON Lines one: the same counts, in commands.
		opts.Progress = func(s ledger.ImportStats, d time.Duration) {
			fmt.Fprintf(stderr, "arkeep import: %d commands, %d recorded, %d already recorded, %d refused (%.0f commands/s)\n",
				s.Commands, s.Recorded, s.Duplicates, s.Refused, float64(s.Recorded+s.Duplicates)/d.Seconds())
		}
	}
	if mapping != nil {
		return importCSV(ctx, svc, in, *mapping, opts, stdout, stderr)
	}
	stats, refusals, err := svc.Import(ctx, in, opts)
	for _, r := range refusals {
		fmt.Fprintf(stderr, "line %d: %v\n", r.Line, r.Err)
	}
	fmt.Fprintf(stdout, "lines %d, commands %d, recorded %d, already recorded %d, refused %d, events %d\n",
		stats.Lines, stats.Commands, stats.Recorded, stats.Duplicates, stats.Refused, stats.Events)
	return importDone(err, stats.Refused)
}

// importDone is the end of an import whose counts are printed: the store's error if
// it stopped the import, else exit 1 if any line or row was refused.
func importDone(err error, refused int) error {
	if err != nil {
		return err
	}
	if refused > 0 {
		return exitError{1}
	}
	return nil
}

// importCSV records a CSV export through the JSON Lines path (csvimport.Import) and
// reports refusals by CSV line and column, like the JSONL refusals; the exit code is 1
// if any row was refused.
func importCSV(ctx context.Context, svc *ledger.Service, in io.Reader, m csvimport.Mapping,
	opts ledger.ImportOptions, stdout, stderr io.Writer) error {
	stats, refusals, err := csvimport.Import(ctx, svc, in, m, opts)
	var header *csvimport.Refusal
	if errors.As(err, &header) {
		fmt.Fprintln(stderr, header.Error())
		return exitError{1}
	}
	for i := range refusals {
		fmt.Fprintln(stderr, refusals[i].Error())
	}
	c := stats.Commands
	fmt.Fprintf(stdout, "csv lines %d, rows %d, rows refused %d; commands %d, recorded %d, already recorded %d, refused %d, events %d\n",
		stats.Lines, stats.Rows, stats.Refused, c.Commands, c.Recorded, c.Duplicates, c.Refused, c.Events)
	return importDone(err, stats.Refused)
}
