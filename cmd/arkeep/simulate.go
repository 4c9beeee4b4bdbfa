package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/projections"
)

// runSimulate replays the recorded history under a candidate dunning policy and prints,
// day by day, the steps it would add or drop against the current policy: a what-if
// before switching policies. Nothing is recorded.
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	candidate := fs.String("policy", "", "candidate dunning policy file (JSON); required")
	current := fs.String("current", "", "current policy file; default: the built-in default policy")
	from := fs.String("from", "", "first day YYYY-MM-DD; required")
	to := fs.String("to", "", "last day YYYY-MM-DD; required")
	format := fs.String("format", "table", "table or json (one JSON object per changed step)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: arkeep simulate --policy FILE --from D1 --to D2 [flags]")
		fmt.Fprintln(stderr, "Prints, per day, the steps the candidate policy adds (+) or drops (-) against the current one.")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *candidate == "" || *from == "" || *to == "" {
		return usagef("--policy, --from and --to are required")
	}
	cand, err := loadPolicy("policy", *candidate)
	if err != nil {
		return err
	}
	cur, err := loadPolicy("current", *current)
	if err != nil {
		return err
	}
	d1, err := domain.ParseDate(*from)
	if err != nil {
		return usagef("--from: %v", err)
	}
	d2, err := domain.ParseDate(*to)
	if err != nil {
		return usagef("--to: %v", err)
	}
	if d2 < d1 || d2-d1 > 3660 {
		return usagef("--to must be on or after --from, at most 10 years later")
	}
	st, closeStore, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	books, _, err := projections.Fold(ctx, st, time.Time{})
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	added, dropped := 0, 0
	for d := d1; d <= d2; d++ {
		was := stepsOn(books, cur, d)
		will := stepsOn(books, cand, d)
		for id, s := range will {
			if _, ok := was[id]; !ok {
				added++
				printChange(w, *format, "+", s)
			}
		}
		for id, s := range was {
			if _, ok := will[id]; !ok {
				dropped++
				printChange(w, *format, "-", s)
			}
		}
	}
	fmt.Fprintf(stderr, "arkeep simulate: %s..%s: %d steps added, %d dropped (candidate %s against %s)\n",
		d1, d2, added, dropped, cand.Version(), cur.Version())
	return nil
}

// stepsOn are the steps dated d under a policy, as of d, by step id.
func stepsOn(b *domain.Books, p *domain.Policy, d domain.Date) map[string]domain.Step {
	out := map[string]domain.Step{}
	for _, a := range b.Accounts() {
		for _, s := range p.AccountSteps(a, d, d, d) {
			out[s.ID()] = s
		}
	}
	return out
}

func printChange(w io.Writer, format, sign string, s domain.Step) {
	if format == "json" {
		line, _ := json.Marshal(map[string]string{"change": sign, "date": s.Date.String(), "invoice": s.Invoice,
			"customer": s.Customer, "action": s.Action.String(), "why": s.Why})
		fmt.Fprintln(w, string(line))
		return
	}
	fmt.Fprintf(w, "%s %s %-12s %-10s %-20s %s\n", s.Date, sign, s.Invoice, s.Customer, s.Action, s.Why)
}
