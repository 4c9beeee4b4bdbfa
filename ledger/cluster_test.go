package ledger_test

// Cluster fault tests: the ledger on a 3-node JetStream cluster (R3 stream, fsync on
// every write) with nodes shut down and restarted under it. Every helper here has a
// "cl" prefix so that it cannot clash with the package's other test helpers.
//
//	go test -v -run Cluster ./ledger/
//
// prints one summary line per test (acknowledged, lost, duplicated, time to resume)
// and the errors the cluster answered with.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventcodec"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/internal/clustertest"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// clStream is the ledger stream (eventstore.Open's default).
const clStream = eventstore.DefaultStream

// clAttemptTimeout bounds one Execute attempt: a write to a stream without a leader
// fails after this and is retried with the same command id.
const clAttemptTimeout = 4 * time.Second

// ---------------------------------------------------------------------------------
// Cluster and connections.

// clStart starts a 3-node cluster for the test; cleanup shuts it down.
func clStart(t *testing.T) *clustertest.Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("cluster fault tests start three servers; skipped with -short")
	}
	c, err := clustertest.Start(clustertest.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(c.Shutdown)
	return c
}

// clConnect opens a client connection to the cluster and the R3 ledger store on it.
// Open is retried while the cluster is still electing leaders.
func clConnect(t *testing.T, c *clustertest.Cluster) (*nats.Conn, *eventstore.Store) {
	t.Helper()
	nc, err := eventstore.ConnectURL(c.URLs())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := eventstore.Open(ctx, nc, eventstore.Config{Replicas: 3})
		cancel()
		if err == nil {
			if _, err := c.WaitForStreamLeader(clStream, 30*time.Second); err != nil {
				t.Fatal(err)
			}
			return nc, st
		}
		if time.Now().After(deadline) {
			t.Fatalf("eventstore.Open on the cluster: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// clService returns a Service over st, loaded (retrying while the cluster settles).
func clService(t *testing.T, st ledger.Store) *ledger.Service {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		svc := ledger.New(st, time.Now)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := svc.Load(ctx)
		cancel()
		if err == nil {
			return svc
		}
		if time.Now().After(deadline) {
			t.Fatalf("Load: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// clLastSeq reads the stream's last sequence, retrying through elections.
func clLastSeq(t *testing.T, st *eventstore.Store) uint64 {
	t.Helper()
	var err error
	for try := 0; try < 50; try++ {
		var seq uint64
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		seq, err = st.LastSeq(ctx)
		cancel()
		if err == nil {
			return seq
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("LastSeq: %v", err)
	return 0
}

// ---------------------------------------------------------------------------------
// Commands and the writer that retries them.

// clCmd is one command of a run.
type clCmd struct {
	id   string
	line string
	cmd  domain.Command
	hash string
}

func clParse(t *testing.T, lines []string) []clCmd {
	t.Helper()
	out := make([]clCmd, len(lines))
	ids := map[string]bool{}
	for i, l := range lines {
		cmd, hash, err := batch.ParseCommand([]byte(l))
		if err != nil {
			t.Fatalf("ParseCommand(%s): %v", l, err)
		}
		id := domain.CommandMeta(cmd).ID
		if ids[id] {
			t.Fatalf("command id %q used twice in the input; the tests count commands by id", id)
		}
		ids[id] = true
		out[i] = clCmd{id: id, line: l, cmd: cmd, hash: hash}
	}
	return out
}

// clRun collects what a writer saw.
type clRun struct {
	mu       sync.Mutex
	acked    map[string]bool
	order    []string          // acknowledged ids in acknowledgement order
	errs     map[string]int    // error class -> count of failed attempts
	example  map[string]string // error class -> first full error text
	retried  int               // commands that needed more than one attempt
	firstNot []string          // first attempt returned nil but Recorded false
	refused  []string          // refusals (never expected here)
	gaveUp   []string          // deadline passed without an acknowledgement
	lastAck  time.Time
	maxStall time.Duration // longest gap between two acknowledgements
	faultAt  time.Time     // when the fault was injected (zero: none yet)
	resumed  time.Duration // first acknowledgement of an attempt begun after faultAt
	resumeOK bool
}

func clNewRun() *clRun {
	return &clRun{acked: map[string]bool{}, errs: map[string]int{}, example: map[string]string{}}
}

func (r *clRun) ackedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order)
}

// fault marks the moment a fault is injected.
func (r *clRun) fault() {
	r.mu.Lock()
	r.faultAt = time.Now()
	r.mu.Unlock()
}

// clExecute records one command, retrying with the same id until it is acknowledged
// (Execute returns nil) or the deadline passes. A refusal is final.
func clExecute(ctx context.Context, svc *ledger.Service, c clCmd, r *clRun, deadline time.Time) {
	for attempt := 1; ; attempt++ {
		start := time.Now()
		actx, cancel := context.WithTimeout(ctx, clAttemptTimeout)
		res, err := svc.Execute(actx, c.cmd, c.hash)
		cancel()
		now := time.Now()
		r.mu.Lock()
		if err == nil {
			r.acked[c.id] = true
			r.order = append(r.order, c.id)
			if !r.lastAck.IsZero() && now.Sub(r.lastAck) > r.maxStall {
				r.maxStall = now.Sub(r.lastAck)
			}
			r.lastAck = now
			if !r.faultAt.IsZero() && !r.resumeOK && !start.Before(r.faultAt) {
				r.resumed, r.resumeOK = now.Sub(r.faultAt), true
			}
			if attempt > 1 {
				r.retried++
			} else if !res.Recorded {
				r.firstNot = append(r.firstNot, c.id)
			}
			r.mu.Unlock()
			return
		}
		if _, refused := domain.Refusal(err); refused {
			r.refused = append(r.refused, fmt.Sprintf("%s: %v", c.id, err))
			r.mu.Unlock()
			return
		}
		class := clClassify(err)
		r.errs[class]++
		if _, ok := r.example[class]; !ok {
			r.example[class] = fmt.Sprintf("%s after %.1fs: %v", c.id, now.Sub(start).Seconds(), err)
		}
		if now.After(deadline) || ctx.Err() != nil {
			r.gaveUp = append(r.gaveUp, fmt.Sprintf("%s: %v", c.id, err))
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
}

// clClassify names the kind of a failed attempt for the figures, with the
// eventstore sentinel it maps to.
func clClassify(err error) string {
	class := clKind(err)
	switch {
	case errors.Is(err, eventstore.ErrConflict):
		class += " → ErrConflict"
	case errors.Is(err, eventstore.ErrUnavailable):
		class += " → ErrUnavailable"
	}
	return class
}

func clKind(err error) string {
	var apiErr *jetstream.APIError
	switch {
	case errors.As(err, &apiErr):
		// "wrong last sequence: 104" -> "wrong last sequence": one class per code.
		d, _, _ := strings.Cut(apiErr.Description, ":")
		return fmt.Sprintf("JetStream %d (%s)", apiErr.ErrorCode, d)
	case err.Error() == "duplicate: true":
		return "ack with duplicate: true"
	case strings.Contains(err.Error(), "still conflicting after"):
		return "conflict: retries exhausted"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return "timeout"
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders):
		return "no responders"
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, nats.ErrDisconnected):
		return "disconnected"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return "other: " + clip(msg, 80)
}

// clWrite records cmds in order from one goroutine; done is closed when it ends.
func clWrite(svc *ledger.Service, cmds []clCmd, r *clRun, budget time.Duration) (done chan struct{}) {
	done = make(chan struct{})
	go func() {
		defer close(done)
		deadline := time.Now().Add(budget)
		for _, c := range cmds {
			clExecute(context.Background(), svc, c, r, deadline)
		}
	}()
	return done
}

// clWaitAcked waits until the run has n acknowledgements.
func clWaitAcked(t *testing.T, r *clRun, n int, done chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for r.ackedCount() < n {
		select {
		case <-done:
			t.Fatalf("the writer ended with %d acknowledgements, before %d", r.ackedCount(), n)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d commands acknowledged after a minute", r.ackedCount(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------------
// What the stream holds.

// clTally counts, over every commit of the stream, how often each (scope, command
// id) was recorded, and lists the commands in stream order.
type clTally struct {
	byKey   map[string]int // scope + "/" + id -> commits holding it
	byID    map[string]int // id -> commits holding it (ids of the inputs are unique)
	order   []string       // command ids in stream order
	commits int
}

func clCount(t *testing.T, st *eventstore.Store) clTally {
	t.Helper()
	tl := clTally{byKey: map[string]int{}, byID: map[string]int{}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := st.Replay(ctx, 0, func(m eventstore.Msg) error {
		if !eventstore.IsCommitSubject(m.Subject) {
			return nil
		}
		c, err := eventcodec.DecodeCommit(m.Data)
		if err != nil {
			return fmt.Errorf("seq %d: %w", m.Seq, err)
		}
		tl.commits++
		for _, cr := range c.Commands {
			tl.byKey[c.Account+"/"+cr.ID]++
			tl.byID[cr.ID]++
			tl.order = append(tl.order, cr.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return tl
}

// duplicated is the number of extra copies of any command in the stream.
func (tl clTally) duplicated() (n int, which []string) {
	for k, c := range tl.byKey {
		if c > 1 {
			n += c - 1
			which = append(which, fmt.Sprintf("%s×%d", k, c))
		}
	}
	sort.Strings(which)
	return n, which
}

// lost lists acknowledged commands the stream does not hold.
func (tl clTally) lost(acked map[string]bool) []string {
	var out []string
	for id := range acked {
		if tl.byID[id] == 0 {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// clCheckRun checks a finished run against the stream: every command acknowledged,
// none lost, none twice. It returns lost and duplicated counts for the summary.
func clCheckRun(t *testing.T, st *eventstore.Store, cmds []clCmd, r *clRun) (lost, dup int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	tl := clCount(t, st)
	lostIDs := tl.lost(r.acked)
	dup, dupIDs := tl.duplicated()
	if len(lostIDs) > 0 {
		t.Errorf("%d acknowledged commands are not in the stream: %v", len(lostIDs), clFirst(lostIDs, 10))
	}
	if dup > 0 {
		t.Errorf("%d duplicate commits: %v", dup, clFirst(dupIDs, 10))
	}
	if len(r.refused) > 0 {
		t.Errorf("%d commands refused: %v", len(r.refused), clFirst(r.refused, 5))
	}
	if len(r.gaveUp) > 0 {
		t.Errorf("%d commands never acknowledged: %v", len(r.gaveUp), clFirst(r.gaveUp, 5))
	}
	if len(r.firstNot) > 0 {
		t.Errorf("%d commands answered \"already recorded\" on their first attempt: %v", len(r.firstNot), clFirst(r.firstNot, 5))
	}
	if len(r.acked) != len(cmds) {
		t.Errorf("%d of %d commands acknowledged", len(r.acked), len(cmds))
	}
	for _, c := range cmds {
		if tl.byID[c.id] == 0 && !r.acked[c.id] {
			t.Logf("command %s neither acknowledged nor stored", c.id)
		}
	}
	return len(lostIDs), dup
}

func clFirst(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... (%d in all)", len(s)))
	}
	return s
}

// ---------------------------------------------------------------------------------
// The serial reference: the same commands on one embedded server, one at a time.

var (
	clSerialMu    sync.Mutex
	clSerialCache = map[string]string{}
)

// clSerialReports records lines one by one on a fresh single embedded server and
// returns its reports on dates (cached per input: tests 1 and 2 share one).
func clSerialReports(t *testing.T, lines []string, dates ...string) string {
	t.Helper()
	key := strings.Join(lines, "\n") + "\x00" + strings.Join(dates, ",")
	clSerialMu.Lock()
	defer clSerialMu.Unlock()
	if r, ok := clSerialCache[key]; ok {
		return r
	}
	e := newEnv(t)
	svc := e.service(nil)
	mustRecordAll(t, svc, lines...)
	r := reports(t, e.st, dates...)
	clSerialCache[key] = r
	return r
}

// clReports folds the cluster's stream and renders its reports, and checks that the
// writing service's own books agree with the fold.
func clReports(t *testing.T, st *eventstore.Store, svc *ledger.Service, dates ...string) string {
	t.Helper()
	got := reports(t, st, dates...)
	if svc != nil {
		if own := serviceReports(t, svc, dates...); own != got {
			t.Errorf("the writing service's books differ from a fold of the stream:\n%s", firstDiff(own, got))
		}
	}
	return got
}

// clLedger is the generated ledger of the fault tests: ~370 commands over 20
// accounts, invoices, payments, credit notes, disputes, write-offs, violations and
// two quarter closes.
func clLedger() []string {
	return genLedger(genConfig{Seed: 77, Customers: 20, Invoices: 150})
}

// ---------------------------------------------------------------------------------
// 1. Stream leader loss during writes.

// The stream leader crashes (SIGKILL: the followers learn of it when its heartbeats
// stop) or is shut down (it hands the leadership over first) in the middle of a run.
func TestClusterStreamLeaderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster fault tests start three servers; skipped with -short")
	}
	t.Run("crash", func(t *testing.T) { clLeaderLoss(t, false) })
	t.Run("shutdown", func(t *testing.T) { clLeaderLoss(t, true) })
}

func clLeaderLoss(t *testing.T, graceful bool) {
	c := clStart(t)
	nc, st := clConnect(t, c)
	ts := clTimed(st)
	svc := clService(t, ts)
	lines := clLedger()
	cmds := clParse(t, lines)
	want := clSerialReports(t, lines, reportDates...)

	leader, err := c.WaitForStreamLeader(clStream, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	run := clNewRun()
	began := time.Now()
	done := clWrite(svc, cmds, run, 60*time.Second)
	clWaitAcked(t, run, len(cmds)/3, done)

	how, kill := "crashing", c.KillNode
	if graceful {
		how, kill = "shutting down", c.StopNode
	}
	t.Logf("%s stream leader %s after %d acknowledgements (client on %s)", how, leader, run.ackedCount(), nc.ConnectedServerName())
	run.fault()
	killed := time.Now()
	if err := kill(leader); err != nil {
		t.Fatal(err)
	}
	newLeader, err := c.WaitForStreamLeader(clStream, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("new stream leader %s known %.1fs after the fault", newLeader, time.Since(killed).Seconds())
	<-done
	elapsed := time.Since(began)

	// The old leader comes back and catches up; the books must not depend on it.
	if err := c.RestartNode(leader); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForStreamCurrent(clStream, 30*time.Second); err != nil {
		t.Error(err)
	}

	lost, dup := clCheckRun(t, st, cmds, run)
	if got := clReports(t, st, svc, reportDates...); got != want {
		t.Errorf("reports differ from a serial run on one server:\n%s", firstDiff(got, want))
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	if !run.resumeOK {
		t.Errorf("no write was acknowledged after the fault")
	}
	t.Logf("errors seen by the writer: %s", clErrSummaryLocked(run))
	t.Logf("errors the store returned to the service: %s", ts.errorSummary())
	t.Logf("store calls: %s", ts.summary())
	t.Logf("%d commands needed retries; longest gap between acknowledgements %.1fs; whole run %.1fs",
		run.retried, run.maxStall.Seconds(), elapsed.Seconds())
	name := "leader-loss"
	if graceful {
		name = "leader-shutdown"
	}
	stalls, reads := ts.stalls()
	t.Logf("cluster %s: acknowledged %d, lost %d, duplicated %d, resumed after %.1fs, reads stalled ≥1s %d of %d",
		name, len(run.acked), lost, dup, run.resumed.Seconds(), stalls, reads)
}

// clErrSummaryLocked is errorSummary for a caller holding r.mu.
func clErrSummaryLocked(r *clRun) string {
	if len(r.errs) == 0 {
		return "none"
	}
	var parts []string
	for k, n := range r.errs {
		parts = append(parts, fmt.Sprintf("%s ×%d (e.g. %s)", k, n, r.example[k]))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// ---------------------------------------------------------------------------------
// 2. Follower loss (and its return) during writes.

func TestClusterFollowerLoss(t *testing.T) {
	c := clStart(t)
	nc, st := clConnect(t, c)
	ts := clTimed(st)
	svc := clService(t, ts)
	lines := clLedger()
	cmds := clParse(t, lines)
	want := clSerialReports(t, lines, reportDates...)

	if _, err := c.WaitForStreamLeader(clStream, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	followers := c.StreamFollowers(clStream)
	if len(followers) != 2 {
		t.Fatalf("stream followers %v, want 2", followers)
	}
	victim := followers[0]
	run := clNewRun()
	began := time.Now()
	done := clWrite(svc, cmds, run, 60*time.Second)
	clWaitAcked(t, run, len(cmds)/4, done)

	t.Logf("killing follower %s after %d acknowledgements (client on %s)", victim, run.ackedCount(), nc.ConnectedServerName())
	run.fault()
	if err := c.KillNode(victim); err != nil {
		t.Fatal(err)
	}
	clWaitAcked(t, run, len(cmds)*2/3, done)
	t.Logf("restarting follower %s after %d acknowledgements", victim, run.ackedCount())
	if err := c.RestartNode(victim); err != nil {
		t.Fatal(err)
	}
	<-done
	elapsed := time.Since(began)
	if err := c.WaitForStreamCurrent(clStream, 30*time.Second); err != nil {
		t.Error(err)
	}

	lost, dup := clCheckRun(t, st, cmds, run)
	if got := clReports(t, st, svc, reportDates...); got != want {
		t.Errorf("reports differ from a serial run on one server:\n%s", firstDiff(got, want))
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	t.Logf("errors seen by the writer: %s", clErrSummaryLocked(run))
	t.Logf("errors the store returned to the service: %s", ts.errorSummary())
	t.Logf("store calls: %s", ts.summary())
	t.Logf("%d commands needed retries; whole run %.1fs", run.retried, elapsed.Seconds())
	stalls, reads := ts.stalls()
	t.Logf("cluster follower-loss: acknowledged %d, lost %d, duplicated %d, resumed after %.2fs, longest gap %.2fs, reads stalled ≥1s %d of %d",
		len(run.acked), lost, dup, run.resumed.Seconds(), run.maxStall.Seconds(), stalls, reads)
}

// ---------------------------------------------------------------------------------
// 3. The same commands submitted ten times: inside the duplicate window, after a
// restart of the whole cluster, and outside the window.

// clStaleStore hides, from the first Replay (the Service's Load), every message after
// upTo: a service on it starts with the books as they were at upTo, like an instance
// that loaded then and has not caught up since.
type clStaleStore struct {
	*eventstore.Store
	upTo   uint64
	loaded bool
}

func (s *clStaleStore) Replay(ctx context.Context, after uint64, fn func(eventstore.Msg) error) (uint64, error) {
	if s.loaded {
		return s.Store.Replay(ctx, after, fn)
	}
	s.loaded = true
	last := after
	_, err := s.Store.Replay(ctx, after, func(m eventstore.Msg) error {
		if m.Seq > s.upTo {
			return nil
		}
		last = m.Seq
		return fn(m)
	})
	return last, err
}

// clPublish is a stored commit as its writer published it.
type clPublish struct {
	subject, msgID string
	expected       uint64 // the subject's previous sequence: the writer's expectation
	data           []byte
	seq            uint64 // where it was stored
}

// clPublished lists the single-command commits stored after seq from, with the
// message id and expectation they were published with.
func clPublished(t *testing.T, st *eventstore.Store, from uint64) []clPublish {
	t.Helper()
	var out []clPublish
	prev := map[string]uint64{} // subject -> last seq seen
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := st.Replay(ctx, 0, func(m eventstore.Msg) error {
		p := prev[m.Subject]
		prev[m.Subject] = m.Seq
		if m.Seq <= from || !eventstore.IsCommitSubject(m.Subject) {
			return nil
		}
		c, err := eventcodec.DecodeCommit(m.Data)
		if err != nil || len(c.Commands) != 1 {
			return err
		}
		out = append(out, clPublish{m.Subject, ledger.MsgID(c.Account, c.Commands[0].ID), p, m.Data, m.Seq})
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return out
}

// clRepublish publishes each commit again exactly as its writer did (same message
// id, same expectation), as a client retrying after a lost ack would, and counts
// the answers. Nothing may be stored anew.
func clRepublish(t *testing.T, st *eventstore.Store, pubs []clPublish, answers map[string]int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, m := range pubs {
		seq, dup, err := st.Append(ctx, m.subject, m.msgID, m.expected, m.data)
		switch {
		case err == nil && dup:
			answers["duplicate: true"]++
			if seq != m.seq {
				t.Errorf("duplicate of seq %d answered with seq %d", m.seq, seq)
			}
		case err == nil:
			answers["stored again"]++
			t.Errorf("a retried publish of seq %d was stored again as seq %d", m.seq, seq)
		default:
			answers[clClassify(err)]++
			if !errors.Is(err, eventstore.ErrConflict) {
				t.Errorf("retry of seq %d: %v", m.seq, err)
			}
		}
	}
}

// clResubmit submits every command through svc, as a client would: a failure that
// is not a refusal is retried (same id, up to 5 times). Nothing may be recorded.
func clResubmit(t *testing.T, svc *ledger.Service, cmds []clCmd, failures map[string]int) {
	t.Helper()
	for _, cmd := range cmds {
		for attempt := 1; ; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			res, err := svc.Execute(ctx, cmd.cmd, cmd.hash)
			cancel()
			if err == nil {
				if res.Recorded {
					t.Errorf("%s recorded again", cmd.id)
				}
				break
			}
			failures[clClassify(err)]++
			if _, refused := domain.Refusal(err); refused || attempt == 5 {
				t.Errorf("re-submitting %s: %v", cmd.id, err)
				break
			}
		}
	}
}

func clAnswers(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

func TestClusterResubmitTenTimes(t *testing.T) {
	c := clStart(t)
	nc, st := clConnect(t, c)
	svc := clService(t, st)
	lines := genLedger(genConfig{Seed: 5, Customers: 6, Invoices: 24})
	cmds := clParse(t, lines)

	// Registrations first: the stale instances below load up to here.
	nReg := 0
	for nReg < len(cmds) && strings.Contains(cmds[nReg].line, `"RegisterCustomer"`) {
		nReg++
	}
	run := clNewRun()
	deadline := time.Now().Add(30 * time.Second)
	for _, cmd := range cmds[:nReg] {
		clExecute(context.Background(), svc, cmd, run, deadline)
	}
	regSeq := clLastSeq(t, st)
	for _, cmd := range cmds[nReg:] {
		clExecute(context.Background(), svc, cmd, run, deadline)
	}
	clCheckRun(t, st, cmds, run)
	if t.Failed() {
		t.FailNow()
	}
	seq := clLastSeq(t, st)
	want := clReports(t, st, svc, reportDates...)
	pubs := clPublished(t, st, regSeq)
	t.Logf("recorded %d commands, stream at seq %d; %d commits to re-publish", len(cmds), seq, len(pubs))

	total := 0
	// phase submits everything ten times: to a service that knows the commands, as
	// raw publishes with the original message ids and expectations, and (rounds 1, 5
	// and 9) to a fresh instance whose books stop at the registrations, so that it
	// must write before it finds out.
	phase := func(name string, st *eventstore.Store, current *ledger.Service) {
		t.Helper()
		began := time.Now()
		lat := clNewLatencies()
		failures, answers := map[string]int{}, map[string]int{}
		for round := 0; round < 10; round++ {
			clResubmit(t, current, cmds, failures)
			total += len(cmds)
			if round%4 == 0 {
				stale := clService(t, &clTimedStore{&clStaleStore{Store: st, upTo: regSeq}, lat})
				clResubmit(t, stale, cmds, failures)
				total += len(cmds)
			}
			clRepublish(t, st, pubs, answers)
		}
		if got := clLastSeq(t, st); got != seq {
			t.Errorf("%s: stream moved from seq %d to %d", name, seq, got)
		}
		if got := clReports(t, st, current, reportDates...); got != want {
			t.Errorf("%s: reports changed:\n%s", name, firstDiff(got, want))
		}
		t.Logf("%s (%.1fs): 13×%d commands re-submitted, stream seq %d → %d; failed attempts (retried): %s",
			name, time.Since(began).Seconds(), len(cmds), seq, clLastSeq(t, st), clAnswers(failures))
		t.Logf("%s: 10×%d raw re-publishes answered: %s", name, len(pubs), clAnswers(answers))
		t.Logf("%s: the stale instances' store calls: %s; errors: %s", name, lat.summary(), lat.errorSummary())
	}

	phase("inside the window", st, svc)

	// The whole cluster crashes and comes back; a new client loads afresh.
	nc.Close()
	restartAt := time.Now()
	if err := c.KillAll(); err != nil {
		t.Fatal(err)
	}
	if err := c.RestartAll(); err != nil {
		t.Fatal(err)
	}
	nc, st = clConnect(t, c)
	t.Logf("full cluster crash and restart: ready again after %.1fs", time.Since(restartAt).Seconds())
	if got := clLastSeq(t, st); got != seq {
		t.Fatalf("after the restart the stream is at seq %d, want %d", got, seq)
	}
	phase("after a full cluster restart", st, clService(t, st))

	// Outside the duplicate window: shorten the stream's window, let it pass, and
	// rely on the accounts' own memory of command ids.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, clStream)
	if err == nil {
		cfg := stream.CachedInfo().Config
		cfg.Duplicates = 500 * time.Millisecond
		_, err = js.UpdateStream(ctx, cfg)
	}
	if err != nil {
		t.Fatalf("shorten the duplicate window: %v", err)
	}
	// Wait until the server has forgotten the message ids: a re-publish of the last
	// commit is no longer answered as a duplicate.
	shortened := time.Now()
	for {
		probe := map[string]int{}
		clRepublish(t, st, pubs[len(pubs)-1:], probe)
		if probe["duplicate: true"] == 0 {
			break
		}
		if time.Since(shortened) > 10*time.Second {
			t.Logf("the server still reports duplicates 10s after the window was shortened to 500ms; going on")
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("window shortened to 500ms: message ids forgotten after %.1fs", time.Since(shortened).Seconds())
	phase("outside the window", st, clService(t, st))

	// Opening the store puts the ledger's window back.
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := eventstore.Open(ctx, nc, eventstore.Config{Replicas: 3}); err != nil {
		t.Fatalf("re-Open: %v", err)
	}
	if info, err := st.StreamInfo(ctx); err != nil || info.Config.Duplicates != 2*time.Minute {
		t.Errorf("duplicate window after re-Open: %v (%v)", info.Config.Duplicates, err)
	}
	tl := clCount(t, st)
	dup, _ := tl.duplicated()
	t.Logf("cluster resubmit: %d submissions of %d commands + %d raw re-publishes, stored once: duplicated %d, stream seq %d → %d",
		total, len(cmds), 30*len(pubs), dup, seq, clLastSeq(t, st))
}

// ---------------------------------------------------------------------------------
// 4. Two instances writing to the same accounts at once.

// clContended builds 1000 commands on 10 accounts: registrations and opening
// invoices (setup), then a mix of invoices and FIFO payments for the concurrent
// phase, in which every account is written by both instances.
func clContended() (setup []string, work [2][4][]string, expect map[string]int64) {
	const accounts = 10
	expect = map[string]int64{} // customer -> outstanding in cents, order-independent
	for a := 0; a < accounts; a++ {
		cust := fmt.Sprintf("K%d", a)
		setup = append(setup, fmt.Sprintf(`{"cmd":"RegisterCustomer","id":"reg-%s","on":"2026-01-02","customer":"%s","name":"Dealer %d","grade":2,"terms_days":30,"collector":"wang"}`, cust, cust, a))
		for j := 0; j < 5; j++ {
			setup = append(setup, fmt.Sprintf(`{"cmd":"IssueInvoice","id":"open-%s-%d","on":"2026-01-0%d","invoice":"INV-%s-O%d","customer":"%s","amount":"10000.00","currency":"CNY"}`, cust, j, 3+j, cust, j, cust))
			expect[cust] += 1000000
		}
	}
	n := len(setup)
	k := 0
	for n < 1000 {
		w, g := k%2, (k/2)%4
		cust := fmt.Sprintf("K%d", (k/8+k)%accounts)
		var line string
		if k%3 == 0 {
			line = fmt.Sprintf(`{"cmd":"IssueInvoice","id":"w%d-%d","on":"2026-01-15","invoice":"INV-%s-W%d","customer":"%s","amount":"100.00","currency":"CNY"}`, w, k, cust, k, cust)
			expect[cust] += 10000
		} else {
			cents := int64(1000 + (k%7)*700)
			line = fmt.Sprintf(`{"cmd":"RecordPayment","id":"w%d-%d","on":"2026-01-20","payment":"PAY-%d","customer":"%s","amount":"%s","currency":"CNY"}`, w, k, k, cust, money(cents, 2))
			expect[cust] -= cents
		}
		work[w][g] = append(work[w][g], line)
		k++
		n++
	}
	return setup, work, expect
}

func TestClusterTwoServicesSameAccounts(t *testing.T) {
	c := clStart(t)
	_, st1 := clConnect(t, c)
	_, st2 := clConnect(t, c)
	setupLines, work, expect := clContended()

	ts1, ts2 := clTimed(st1), clTimed(st2)
	svcA := clService(t, ts1)
	run := clNewRun()
	deadline := time.Now().Add(60 * time.Second)
	for _, cmd := range clParse(t, setupLines) {
		clExecute(context.Background(), svcA, cmd, run, deadline)
	}
	svcB := clService(t, ts2)
	svcs := []*ledger.Service{svcA, svcB}

	all := clParse(t, setupLines)
	began := time.Now()
	var wg sync.WaitGroup
	for w := range work {
		for g := range work[w] {
			cmds := clParse(t, work[w][g])
			all = append(all, cmds...)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, cmd := range cmds {
					clExecute(context.Background(), svcs[w], cmd, run, deadline)
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(began)
	if len(all) != 1000 {
		t.Fatalf("%d commands, want 1000", len(all))
	}
	lost, dup := clCheckRun(t, st1, all, run)

	// No lost update: each account owes what it was invoiced less what it paid,
	// whatever the interleaving.
	books := fold(t, st1)
	rep := ageing(books, "2026-03-31")
	for cust, cents := range expect {
		row, _ := customerAgeing(rep, "CNY", cust)
		if want := money(cents, 2); row.Total != want || row.UnappliedCredit != "0.00" {
			t.Errorf("%s: outstanding %s, credit %s; want %s and 0.00", cust, row.Total, row.UnappliedCredit, want)
		}
	}
	// And the decisions are those of a serial run in the order the cluster recorded
	// the commands.
	byID := map[string]string{}
	for _, c := range all {
		byID[c.id] = c.line
	}
	var serial []string
	for _, id := range clCount(t, st1).order {
		if l, ok := byID[id]; ok {
			serial = append(serial, l)
		}
	}
	dates := []string{"2026-01-31", "2026-03-31"}
	want := clSerialReports(t, serial, dates...)
	if got := reports(t, st1, dates...); got != want {
		t.Errorf("reports differ from a serial run in stream order:\n%s", firstDiff(got, want))
	}
	// Each instance, caught up, has the same books as the stream.
	for i, svc := range svcs {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if _, err := svc.CatchUpAll(ctx); err != nil {
			t.Errorf("service %d catch-up: %v", i, err)
		}
		cancel()
		if got := serviceReports(t, svc, dates...); got != want {
			t.Errorf("service %d's books differ from the stream's:\n%s", i, firstDiff(got, want))
		}
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	t.Logf("errors seen by the writers: %s", clErrSummaryLocked(run))
	t.Logf("errors the store returned to the services: A: %s; B: %s", ts1.errorSummary(), ts2.errorSummary())
	t.Logf("store calls, instance A: %s", ts1.summary())
	t.Logf("store calls, instance B: %s", ts2.summary())
	t.Logf("%d commands needed re-submission; concurrent phase %.1fs", run.retried, elapsed.Seconds())
	s1, r1 := ts1.stalls()
	s2, r2 := ts2.stalls()
	t.Logf("cluster two-services: acknowledged %d, lost %d, duplicated %d, accounts wrong %d, reads stalled ≥1s %d of %d",
		len(run.acked), lost, dup, clWrongAccounts(rep, expect), s1+s2, r1+r2)
}

func clWrongAccounts(rep projections.AgeingReport, expect map[string]int64) int {
	n := 0
	for cust, cents := range expect {
		row, _ := customerAgeing(rep, "CNY", cust)
		if row.Total != money(cents, 2) {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------------
// Store latencies.

// clLatencies collects store call durations per operation.
type clLatencies struct {
	mu   sync.Mutex
	lat  map[string][]time.Duration
	errs map[string]int // "op: error class" -> count, whether or not the Service recovered
}

func clNewLatencies() *clLatencies {
	return &clLatencies{lat: map[string][]time.Duration{}, errs: map[string]int{}}
}

func (l *clLatencies) note(op string, start time.Time, err error) {
	d := time.Since(start)
	l.mu.Lock()
	l.lat[op] = append(l.lat[op], d)
	if err != nil {
		l.errs[op+": "+clClassify(err)]++
	}
	l.mu.Unlock()
}

// errorSummary lists the errors the store returned to the Service.
func (l *clLatencies) errorSummary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) == 0 {
		return "none"
	}
	var parts []string
	for k, n := range l.errs {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// clTimedStore times the store calls a Service makes.
type clTimedStore struct {
	ledger.Store
	*clLatencies
}

func clTimed(st ledger.Store) *clTimedStore { return &clTimedStore{st, clNewLatencies()} }

func (s *clTimedStore) Append(ctx context.Context, subject, msgID string, expected uint64, data []byte) (uint64, bool, error) {
	start := time.Now()
	seq, dup, err := s.Store.Append(ctx, subject, msgID, expected, data)
	noted := err
	if err == nil && dup {
		noted = errors.New("duplicate: true") // counted with the errors, not returned
	}
	s.note("Append", start, noted)
	return seq, dup, err
}

func (s *clTimedStore) ReadSubject(ctx context.Context, subject string, after uint64) (msgs []eventstore.Msg, err error) {
	defer func(start time.Time) { s.note("ReadSubject", start, err) }(time.Now())
	return s.Store.ReadSubject(ctx, subject, after)
}

func (s *clTimedStore) Replay(ctx context.Context, after uint64, fn func(eventstore.Msg) error) (last uint64, err error) {
	defer func(start time.Time) { s.note("Replay", start, err) }(time.Now())
	return s.Store.Replay(ctx, after, fn)
}

func (s *clTimedStore) LastSeq(ctx context.Context) (seq uint64, err error) {
	defer func(start time.Time) { s.note("LastSeq", start, err) }(time.Now())
	return s.Store.LastSeq(ctx)
}

// stalls counts the reads (ReadSubject, Replay) that took a second or more.
func (l *clLatencies) stalls() (n, reads int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, op := range []string{"ReadSubject", "Replay"} {
		for _, d := range l.lat[op] {
			reads++
			if d >= time.Second {
				n++
			}
		}
	}
	return n, reads
}

// summary is "op n p50 p99 max" per operation.
func (s *clLatencies) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ops []string
	for op := range s.lat {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var parts []string
	for _, op := range ops {
		l := append([]time.Duration(nil), s.lat[op]...)
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		q := func(p float64) time.Duration { return l[min(len(l)-1, int(p*float64(len(l))))] }
		parts = append(parts, fmt.Sprintf("%s n=%d p50=%s p99=%s max=%s", op, len(l),
			q(0.5).Round(100*time.Microsecond), q(0.99).Round(100*time.Microsecond), l[len(l)-1].Round(time.Millisecond)))
	}
	return strings.Join(parts, "; ")
}

// clProbeStore fails Replay after n messages once, when armed.
type clProbeStore struct {
	ledger.Store
	mu          sync.Mutex
	failReplay  int // >0: fail the next Replay after this many messages
	failAppends bool
	failReads   bool
	gate        chan struct{} // when set, the first Append waits for it
	appends     int
	failFrom    int // >0: Appends from this number on fail, and so do reads
}

func (s *clProbeStore) Replay(ctx context.Context, after uint64, fn func(eventstore.Msg) error) (uint64, error) {
	s.mu.Lock()
	n := s.failReplay
	s.failReplay = 0
	s.mu.Unlock()
	if n == 0 {
		return s.Store.Replay(ctx, after, fn)
	}
	k := 0
	return s.Store.Replay(ctx, after, func(m eventstore.Msg) error {
		k++
		if k > n {
			return errors.New("probe: replay failed mid-way")
		}
		return fn(m)
	})
}

func (s *clProbeStore) Append(ctx context.Context, subject, msgID string, expected uint64, data []byte) (uint64, bool, error) {
	s.mu.Lock()
	s.appends++
	n := s.appends
	if s.failFrom > 0 && n >= s.failFrom {
		s.failAppends, s.failReads = true, true
	}
	f, gate := s.failAppends, s.gate
	s.mu.Unlock()
	if gate != nil && n == 1 {
		<-gate
	}
	if f {
		return 0, false, errors.New("probe: no response from stream")
	}
	return s.Store.Append(ctx, subject, msgID, expected, data)
}

func (s *clProbeStore) ReadSubject(ctx context.Context, subject string, after uint64) ([]eventstore.Msg, error) {
	s.mu.Lock()
	f := s.failReads
	s.mu.Unlock()
	if f {
		return nil, errors.New("probe: read failed")
	}
	return s.Store.ReadSubject(ctx, subject, after)
}

// ---------------------------------------------------------------------------------
// Read failures in the middle of recovery (single server, injected).

// A catch-up whose replay fails mid-way must not mark the unread commits as seen:
// otherwise the service refuses commands naming what another instance wrote there,
// for good.
func TestClusterFaultPartialCatchUp(t *testing.T) {
	e := newEnv(t)
	_, st2 := e.connect()
	probe := &clProbeStore{Store: st2}
	b := e.service(probe) // loaded on an empty stream
	a := e.service(nil)
	for i := 0; i < 5; i++ {
		mustRecord(t, a, fmt.Sprintf(`{"cmd":"RegisterCustomer","id":"r%d","on":"2026-01-02","customer":"C%d","name":"N","grade":2,"terms_days":30,"collector":"wang"}`, i, i))
	}
	// b refers to C4 (unknown to it): a refusal triggers CatchUpAll, whose replay fails after 2 messages.
	probe.failReplay = 2
	_, err := submit(t, b, `{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C4","amount":"100.00","currency":"CNY"}`)
	t.Logf("first try (replay fails mid-way): %v", err)
	// The store is fine again: the same command must now be decided against the whole stream.
	_, err = submit(t, b, `{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C4","amount":"100.00","currency":"CNY"}`)
	if err != nil {
		t.Errorf("second try, store healthy: %v", err)
	}
}

// A group commit that fails while reads fail too (a stream without a leader) must
// not leave the account's books dropped once the stream is back.
func TestClusterFaultGroupCommitOutage(t *testing.T) {
	e := newEnv(t)
	_, st2 := e.connect()
	probe := &clProbeStore{Store: st2}
	svc := e.service(probe)
	mustRecord(t, svc, `{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"N","grade":2,"terms_days":30,"collector":"wang"}`)
	var lines []string
	for i := 0; i < 20; i++ {
		lines = append(lines, fmt.Sprintf(`{"cmd":"RecordPayment","id":"p%d","on":"2026-01-10","payment":"PAY-%d","customer":"C1","amount":"10.00","currency":"CNY"}`, i, i))
	}
	// The first payment's append is slow, so the others queue up behind it and go
	// as one group commit; then the stream loses its leader: appends and reads fail.
	probe.mu.Lock()
	probe.appends, probe.failFrom, probe.gate = 0, 2, make(chan struct{})
	probe.mu.Unlock()
	go func() { time.Sleep(200 * time.Millisecond); close(probe.gate) }()
	stats, _, err := svc.Import(context.Background(), strings.NewReader(jsonl(lines)), ledger.ImportOptions{Workers: 1})
	t.Logf("import during the outage: %+v %v (appends %d)", stats, err, probe.appends)
	probe.mu.Lock()
	probe.failAppends, probe.failReads, probe.failFrom, probe.gate = false, false, 0, nil
	probe.mu.Unlock()
	// The cluster is back: a command for C1 must be decided against C1's books.
	_, err = submit(t, svc, `{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C1","amount":"100.00","currency":"CNY"}`)
	if err != nil {
		t.Errorf("after the outage: %v", err)
	}
}
