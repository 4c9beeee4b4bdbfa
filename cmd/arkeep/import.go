package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/arkeep/arkeep/ledger"
)

func runImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	workers := fs.Int("workers", 64, "accounts with a command in flight at once")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: arkeep import [flags] FILE.jsonl   (FILE '-' reads standard input)")
		fmt.Fprintln(stderr, "Records Appendix A commands, one JSON object per line. Refused lines are listed on")
		fmt.Fprintln(stderr, "stderr with their line numbers; the exit code is 1 if any line was refused.")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one FILE (or -), got %d", len(pos))
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
		opts.Progress = func(s ledger.ImportStats, d time.Duration) {
			fmt.Fprintf(stderr, "arkeep import: %d lines, %d recorded, %d already recorded, %d refused (%.0f commands/s)\n",
				s.Lines, s.Recorded, s.Duplicates, s.Refused, float64(s.Recorded+s.Duplicates)/d.Seconds())
		}
	}
	stats, refusals, err := svc.Import(ctx, in, opts)
	for _, r := range refusals {
		fmt.Fprintf(stderr, "line %d: %v\n", r.Line, r.Err)
	}
	fmt.Fprintf(stdout, "lines %d, commands %d, recorded %d, already recorded %d, refused %d, events %d\n",
		stats.Lines, stats.Commands, stats.Recorded, stats.Duplicates, stats.Refused, stats.Events)
	if err != nil {
		return err
	}
	if stats.Refused > 0 {
		return exitError{1}
	}
	return nil
}
