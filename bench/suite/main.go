// Command suite measures arkeep against the raw limits of its parts, in one run on one
// machine, and prints each figure next to its baseline and the ratio:
//
//	P1 batch ingest events/s            vs raw JetStream async publish (same server config)
//	P2 API command latency p50/p99      vs raw synchronous JetStream publish
//	P3 projection rebuild from zero     vs raw ordered-consumer replay of the same stream
//	P4 ageing + bad-debt report         vs the same report as SQL in PostgreSQL (with -psql);
//	                                    both from one scan, and a diagnostic row of the two apart
//	P5 projection heap per open invoice (goal ≤ 400 bytes)
//	P6 ingest events/s with fsync on    (goal ≥ 50k/s)
//
// for each size (10k, 100k, 1M), so superlinear costs show. Run: bench/run.sh (it
// starts PostgreSQL) or go run ./bench/suite -sizes 10000,100000.
//
// The imports of P1 and P6 run with the garbage collector set as arkeep import sets
// it (package batchgc: twice Go's default target, unless GOGC is set); a diagnostic
// row gives the same import with the collector as Go leaves it.
//
// P1 and P3 also get a row of CPU per event: user and system time of the whole
// process (the embedded server included) over the import, the raw publish, the folds
// and the replays. The rates move by a third between runs on a shared machine with
// its fsync latency; the CPU spent per event moves far less, so it is what tells one
// version of the code from another. Those rows have no goal.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/arkeep/arkeep/api"
	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/bench/baseline"
	"github.com/arkeep/arkeep/bench/ledgergen"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/internal/batchgc"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
	"github.com/shopspring/decimal"
)

