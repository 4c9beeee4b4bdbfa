package ledger

import (
	"context"
	"errors"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
)

// ImportStats counts what an import did.
type ImportStats struct {
	Lines      int // lines read, blank ones included
	Commands   int // commands parsed
	Recorded   int // commands recorded now
	Duplicates int // commands already recorded earlier (same id, same content)
	Refused    int // lines refused
	Events     int // events recorded now
}

// Refusal is a refused line with its reason.
type Refusal struct {
	Line int
	Err  error
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Workers is how many accounts may have a command in flight at once. Commands of
	// one account are always decided and recorded in file order.
	Workers int
	// NoGroupCommit records every command in its own commit (one fsync each).
	NoGroupCommit bool
	// Progress, if set, is called about once a second with the running counts, and
	// once at the end with the final ones; never two calls at once.
	Progress func(ImportStats, time.Duration)
}

// DefaultWorkers is ImportOptions.Workers when it is not set. Measured with
// bench/ingest at 1M commands over 10k customers, fsync on every write: 256 workers
// recorded 24.1k events/s, 1024 24.9k, 4096 20.3k (more commits in flight, so smaller
// ones). The earlier import, which sharded accounts over a fixed set of workers, gave
// 10.8k with 256 and 18.9k with 1024.
const DefaultWorkers = 256

// maxGroup bounds how many waiting commands a worker takes of an account at once (and so
// the size of one account's commit).
const maxGroup = 256

// readAhead bounds the commands read and not yet recorded. It is what lets an
// account's commands pile up behind its commit in flight. Measured with arkeep import
// of 1M commands over 10k customers (bench/gen), fsync on every write, wall time and
// peak RSS: 1<<16 58 s and 2.33 GB, 1<<17 45 s and 2.54 GB, 1<<18 42 s and 2.58 GB;
// the earlier import (256 workers of 256 queued commands each) 115 s and 2.07 GB.
const readAhead = 1 << 18

type batchItem = batch.Item

type job struct {
	item    batch.Item
	scope   string
	creates entityKey // the entity the command creates, if any, as routed while queued
}

// entityKey names an entity (an invoice, payment, violation, ...) across accounts.
type entityKey struct{ kind, id string }

// route is where the commands naming a queued entity go: the account of the commands
// creating it, and how many of those are still queued.
type route struct {
	cust   string
	queued int
}

// finishedRoutes collects, from the workers, the entities of commands that are done
// (recorded or refused), for the reader to forget their routes: after that the
// service's books route them. Without it the reader kept a route for every entity an
// import created, tens of megabytes at a million commands.
type finishedRoutes struct {
	mu   sync.Mutex
	keys []entityKey
}

func (f *finishedRoutes) add(jobs []job) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range jobs {
		if j.creates != (entityKey{}) {
			f.keys = append(f.keys, j.creates)
		}
	}
}

// forget drops the routes of finished commands: a route goes when the last queued
// command creating its entity is done.
func (f *finishedRoutes) forget(pending map[entityKey]route) {
	f.mu.Lock()
	keys := f.keys
	f.keys = nil
	f.mu.Unlock()
	for _, k := range keys {
		if r, ok := pending[k]; ok {
			if r.queued--; r.queued <= 0 {
				delete(pending, k)
			} else {
				pending[k] = r
			}
		}
	}
}

