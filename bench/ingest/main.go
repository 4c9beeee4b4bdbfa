// Command ingest measures batch import against the raw limit of the same store, in one
// run: events/s of arkeep's import of a generated ledger, and the async publish rate of
// same-sized messages to a fresh embedded JetStream with the same configuration.
//
//	go run ./bench/ingest -commands 100000
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/arkeep/arkeep/bench/ledgergen"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/ledger"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	n := flag.Int("commands", 100000, "commands in the generated ledger")
	sync := flag.Bool("sync", true, "SyncAlways on the embedded server (fsync every write)")
	workers := flag.Int("workers", 64, "import: accounts in flight at once")
	flag.Parse()
	if err := run(*n, *sync, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

func run(n int, sync bool, workers int) error {
	ctx := context.Background()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	ledgergen.Generate(w, n, max(10, n/100), 1)
	w.Flush()
	ledgerBytes := buf.Bytes()

	dir, err := os.MkdirTemp("", "arkeep-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// arkeep import.
	st, _, stop, err := open(ctx, filepath.Join(dir, "import"), sync)
	if err != nil {
		return err
	}
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	stats, refusals, err := svc.Import(ctx, bytes.NewReader(ledgerBytes), ledger.ImportOptions{Workers: workers})
	importDur := time.Since(t0)
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
	_, js, stop2, err := open(ctx, filepath.Join(dir, "raw"), sync)
	if err != nil {
		return err
	}
	defer stop2()
	rawDur, err := publishRaw(ctx, js, avg, int(msgs))
	if err != nil {
		return err
	}

	evs := float64(stats.Events) / importDur.Seconds()
	raw := float64(msgs) / rawDur.Seconds()
	fmt.Printf("fsync every write: %v\n", sync)
	fmt.Printf("arkeep import : %d commands, %d events, %d stream messages (avg %d B) in %.2fs = %.0f events/s\n",
		stats.Commands, stats.Events, msgs, avg, importDur.Seconds(), evs)
	fmt.Printf("raw async pub : %d messages of %d B in %.2fs = %.0f msgs/s\n", msgs, avg, rawDur.Seconds(), raw)
	fmt.Printf("ratio import events/s ÷ raw msgs/s = %.2f\n", evs/raw)
	return nil
}

// publishRaw is the baseline: n async publishes of size bytes to the AR stream, with
// at most 4000 acknowledgements outstanding, the client's own limit.
func publishRaw(ctx context.Context, js jetstream.JetStream, size, n int) (time.Duration, error) {
	payload := bytes.Repeat([]byte("x"), size)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if _, err := js.PublishAsync(fmt.Sprintf("ar.acct.raw%d", i%1000), payload); err != nil {
			return 0, err
		}
		if js.PublishAsyncPending() >= 4000 {
			select {
			case <-js.PublishAsyncComplete():
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(5 * time.Minute):
		return 0, fmt.Errorf("raw publish: acknowledgements did not arrive")
	}
	return time.Since(t0), nil
}

func open(ctx context.Context, dir string, sync bool) (*eventstore.Store, jetstream.JetStream, func(), error) {
	srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: dir, SyncAlways: sync})
	if err != nil {
		return nil, nil, nil, err
	}
	nc, err := eventstore.ConnectEmbedded(srv)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		return nil, nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, nil, nil, err
	}
	return st, js, func() { nc.Close(); srv.Shutdown(); srv.WaitForShutdown() }, nil
}
