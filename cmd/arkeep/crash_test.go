package main

// Crash testing of `arkeep import`: the real binary is killed with SIGKILL at random
// points of an import into the embedded store (fsync on, as shipped), the import is run
// again to completion, and the books must be exactly those of an import that was never
// interrupted: the same reports, byte for byte, and every command recorded once.
//
//	go test -run TestCrash -v ./cmd/arkeep                        # 20 kills
//	ARKEEP_CRASH_RUNS=100 go test -run TestCrash -v ./cmd/arkeep  # the long run
//	ARKEEP_CRASH_SEED=7 ...                                       # other kill points

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/arkeep/arkeep/bench/ledgergen"
	"github.com/arkeep/arkeep/eventstore"
)

const (
	crashLedgerSeed  = 20261123 // the generated ledger
	crashKillSeed    = 1        // the kill points (ARKEEP_CRASH_SEED overrides)
	crashCommands    = 3000     // commands from ledgergen (imports in about a second with fsync)
	crashCustomers   = 100
	crashDefaultRuns = 20 // ARKEEP_CRASH_RUNS overrides
)

// crashReports are the reports compared after every crash: name, as-of date.
var crashReports = [][2]string{
	{"ageing", "2026-03-31"}, {"baddebt", "2026-03-31"}, {"fund", "2026-03-31"},
	{"ageing", "2026-09-30"}, {"baddebt", "2026-09-30"}, {"fund", "2026-09-30"},
}

var (
	crashBinOnce sync.Once
	crashBinDir  string
	crashBin     string
	crashBinErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if crashBinDir != "" {
		os.RemoveAll(crashBinDir)
	}
	os.Exit(code)
}

// arkeepBinary builds the arkeep binary once per test process (without -race, even
// when the tests run with it: the subprocess is what is crashed, not what is checked).
func arkeepBinary(t *testing.T) string {
	t.Helper()
	crashBinOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		if crashBinDir, crashBinErr = os.MkdirTemp("", "arkeep-crash-bin-"); crashBinErr != nil {
			return
		}
		crashBin = filepath.Join(crashBinDir, "arkeep")
		cmd := exec.Command(goTool, "build", "-o", crashBin, ".") // the test runs in cmd/arkeep
		if out, err := cmd.CombinedOutput(); err != nil {
			crashBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
		// Write the build out now, so that its writeback does not slow the fsyncs of
		// the imports timed next.
		syscall.Sync()
	})
	if crashBinErr != nil {
		t.Fatal(crashBinErr)
	}
	return crashBin
}

// crashLedger writes the ledger: ledgergen's commands (registrations, invoices,
// payments, credit notes) plus price-protection agreements after the registrations
// and, at the end, two violations and a quarter close, so that the fund report is not
// empty and the import ends with process steps (rebates, a forfeit, a bounty) that the
// close writes to other accounts. It returns the file and the command ids.
func crashLedger(t *testing.T, dir string) (string, []string) {
	t.Helper()
	var gen bytes.Buffer
	w := bufio.NewWriter(&gen)
	ledgergen.Generate(w, crashCommands, crashCustomers, crashLedgerSeed)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(gen.String(), "\n"), "\n")
	lastReg := -1
	for i, l := range lines {
		if strings.Contains(l, `"cmd":"RegisterCustomer"`) {
			lastReg = i
		}
	}
	var out []string
	out = append(out, lines[:lastReg+1]...)
	for c := range 10 {
		out = append(out, fmt.Sprintf(`{"cmd":"AgreePriceProtection","id":"fund-%d","on":"2026-01-01","customer":"C%05d","fund_rate":"0.0%d"}`, c, c, 1+c%5))
	}
	out = append(out, lines[lastReg+1:]...)
	out = append(out,
		`{"cmd":"ReportViolation","id":"vio-1","on":"2026-02-02","violation":"VIO-1","customer":"C00001","reporter":"C00002","occurred_on":"2026-01-10"}`,
		`{"cmd":"ReportViolation","id":"vio-2","on":"2026-02-03","violation":"VIO-2","customer":"C00003","reporter_name":"Mystery Shopper","occurred_on":"2026-01-11"}`,
		`{"cmd":"ConfirmViolation","id":"vio-1-ok","on":"2026-02-05","violation":"VIO-1"}`,
		`{"cmd":"RejectViolation","id":"vio-2-no","on":"2026-02-06","violation":"VIO-2"}`,
		`{"cmd":"CloseQuarter","id":"close-2026Q1","on":"2026-04-01","quarter":"2026Q1"}`,
	)
	ids := make([]string, len(out))
	for i, l := range out {
		var head struct{ ID string }
		if err := json.Unmarshal([]byte(l), &head); err != nil || head.ID == "" {
			t.Fatalf("ledger line %d has no id: %v\n%s", i+1, err, l)
		}
		ids[i] = head.ID
	}
	p := filepath.Join(dir, "ledger.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, ids
}

