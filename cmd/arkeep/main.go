// Command arkeep is the receivables and collections engine: one binary with
// subcommands for the batch interface (import, report), the running service (serve)
// and tools for operators.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/arkeep/arkeep/internal/batchgc"
	"github.com/arkeep/arkeep/projections"
)

var usage = `arkeep — event-sourced receivables and collections engine

Usage:
  arkeep import [--data DIR | --nats URL] FILE.jsonl|-     record batch commands
  arkeep import (--map MAPPING.yaml | --preset NAME) FILE.csv
                                                         record a CSV export, translated by the mapping
  arkeep report NAME --as-of YYYY-MM-DD [--format json|csv|table] [flags]
                                                         print a report (` + strings.Join(projections.ReportNames, ", ") + `)
  arkeep serve [--data DIR | --nats URL] [--listen ADDR]  run the engine: HTTP API, metrics, clock, reminders
  arkeep simulate --policy FILE --from D1 --to D2         what-if: steps a candidate dunning policy adds or drops
  arkeep events [--data DIR | --nats URL]                 print every recorded commit as JSON Lines

Run 'arkeep COMMAND --help' for the flags of a command.
`

// exitUsage is the exit code for bad invocations; refused input lines exit 1.
const exitUsage = 2

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && batchJobs[os.Args[1]] {
		batchgc.Set() // for the rest of the process, which ends with the job
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// batchJobs are the commands that run once and end: an import, and those that fold
// the whole stream. They get the garbage collector's batch setting (package
// batchgc); serve keeps Go's. It is set in main, not in run, which the tests call
// side by side in one process.
var batchJobs = map[string]bool{"import": true, "report": true, "simulate": true}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "import":
		err = runImport(ctx, args[1:], stdin, stdout, stderr)
	case "report":
		err = runReport(ctx, args[1:], stdout, stderr)
	case "events":
		err = runEvents(ctx, args[1:], stdout, stderr)
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "simulate":
		err = runSimulate(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "arkeep: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "arkeep %s: %v\n", args[0], err)
		return exitUsage
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(stderr, "arkeep %s: %v\n", args[0], err)
		return 1
	}
}

// usageError is a bad invocation (exit 2).
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitError carries an exit code whose message was already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// parseInterleaved parses flags that may come before or after the positional
// arguments ("arkeep import FILE --data DIR" and "arkeep import --data DIR FILE").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			// The flag package has printed the problem and the usage already.
			return nil, exitError{exitUsage}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