func main() {
	sizes := flag.String("sizes", "10000,100000", "ledger sizes (commands for P1–P3, open invoices for P4–P5), comma-separated; 1000000 for the full run")
	psql := flag.String("psql", "", "psql command line for P4's baseline, e.g. \"psql -h /tmp -p 54329 -U postgres\"; empty: skip the SQL baseline")
	latencyN := flag.Int("latency-n", 1000, "P2: commands sent one at a time")
	reportOnly := flag.Bool("report-only", false, "measure only P4 and P5 (no JetStream), e.g. while profiling the report")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.StringVar(&memProfile, "memprofile", "", "write a heap profile of the P5 books (smallest size) to this file")
	flag.Parse()
	if memProfile != "" {
		runtime.MemProfileRate = 1 // every allocation, so the profile adds up to the heap
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "suite:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "suite:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 100 {
			fmt.Fprintf(os.Stderr, "suite: bad size %q\n", s)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	fmt.Printf("arkeep bench suite — %s, %d CPUs, fsync on every write\n\n", runtime.Version(), runtime.NumCPU())
	fmt.Println("| size | figure | arkeep | baseline | ratio | goal |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, n := range ns {
		if err := runSize(n, *psql, *latencyN, *reportOnly); err != nil {
			fmt.Fprintln(os.Stderr, "suite:", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
	}
}

// memProfile is where reportAndMemory writes the heap profile of its books, once.
var memProfile string

func row(n int, figure, arkeep, baseline, ratio, goal string) {
	fmt.Printf("| %d | %s | %s | %s | %s | %s |\n", n, figure, arkeep, baseline, ratio, goal)
}

func runSize(n int, psql string, latencyN int, reportOnly bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "arkeep-suite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// P4/P5 first, while nothing else is on the heap: n open invoices folded in memory.
	if err := reportAndMemory(n, psql, dir); err != nil {
		return err
	}
	if reportOnly {
		return nil
	}

	// P1/P6: import a generated ledger of n commands.
	ledgerBytes := ledgergen.Bytes(n, ledgergen.Customers(n), 1)
	env, err := baseline.Start(ctx, filepath.Join(dir, "a"))
	if err != nil {
		return err
	}
	defer env.Stop()
	svc := ledger.New(env.Store, time.Now)
	if err := svc.Load(ctx); err != nil {
		return err
	}
	// With the garbage collector set as arkeep import sets it (package batchgc).
	restoreGC := batchgc.Set()
	stats, importDur, importCPU, err := importLedger(ctx, svc, ledgerBytes)
	restoreGC()
	if err != nil {
		return err
	}
	// The same import into a store of its own with Go's default collector, for the
	// diagnostic row: what the batch setting is worth. It runs second, with the
	// caches the first one warmed, so it is not the one put at a disadvantage.
	defaultEnv, err := baseline.Start(ctx, filepath.Join(dir, "default-gc"))
	if err != nil {
		return err
	}
	defaultSvc := ledger.New(defaultEnv.Store, time.Now)
	err = defaultSvc.Load(ctx)
	var defaultDur time.Duration
	if err == nil {
		_, defaultDur, _, err = importLedger(ctx, defaultSvc, ledgerBytes)
	}
	defaultEnv.Stop()
	if err != nil {
		return err
	}
	info, err := env.Store.StreamInfo(ctx)
	if err != nil {
		return err
	}
	msgs := info.State.Msgs
	avg := int(info.State.Bytes / max(msgs, 1))
	rawEnv, err := baseline.Start(ctx, filepath.Join(dir, "raw"))
	if err != nil {
		return err
	}
	var rawDur time.Duration // as PublishAsync times it
	_, rawCPU, err := timed(func() (err error) {
		rawDur, err = baseline.PublishAsync(ctx, rawEnv.Store.JetStream(), avg, int(msgs))
		return err
	})
	rawEnv.Stop()
	if err != nil {
		return err
	}
	evs := float64(stats.Events) / importDur.Seconds()
	raw := float64(msgs) / rawDur.Seconds()
	row(n, "P1 ingest events/s", f0(evs), f0(raw)+" msgs/s", f2(evs/raw), "≥ 1.0")
	row(n, "P6 ingest events/s (fsync)", f0(evs), "50000", f2(evs/50000), "≥ 50k/s")
	defaultEvs := float64(stats.Events) / defaultDur.Seconds()
	row(n, "P6 ingest events/s, GC not set for batch", f0(defaultEvs), "50000", f2(defaultEvs/50000), cpuNote)
	row(n, "P1 CPU per event", perEvent(importCPU, stats.Events), perEvent(rawCPU, int(msgs))+" per msg", "–", cpuNote)

	// P3: rebuild the projection from zero vs a raw replay of the same stream, the best
	// of three rounds each, alternated: the raw replay alone moved threefold between
	// runs (with the server's block cache warm or not), and one round of each made the
	// ratio a coin toss.
	var replayDur, foldDur, replayCPU, foldCPU time.Duration
	for range 3 {
		wall, cpu, err := timed(func() error {
			_, err := env.Store.Replay(ctx, 0, func(eventstore.Msg) error { return nil })
			return err
		})
		if err != nil {
			return err
		}
		replayDur, replayCPU = best(replayDur, wall), replayCPU+cpu
		wall, cpu, err = timed(func() error {
			_, _, err := projections.Fold(ctx, env.Store, time.Time{})
			return err
		})
		if err != nil {
			return err
		}
		foldDur, foldCPU = best(foldDur, wall), foldCPU+cpu
	}
	// The baseline is given in both units: a commit carries several events, so the raw
	// replay moves fewer, larger messages than there are events.
	row(n, "P3 rebuild events/s", f0(float64(stats.Events)/foldDur.Seconds()),
		fmt.Sprintf("%s events/s (%s msgs/s) replayed", f0(float64(stats.Events)/replayDur.Seconds()), f0(float64(msgs)/replayDur.Seconds())),
		f2(replayDur.Seconds()/foldDur.Seconds()), "≥ 0.5")
	row(n, "P3 CPU per event", perEvent(foldCPU, 3*stats.Events), perEvent(replayCPU, 3*stats.Events)+" replayed", f2(float64(foldCPU)/float64(replayCPU)), cpuNote)

	// P2: single-command latency through the API vs a raw synchronous publish.
	return latency(ctx, n, env, svc, latencyN)
}

// importLedger imports the generated ledger through svc and times it; a refused line
// is an error (the generator makes none).
func importLedger(ctx context.Context, svc *ledger.Service, ledgerBytes []byte) (ledger.ImportStats, time.Duration, time.Duration, error) {
	var stats ledger.ImportStats
	var refusals []ledger.Refusal
	wall, cpu, err := timed(func() (err error) {
		stats, refusals, err = svc.Import(ctx, bytes.NewReader(ledgerBytes), ledger.ImportOptions{})
		return err
	})
	if err == nil && len(refusals) > 0 {
		err = fmt.Errorf("line %d refused: %v", refusals[0].Line, refusals[0].Err)
	}
	if err != nil {
		return stats, 0, 0, fmt.Errorf("import: %w (%d refused)", err, len(refusals))
	}
	return stats, wall, cpu, nil
}

func latency(ctx context.Context, n int, env *baseline.Server, svc *ledger.Service, count int) error {
	live, err := projections.StartLive(ctx, env.Store)
	if err != nil {
		return err
	}
	tokens, err := api.NewTokens(map[string]api.Role{"bench-token-0123456789": api.RoleAdmin})
	if err != nil {
		return err
	}
	s := &api.Server{Service: svc, Live: live, Store: env.Store, Policy: domain.DefaultPolicy(),
		Today: func() domain.Date { return domain.MustDate("2027-01-01") }, Tokens: tokens}
	hs := httptest.NewServer(s.Handler(nil))
	defer hs.Close()
	var lat []time.Duration
	size := 0
	for i := 0; i < count; i++ {
		body := fmt.Sprintf(`{"cmd":"RecordPayment","id":"lat-%d-%d","on":"2026-06-01","payment":"PAY-LAT-%d-%d","customer":"C%05d","amount":"1.00","currency":"CNY"}`,
			n, i, n, i, i%ledgergen.Customers(n))
		size = len(body)
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/commands", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer bench-token-0123456789")
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		// Read to the end, so the client keeps its connection as a real one would
		// (an unread body makes the next request dial a new one).
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(t0))
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("API answered %s", resp.Status)
		}
	}
	// The service alone, without HTTP and without waiting for the projection: a
	// command that creates an id (a payment) writes a claim and then its commit, both
	// fsynced; one that creates none (a collection action) writes its commit only.
	service := func(line func(i int) string) ([]time.Duration, error) {
		var d []time.Duration
		for i := 0; i < count; i++ {
			cmd, hash, err := batch.ParseCommand([]byte(line(i)))
			if err != nil {
				return nil, err
			}
			t0 := time.Now()
			res, err := svc.Execute(ctx, cmd, hash)
			d = append(d, time.Since(t0))
			if err != nil || !res.Recorded {
				return nil, fmt.Errorf("service latency: %v (recorded %v)", err, res.Recorded)
			}
		}
		return d, nil
	}
	withClaim, err := service(func(i int) string {
		return fmt.Sprintf(`{"cmd":"RecordPayment","id":"svc-%d-%d","on":"2026-06-01","payment":"PAY-SVC-%d-%d","customer":"C%05d","amount":"1.00","currency":"CNY"}`,
			n, i, n, i, i%ledgergen.Customers(n))
	})
	if err != nil {
		return err
	}
	commitOnly, err := service(func(i int) string {
		return fmt.Sprintf(`{"cmd":"RecordAction","id":"act-%d-%d","on":"2026-06-01","customer":"C%05d","action":"call","outcome":"reached"}`,
			n, i, i%ledgergen.Customers(n))
	})
	if err != nil {
		return err
	}
	var rawLat []time.Duration
	payload := bytes.Repeat([]byte("x"), size*2) // a commit is about twice the command
	for i := 0; i < count; i++ {
		t0 := time.Now()
		if _, err := env.Store.JetStream().Publish(ctx, fmt.Sprintf("ar.acct.lat%d", i%100), payload); err != nil {
			return err
		}
		rawLat = append(rawLat, time.Since(t0))
	}
	p50, p99 := pct(lat, 50), pct(lat, 99)
	r50, r99 := pct(rawLat, 50), pct(rawLat, 99)
	row(n, "P2 API latency p50", p50.String(), r50.String()+" sync publish", f2(float64(p50)/float64(r50))+"×", "≤ 2×")
	row(n, "P2 API latency p99", p99.String(), r99.String()+" sync publish", f2(float64(p99)/float64(r99))+"×", "≤ 2×")
	for _, d := range []struct {
		figure string
		lat    []time.Duration
	}{{"P2 service alone p50, new id (claim + commit)", withClaim}, {"P2 service alone p50, no new id (commit)", commitOnly}} {
		p := pct(d.lat, 50)
		row(n, d.figure, p.String(), r50.String()+" sync publish", f2(float64(p)/float64(r50))+"×", cpuNote)
	}
	return nil
}

// cpuNote is the goal column of the diagnostic rows (CPU per event, the two reports
// apart, the service's latency without HTTP), which have no goal of their own (see the
// package comment).
const cpuNote = "(diagnostic)"

// timed runs f and returns how long it took and the CPU the process spent meanwhile.
func timed(f func() error) (wall, cpu time.Duration, err error) {
	t0, c0 := time.Now(), cpuTime()
	err = f()
	return time.Since(t0), cpuTime() - c0, err
}

// cpuTime is the CPU, user and system, this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perEvent is d spread over n, in microseconds.
func perEvent(d time.Duration, n int) string {
	return f2(float64(d.Microseconds())/float64(max(n, 1))) + " µs"
}

// best is the shorter of two durations, where zero is none yet.
func best(sofar, d time.Duration) time.Duration {
	if sofar == 0 || d < sofar {
		return d
	}
	return sofar
}

func pct(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, len(s)*p/100)]
}