// crashRun is one finished run of the binary.
type crashRun struct {
	stdout, stderr []byte
	err            error
	took           time.Duration
}

func (r crashRun) String() string {
	return fmt.Sprintf("%v\n--- stdout:\n%s--- stderr:\n%s", r.err, r.stdout, r.stderr)
}

func crashCommand(ctx context.Context, bin string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "ARKEEP_NATS=", "ARKEEP_DATA=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return cmd, &out, &errb
}

// runArkeep runs the binary to completion (bounded by a minute).
func runArkeep(bin string, args ...string) crashRun {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd, out, errb := crashCommand(ctx, bin, args...)
	start := time.Now()
	err := cmd.Run()
	return crashRun{stdout: out.Bytes(), stderr: errb.Bytes(), err: err, took: time.Since(start)}
}

// takeReports prints every crashReports report as JSON.
func takeReports(t *testing.T, bin, data string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, r := range crashReports {
		res := runArkeep(bin, "report", r[0], "--as-of", r[1], "--format", "json", "--data", data)
		if res.err != nil {
			t.Fatalf("report %s --as-of %s: %s", r[0], r[1], res)
		}
		out[r[0]+"@"+r[1]] = res.stdout
	}
	return out
}

// commitIDs counts, over `arkeep events`, how often each (subject, command id) pair
// was recorded: command ids are unique per account (subject ar.acct.<customer>, or
// ar.ledger for the ledger-wide scope). Claim-log messages (ar.claims) carry no commit.
func commitIDs(t *testing.T, bin, data string) map[[2]string]int {
	t.Helper()
	res := runArkeep(bin, "events", "--data", data)
	if res.err != nil {
		t.Fatalf("events: %s", res)
	}
	pairs := map[[2]string]int{}
	sc := bufio.NewScanner(bytes.NewReader(res.stdout))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var msg struct {
			Subject string          `json:"subject"`
			Data    json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			t.Fatalf("events line %q: %v", sc.Bytes(), err)
		}
		if !eventstore.IsCommitSubject(msg.Subject) {
			continue
		}
		var commit struct {
			Commands []struct {
				ID string `json:"id"`
			} `json:"commands"`
		}
		if err := json.Unmarshal(msg.Data, &commit); err != nil || len(commit.Commands) == 0 {
			t.Fatalf("events: %s is not a commit (%v): %.300s", msg.Subject, err, msg.Data)
		}
		for _, c := range commit.Commands {
			pairs[[2]string{msg.Subject, c.ID}]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return pairs
}

var importSummary = regexp.MustCompile(`commands (\d+), recorded (\d+), already recorded (\d+), refused (\d+)`)

// checkImport wants exit 0 and every command of the file recorded now or earlier;
// it returns how many were recorded earlier.
func checkImport(t *testing.T, what string, res crashRun, commands int) (earlier int, ok bool) {
	t.Helper()
	m := importSummary.FindSubmatch(res.stdout)
	if res.err != nil || m == nil {
		t.Errorf("%s: %s", what, res)
		return 0, false
	}
	n := func(i int) int { v, _ := strconv.Atoi(string(m[i])); return v }
	if n(1) != commands || n(2)+n(3) != commands || n(4) != 0 {
		t.Errorf("%s: %s\nwant all %d commands recorded now or earlier, none refused", what, res.stdout, commands)
		return n(3), false
	}
	return n(3), true
}

func envInt(t *testing.T, key string, def int) int {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a whole number", key, v)
	}
	return n
}

// streamBytes is the size of the message blocks of the embedded store in data.
func streamBytes(data string) int64 {
	blocks, _ := filepath.Glob(filepath.Join(data, "jetstream", "jetstream", "*", "streams", "*", "msgs", "*.blk"))
	var n int64
	for _, b := range blocks {
		if fi, err := os.Stat(b); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// firstDiff describes where two outputs first differ, by line.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, x, y)
		}
	}
	return "no difference"
}