// Import records the commands of a JSON Lines stream. Commands of different accounts
// are recorded concurrently (pipelined on the store); those of one account in order.
// Commands whose decision reads other accounts (CloseQuarter, ReportViolation) wait
// until everything before them is recorded. A refused line is reported and skipped;
// an error of the store stops the import.
func (s *Service) Import(ctx context.Context, r io.Reader, opts ImportOptions) (ImportStats, []Refusal, error) {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu       sync.Mutex
		stats    ImportStats
		refusals []Refusal
		fatal    error
		inflight sync.WaitGroup
	)
	var recorded, events atomic.Int64
	refuse := func(line int, err error) {
		mu.Lock()
		refusals = append(refusals, Refusal{Line: line, Err: err})
		stats.Refused++
		mu.Unlock()
	}
	settle := func(j job, res Result, err error) {
		switch {
		case err == nil && res.Recorded:
			recorded.Add(1)
			events.Add(int64(len(res.Events)))
		case err == nil:
			mu.Lock()
			stats.Duplicates++
			mu.Unlock()
		default:
			if _, ok := domain.Refusal(err); ok {
				refuse(j.item.Line, err)
				return
			}
			mu.Lock()
			if fatal == nil {
				fatal = err
				cancel()
			}
			mu.Unlock()
		}
	}
	run := func(j job) {
		res, err := s.Execute(ctx, j.item.Cmd, j.item.Hash)
		settle(j, res, err)
	}
	// runBatch records what a worker took of one account, in file order: each run of
	// commands that may share a commit in one commit, the others one by one.
	runBatch := func(batch []job) {
		for len(batch) > 0 && ctx.Err() == nil {
			n := 1
			if groupable(batch[0].item.Cmd) {
				for n < len(batch) && groupable(batch[n].item.Cmd) {
					n++
				}
			}
			g := batch[:n]
			batch = batch[n:]
			if n == 1 || opts.NoGroupCommit {
				for _, j := range g {
					run(j)
				}
				continue
			}
			items := make([]batchItem, n)
			for i, j := range g {
				items[i] = j.item
			}
			results, errs := s.executeGroup(ctx, g[0].scope, items)
			for i, j := range g {
				settle(j, results[i], errs[i])
			}
		}
	}

	// Every account with commands waiting is queued once on ready; opts.Workers
	// workers take accounts from it and record what waits for each, in file order, a
	// group at a time. The reader runs up to readAhead commands ahead of the
	// recording, so the commands an account gets while its commit is in flight wait
	// for its next one: the busier the store, the larger the groups, and the fewer
	// messages (fsyncs) an event costs.
	waiting := &scopeQueues{waiting: map[string][]job{}, ready: make(chan string, readAhead)}
	budget := make(chan struct{}, readAhead)
	var (
		workers  sync.WaitGroup
		finished finishedRoutes
	)
	for range opts.Workers {
		workers.Go(func() {
			for scope := range waiting.ready {
				jobs := waiting.take(scope, maxGroup)
				if ctx.Err() == nil {
					runBatch(jobs)
				}
				// Before the jobs are done: while they count as in flight, the reader
				// cannot have closed ready.
				waiting.done(scope)
				finished.add(jobs) // before they are done: a barrier clears what it holds
				for range jobs {
					inflight.Done()
					<-budget
				}
			}
		})
	}

	pending := map[entityKey]route{} // entity routes of commands still in the queues
	start := time.Now()
	stopProgress := func() {}
	if opts.Progress != nil {
		// On a ticker of its own: the reader runs far ahead, and the last readAhead
		// commands are recorded after it has read everything.
		stopProgress = everySecond(func() {
			opts.Progress(s.snapshot(&mu, &stats, &recorded, &events), time.Since(start))
		})
	}
	br := batch.NewReader(r)
	var readErr error
	for ctx.Err() == nil {
		item, err := br.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var le *batch.LineError
			if errors.As(err, &le) {
				mu.Lock()
				stats.Lines = le.Line
				mu.Unlock()
				refuse(le.Line, le.Err)
				continue
			}
			readErr = err
			break
		}
		mu.Lock()
		stats.Commands++
		stats.Lines = item.Line
		mu.Unlock()
		if stats.Commands%1024 == 0 {
			finished.forget(pending)
		}
		if needsBarrier(item.Cmd) || s.claimsPendingID(item.Cmd, pending) {
			inflight.Wait()
			// Nothing is queued now, so no route is pending: the books route everything,
			// and the finished commands' keys have nothing left to drop.
			clear(pending)
			finished.forget(pending)
			inflight.Add(1)
			run(job{item: item})
			inflight.Done()
			continue
		}
		select {
		case budget <- struct{}{}:
		case <-ctx.Done():
			continue // the loop ends on ctx.Err()
		}
		scope, creates := s.dispatchScope(item.Cmd, pending)
		inflight.Add(1)
		waiting.push(job{item: item, scope: scope, creates: creates})
	}
	inflight.Wait()
	close(waiting.ready)
	workers.Wait()
	mu.Lock()
	stats.Lines = br.Lines()
	mu.Unlock()
	out := s.snapshot(&mu, &stats, &recorded, &events)
	stopProgress()
	if opts.Progress != nil {
		opts.Progress(out, time.Since(start))
	}
	sort.Slice(refusals, func(i, j int) bool { return refusals[i].Line < refusals[j].Line })
	if fatal != nil {
		return out, refusals, fatal
	}
	return out, refusals, readErr
}