// openBooks folds n open invoices (100 per customer, CNY, due dates spread over two
// years, a tenth partly paid) straight into books, as the projection would.
func openBooks(n int) *domain.Books {
	b := domain.NewBooks()
	cny := domain.MustCurrency("CNY")
	start := domain.MustDate("2025-01-01")
	customers := max(1, n/100)
	for c := 0; c < customers; c++ {
		id := fmt.Sprintf("C%06d", c)
		b.ApplyCommand(id, "reg", "h", []domain.Event{domain.CustomerRegistered{On: start, Customer: id, Name: id, Grade: 1 + c%5, TermsDays: 30, Collector: "col"}})
	}
	for i := 0; i < n; i++ {
		cust := fmt.Sprintf("C%06d", i%customers)
		on := start.AddDays(i % 700)
		inv := fmt.Sprintf("INV%08d", i)
		amount := decimal.New(int64(1000+i%500000), -2)
		b.ApplyCommand(cust, "i"+inv, hash(i), []domain.Event{domain.InvoiceIssued{On: on, Invoice: inv, Amount: amount, Currency: cny, Due: on.AddDays(30)}})
		if i%10 == 0 {
			b.ApplyCommand(cust, "p"+inv, hash(-i), []domain.Event{domain.PaymentRecorded{On: on.AddDays(20), Payment: "P" + inv, Amount: decimal.New(500, -2), Currency: cny,
				Allocations: []domain.Allocation{{Invoice: inv, Amount: decimal.New(500, -2), Explicit: true}}, Unapplied: decimal.Zero}})
		}
	}
	return b
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// heapPerInvoice is what the heap gives back when books of n open invoices are
// dropped, read right after they are built. Reading the heap before building them
// instead counted anything of the previous size that died meanwhile as a saving (one
// run gave 183 B at 100k).
func heapPerInvoice(n int) (float64, error) {
	var with, without runtime.MemStats
	books := openBooks(n)
	runtime.GC()
	runtime.ReadMemStats(&with)
	if memProfile != "" {
		if err := writeHeapProfile(memProfile); err != nil {
			return 0, err
		}
		memProfile = ""
	}
	runtime.KeepAlive(books) // the books die here
	runtime.GC()
	runtime.ReadMemStats(&without)
	return float64(int64(with.HeapAlloc)-int64(without.HeapAlloc)) / float64(n), nil
}

// hash is a content hash of the size the fold passes (hex sha256).
func hash(i int) string { return fmt.Sprintf("%064x", i) }

func reportAndMemory(n int, psql, dir string) error {
	perInvoice, err := heapPerInvoice(n)
	if err != nil {
		return err
	}
	books := openBooks(n)
	row(n, "P5 heap per open invoice", f0(perInvoice)+" B", "400 B", f2(perInvoice/400), "≤ 400 B")

	asOf := domain.MustDate("2026-12-31")
	runs := max(15, min(30, 3_000_000/n))
	// Both reports from one scan (projections.AgeingAndBadDebt), as the metrics and the
	// daily report files make them; alternated with the two made apart (Ageing, then
	// BadDebt, as the API and the pages make one of them), which get a row of their own.
	// Each goes first every other round, so that neither always meets the other's garbage.
	var times, apart []time.Duration
	for i := 0; i < runs; i++ {
		both := func() {
			t0 := time.Now()
			projections.AgeingAndBadDebt(books, asOf, projections.BasisDue, projections.DefaultBuckets())
			times = append(times, time.Since(t0))
		}
		oneByOne := func() {
			t0 := time.Now()
			projections.Ageing(books, asOf, projections.BasisDue, projections.DefaultBuckets())
			projections.BadDebt(books, asOf)
			apart = append(apart, time.Since(t0))
		}
		if i%2 == 0 {
			both()
			oneByOne()
		} else {
			oneByOne()
			both()
		}
	}
	p50, p99 := pct(times, 50), pct(times, 99)
	apartRow := func(sql time.Duration) {
		base, ratio := "", "–"
		if sql > 0 {
			base, ratio = sql.String()+" PostgreSQL", f0(float64(sql)/float64(pct(apart, 50)))+"× faster"
		}
		row(n, "P4 the two reports apart p50 / p99", pct(apart, 50).String()+" / "+pct(apart, 99).String(), base, ratio, cpuNote)
	}
	if psql == "" {
		row(n, "P4 ageing+baddebt p50", p50.String(), "(no -psql)", "–", "≥ 100× faster")
		row(n, "P4 ageing+baddebt p99", p99.String(), "", "", "")
		apartRow(0)
		runtime.KeepAlive(books)
		return nil
	}
	sqlDur, err := sqlBaseline(psql, n, dir)
	if err != nil {
		return err
	}
	row(n, "P4 ageing+baddebt p50", p50.String(), sqlDur.String()+" PostgreSQL", f0(float64(sqlDur)/float64(p50))+"× faster", "≥ 100× faster")
	row(n, "P4 ageing+baddebt p99", p99.String(), "", "", "")
	apartRow(sqlDur)
	runtime.KeepAlive(books)
	return nil
}

// sqlBaseline loads the same invoices and payments into a payment-ledger table and
// times the ageing and bad-debt queries the way an ERP computes them: sums over the
// ledger grouped by invoice, bucketed by days past due.
func sqlBaseline(psql string, n int, dir string) (time.Duration, error) {
	csv := filepath.Join(dir, "ledger.csv")
	f, err := os.Create(csv)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(f)
	start := domain.MustDate("2025-01-01")
	customers := max(1, n/100)
	for i := 0; i < n; i++ {
		on := start.AddDays(i % 700)
		fmt.Fprintf(bw, "INV%08d,C%06d,CNY,%s,%s,%d.%02d\n", i, i%customers, on, on.AddDays(30), (1000+i%500000)/100, (1000+i%500000)%100)
		if i%10 == 0 {
			fmt.Fprintf(bw, "INV%08d,C%06d,CNY,%s,%s,-5.00\n", i, i%customers, on.AddDays(20), on.AddDays(30))
		}
	}
	bw.Flush()
	f.Close()
	os.Chmod(dir, 0o755)
	os.Chmod(csv, 0o644)
	setup := fmt.Sprintf(`DROP TABLE IF EXISTS ar_ledger;
CREATE TABLE ar_ledger (invoice text, customer text, currency text, on_date date, due date, amount numeric(18,2));
\copy ar_ledger FROM '%s' WITH (FORMAT csv)
CREATE INDEX ON ar_ledger (invoice); ANALYZE ar_ledger;`, csv)
	if out, err := runPsql(psql, setup); err != nil {
		return 0, fmt.Errorf("psql setup: %v: %s", err, out)
	}
	query := `WITH inv AS (
  SELECT invoice, customer, currency, min(due) AS due, sum(amount) AS outstanding
  FROM ar_ledger WHERE on_date <= DATE '2026-12-31' GROUP BY invoice, customer, currency)
SELECT currency, customer,
  sum(CASE WHEN DATE '2026-12-31' - due <= 0 THEN outstanding ELSE 0 END),
  sum(CASE WHEN DATE '2026-12-31' - due BETWEEN 1 AND 30 THEN outstanding ELSE 0 END),
  sum(CASE WHEN DATE '2026-12-31' - due BETWEEN 31 AND 60 THEN outstanding ELSE 0 END),
  sum(CASE WHEN DATE '2026-12-31' - due BETWEEN 61 AND 90 THEN outstanding ELSE 0 END),
  sum(CASE WHEN DATE '2026-12-31' - due BETWEEN 91 AND 180 THEN outstanding ELSE 0 END),
  sum(CASE WHEN DATE '2026-12-31' - due > 180 THEN outstanding ELSE 0 END)
FROM inv WHERE outstanding > 0 GROUP BY currency, customer ORDER BY currency, customer;
WITH inv AS (
  SELECT invoice, customer, currency, min(due) AS due, sum(amount) AS outstanding
  FROM ar_ledger WHERE on_date <= DATE '2026-12-31' GROUP BY invoice, customer, currency)
SELECT currency, invoice, customer, due, outstanding FROM inv
WHERE outstanding > 0 AND DATE '2026-12-31' > due + INTERVAL '6 months' ORDER BY currency, invoice;`
	var fastest time.Duration
	for range 3 {
		t0 := time.Now()
		if out, err := runPsql(psql, query); err != nil {
			return 0, fmt.Errorf("psql query: %v: %s", err, out)
		}
		fastest = best(fastest, time.Since(t0))
	}
	return fastest, nil
}

func runPsql(psql, script string) ([]byte, error) {
	args := strings.Fields(psql)
	cmd := exec.Command(args[0], append(args[1:], "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null")...)
	cmd.Stdin = strings.NewReader(script)
	return cmd.CombinedOutput()
}

func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