// TestCrashImportKill9 kills `arkeep import` with SIGKILL at random points, imports
// the same file again, and wants the books of an uninterrupted import.
func TestCrashImportKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds and runs the binary dozens of times")
	}
	runs := envInt(t, "ARKEEP_CRASH_RUNS", crashDefaultRuns)
	seed := envInt(t, "ARKEEP_CRASH_SEED", crashKillSeed)
	bin := arkeepBinary(t)
	dir := t.TempDir()
	file, ids := crashLedger(t, dir)
	commands := len(ids)

	// The uninterrupted import: the expected books. Two more uninterrupted imports
	// must give the same reports (or comparing bytes would prove nothing), and the
	// median of the three durations spreads the kills.
	clean := filepath.Join(dir, "clean")
	var wantReports map[string][]byte
	var durations []time.Duration
	for i := range 3 {
		data := clean
		if i > 0 {
			data = filepath.Join(dir, fmt.Sprintf("clean-%d", i))
		}
		res := runArkeep(bin, "import", "--data", data, "--quiet", file)
		if earlier, ok := checkImport(t, "clean import", res, commands); !ok || earlier != 0 {
			t.Fatalf("clean import into a fresh directory: %d commands already recorded", earlier)
		}
		durations = append(durations, res.took)
		got := takeReports(t, bin, data)
		if i == 0 {
			wantReports = got
			continue
		}
		for k, want := range wantReports {
			if !bytes.Equal(got[k], want) {
				t.Fatalf("two uninterrupted imports give different %s reports: %s", k, firstDiff(got[k], want))
			}
		}
	}
	slices.Sort(durations)
	took := durations[1]
	wantPairs := commitIDs(t, bin, clean)
	// Every command of the file is in the clean books exactly once; the other pairs are
	// the quarter close's process steps.
	perID := map[string]int{}
	for p, n := range wantPairs {
		if n != 1 {
			t.Fatalf("clean import recorded %v %d times", p, n)
		}
		perID[p[1]]++
	}
	for _, id := range ids {
		if perID[id] != 1 {
			t.Fatalf("clean import recorded command %q %d times, want once", id, perID[id])
		}
	}
	t.Logf("clean import: %d commands (%d command ids in commits, with the process steps) in %v (median of %v)",
		commands, len(wantPairs), took.Round(time.Millisecond), durations)

	rng := rand.New(rand.NewPCG(uint64(seed), crashLedgerSeed))
	var (
		kills, finished, lost, duplicated, extra, differ, inFanOut int
		earlierCounts                                              []int
	)
	start := time.Now()
	span := took // the kills are spread over [0, span)
	cleanBytes := streamBytes(clean)
	if cleanBytes == 0 {
		t.Fatalf("no message blocks under %s", clean)
	}
	closeID := ids[len(ids)-1]
	for attempt := 0; kills < runs; attempt++ {
		if attempt == 3*runs {
			t.Errorf("only %d of %d imports were killed in %d attempts: the others finished first", kills, runs, attempt)
			break
		}
		data := filepath.Join(dir, fmt.Sprintf("run-%03d", attempt))
		// Most kills come after a random delay. Every fourth aims at the end of the
		// import, where the quarter close and its fan-out to the accounts run, which a
		// delay hits only by luck (an import's pace varies with the fsync latency): it
		// comes once the stream's message blocks hold a random share, 97% to 100%, of
		// the bytes the clean import wrote (the last 3% hold the last ~90 commands).
		tail := attempt%4 == 3
		delay := time.Duration(rng.Int64N(int64(span)))
		target := cleanBytes * (970 + rng.Int64N(30)) / 1000
		what := fmt.Sprintf("run %d (kill after %v)", attempt, delay.Round(time.Millisecond))
		if tail {
			delay = time.Minute
			what = fmt.Sprintf("run %d (kill at %d of %d stream bytes)", attempt, target, cleanBytes)
		}

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd, _, errb := crashCommand(ctx, bin, "import", "--data", data, "--quiet", file)
		started := time.Now()
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var werr error
		timer := time.NewTimer(delay)
		var poll *time.Ticker
		var pollC <-chan time.Time
		if tail {
			poll = time.NewTicker(500 * time.Microsecond)
			pollC = poll.C
		}
	wait:
		for {
			select {
			case werr = <-done:
				break wait
			case <-timer.C:
				_ = cmd.Process.Signal(syscall.SIGKILL)
			case <-pollC:
				if streamBytes(data) >= target {
					_ = cmd.Process.Signal(syscall.SIGKILL)
				}
			}
		}
		timer.Stop()
		if poll != nil {
			poll.Stop()
		}
		ran := time.Since(started)
		cancel()
		var ee *exec.ExitError
		switch {
		case errors.As(werr, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() &&
			ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
			kills++
		case werr == nil:
			// The import beat the kill (the fsync latency varies): nothing was crashed,
			// so try again, spreading the next kills over this faster import.
			finished++
			if !tail {
				span = min(span, ran)
			}
			continue
		default:
			t.Errorf("%s: import failed before the kill: %v\n%s", what, werr, errb)
			continue
		}

		// The OS released the flock of the killed process: the store opens again and
		// holds no command twice. Had the kill come between the quarter close and the
		// end of its fan-out, the import below must complete the fan-out.
		before := commitIDs(t, bin, data)
		for p, n := range before {
			if n > 1 {
				duplicated += n - 1
				t.Errorf("%s: command %q of %s recorded %d times before the import was run again", what, p[1], p[0], n)
			}
		}
		if before[[2]string{"ar.ledger", closeID}] > 0 && len(before) < len(wantPairs) {
			inFanOut++
		}

		// The import starts again, finds what the killed one recorded and records the rest.
		res := runArkeep(bin, "import", "--data", data, "--quiet", file)
		earlier, ok := checkImport(t, what+": import after the kill", res, commands)
		if !ok {
			continue
		}
		earlierCounts = append(earlierCounts, earlier)
		t.Logf("%s: %d of %d commands had been recorded", what, earlier, commands)

		got := takeReports(t, bin, data)
		same := true
		for _, r := range crashReports {
			k := r[0] + "@" + r[1]
			if !bytes.Equal(got[k], wantReports[k]) {
				same = false
				t.Errorf("%s: report %s as of %s differs from the clean import's: %s", what, r[0], r[1], firstDiff(got[k], wantReports[k]))
			}
		}
		if !same {
			differ++
		}
		pairs := commitIDs(t, bin, data)
		for p := range wantPairs {
			if pairs[p] == 0 {
				lost++
				t.Errorf("%s: command %q of %s lost", what, p[1], p[0])
			}
		}
		for p, n := range pairs {
			switch {
			case n > 1:
				duplicated += n - 1
				t.Errorf("%s: command %q of %s recorded %d times", what, p[1], p[0], n)
			case wantPairs[p] == 0:
				extra++
				t.Errorf("%s: command %q of %s recorded, but not by the clean import", what, p[1], p[0])
			}
		}
		os.RemoveAll(data) // the long run would keep hundreds of megabytes
	}
	slices.Sort(earlierCounts)
	if len(earlierCounts) > 0 {
		t.Logf("commands recorded before the kill: min %d, median %d, max %d of %d; %d kills between the quarter close and the end of its fan-out; %d more imports finished before their kill; %v",
			earlierCounts[0], earlierCounts[len(earlierCounts)/2], earlierCounts[len(earlierCounts)-1], commands,
			inFanOut, finished, time.Since(start).Round(time.Millisecond))
	}
	verdict := "reports identical"
	if differ > 0 {
		verdict = fmt.Sprintf("reports differ in %d runs", differ)
	}
	if extra > 0 {
		verdict += fmt.Sprintf(", %d unexpected commands", extra)
	}
	fmt.Printf("crash: %d kills, %d lost, %d duplicated, %s\n", kills, lost, duplicated, verdict)
}

// TestCrashKilledImportReleasesLock: while an import holds the data directory, a second
// process is refused; once the import is killed with SIGKILL (no deferred unlock runs),
// the OS has released its flock and the next process opens the store.
func TestCrashKilledImportReleasesLock(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: runs the binary")
	}
	bin := arkeepBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// An import from standard input holds the lock while it waits for lines.
	holder, _, holderErr := crashCommand(ctx, bin, "import", "--data", data, "--quiet", "-")
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- holder.Wait() }()
	// The lock is taken before the store directory is created.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(data, "jetstream")); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the holding import exited early: %v\n%s", err, holderErr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the holding import never opened its store")
		}
	}
	res := runArkeep(bin, "events", "--data", data)
	if res.err == nil || !strings.Contains(string(res.stderr), "in use") {
		t.Fatalf("events while an import holds the directory: %s\nwant a refusal naming the lock", res)
	}
	if err := holder.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	res = runArkeep(bin, "events", "--data", data)
	if res.err != nil {
		t.Fatalf("events after the holder was killed: %s\nwant the lock released by the OS", res)
	}
}