// everySecond calls fn once a second on a goroutine of its own until the returned stop
// is called; stop returns once fn is no longer running.
func everySecond(fn func()) (stop func()) {
	done := make(chan struct{})
	var running sync.WaitGroup
	running.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				fn()
			case <-done:
				return
			}
		}
	})
	return func() {
		close(done)
		running.Wait()
	}
}

func (s *Service) snapshot(mu *sync.Mutex, st *ImportStats, recorded, events *atomic.Int64) ImportStats {
	mu.Lock()
	defer mu.Unlock()
	out := *st
	out.Recorded = int(recorded.Load())
	out.Events = int(events.Load())
	return out
}

// needsBarrier: commands whose decision reads other accounts' recorded state.
func needsBarrier(c domain.Command) bool {
	switch c.(type) {
	case *domain.CloseQuarter, *domain.ReportViolation:
		return true
	}
	return false
}

// claimsPendingID reports whether a command creates an entity id that a command of
// another customer, still queued, creates too. Then file order decides: everything
// queued is recorded first (a barrier), so the earlier line wins and this one is
// refused; the barrier then drops every route, and later commands route by the books.
func (s *Service) claimsPendingID(c domain.Command, pending map[entityKey]route) bool {
	kind, id, _, ok := domain.NewEntity(c)
	if !ok {
		return false
	}
	cust, _ := domain.CustomerOf(c)
	prev, queued := pending[entityKey{kind, id}]
	return queued && prev.cust != cust
}

// dispatchScope names the account a command will be routed to, looking also at the
// entities created by commands still queued, so that a command naming an invoice
// queues behind the command that issues it. It also returns the entity the command
// creates, if any, whose route stays until the command is done.
func (s *Service) dispatchScope(c domain.Command, pending map[entityKey]route) (string, entityKey) {
	var creates entityKey
	if kind, id, _, ok := domain.NewEntity(c); ok {
		// A route held for another customer never gets here: claimsPendingID made
		// this command a barrier, which cleared the routes.
		cust, _ := domain.CustomerOf(c)
		creates = entityKey{kind, id}
		r := pending[creates]
		r.cust = cust
		r.queued++
		pending[creates] = r
	}
	if cust, ok := domain.CustomerOf(c); ok {
		return cust, creates
	}
	kind, id := "violation", ""
	if inv, ok := domain.InvoiceOf(c); ok {
		kind, id = "invoice", inv
	} else {
		switch c := c.(type) {
		case *domain.ConfirmViolation:
			id = c.Violation
		case *domain.RejectViolation:
			id = c.Violation
		}
	}
	if r, ok := pending[entityKey{kind, id}]; ok {
		return r.cust, creates
	}
	if scope, err := s.route(c); err == nil {
		return scope, creates
	}
	return id, creates
}

// scopeQueues holds, per account, the commands read and not yet taken by a worker, in
// file order. An account is in the map from its first waiting command until a worker
// finds none left, and meanwhile on ready exactly once or with a worker: ready never
// holds more accounts than there are commands waiting, at most readAhead.
type scopeQueues struct {
	mu      sync.Mutex
	waiting map[string][]job
	ready   chan string
}

// push queues j, and its account on ready if it is neither there nor with a worker.
func (q *scopeQueues) push(j job) {
	q.mu.Lock()
	n := len(q.waiting)
	q.waiting[j.scope] = append(q.waiting[j.scope], j) // one lookup, where the compiler sees this form
	known := len(q.waiting) == n
	q.mu.Unlock()
	if !known {
		q.ready <- j.scope
	}
}

// take hands the worker of scope up to n of its waiting commands, oldest first.
func (q *scopeQueues) take(scope string, n int) []job {
	q.mu.Lock()
	defer q.mu.Unlock()
	jobs := q.waiting[scope]
	n = min(n, len(jobs))
	if n == len(jobs) {
		q.waiting[scope] = nil // with a worker: the key stays
	} else {
		q.waiting[scope] = jobs[n:]
	}
	return jobs[:n:n]
}

// done lets go of scope after its worker recorded what it took: the account goes back
// on ready if more commands arrived meanwhile, and out of the map if none did.
func (q *scopeQueues) done(scope string) {
	q.mu.Lock()
	more := len(q.waiting[scope]) > 0
	if !more {
		delete(q.waiting, scope)
	}
	q.mu.Unlock()
	if more {
		q.ready <- scope
	}
}
