// Command ingest measures batch import against the raw limit of the same store, in one
// run: events/s of arkeep's import of a generated ledger, and the async publish rate of
// same-sized messages to a fresh embedded JetStream with the same configuration.
//
//	go run ./bench/ingest -commands 100000
//
// The import runs with the garbage collector set as arkeep import sets it (package
// batchgc); GOGC=100 in the environment measures it with Go's default instead.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/arkeep/arkeep/bench/baseline"
	"github.com/arkeep/arkeep/bench/ledgergen"
	"github.com/arkeep/arkeep/internal/batchgc"
	"github.com/arkeep/arkeep/ledger"
)

func main() {
	n := flag.Int("commands", 100000, "commands in the generated ledger")
	workers := flag.Int("workers", ledger.DefaultWorkers, "import: accounts in flight at once")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the import to this file")
	flag.Parse()
	if err := run(*n, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

// cpuProfile is where run writes a CPU profile of the import, if set.
var cpuProfile string

func run(n int, workers int) error {
	ctx := context.Background()
	ledgerBytes := ledgergen.Bytes(n, ledgergen.Customers(n), 1)

	dir, err := os.MkdirTemp("", "arkeep-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// arkeep import.
	srv, err := baseline.Start(ctx, filepath.Join(dir, "import"))
	if err != nil {
		return err
	}
	st, stop := srv.Store, srv.Stop
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctx); err != nil {
		return err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	restoreGC := batchgc.Set()
	t0 := time.Now()
	stats, refusals, err := svc.Import(ctx, bytes.NewReader(ledgerBytes), ledger.ImportOptions{Workers: workers})
	importDur := time.Since(t0)
	restoreGC()
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	if len(refusals) > 0 {
		return fmt.Errorf("generated ledger had %d refused lines, first: line %d: %v", len(refusals), refusals[0].Line, refusals[0].Err)
	}
	info, err := st.StreamInfo(ctx)
	if err != nil {
		return err
	}
	msgs, bytesStored := info.State.Msgs, info.State.Bytes
	stop()
	avg := int(bytesStored / max(msgs, 1))

	// Raw async publish of the same number of same-sized messages.
	raw2, err := baseline.Start(ctx, filepath.Join(dir, "raw"))
	if err != nil {
		return err
	}
	defer raw2.Stop()
	rawDur, err := baseline.PublishAsync(ctx, raw2.Store.JetStream(), avg, int(msgs))
	if err != nil {
		return err
	}

	evs := float64(stats.Events) / importDur.Seconds()
	raw := float64(msgs) / rawDur.Seconds()
	fmt.Println("fsync every write: true (both servers)")
	fmt.Printf("arkeep import : %d commands, %d events, %d stream messages (avg %d B) in %.2fs = %.0f events/s\n",
		stats.Commands, stats.Events, msgs, avg, importDur.Seconds(), evs)
	fmt.Printf("raw async pub : %d messages of %d B in %.2fs = %.0f msgs/s\n", msgs, avg, rawDur.Seconds(), raw)
	fmt.Printf("ratio import events/s ÷ raw msgs/s = %.2f\n", evs/raw)
	return nil
}
