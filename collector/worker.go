package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Ledger is what the worker needs of the books. The serve command implements
// it over the ledger service.
type Ledger interface {
	// Sent reports whether reminder.sent.v1 is already recorded for the
	// step (reads the current books, after catching up).
	Sent(ctx context.Context, customer, stepID string) (bool, error)
	// RecordSent records reminder.sent.v1 for the step with a command id
	// derived from the step id, so recording twice is recorded once.
	RecordSent(ctx context.Context, j Job, channel, outcome string) error
}

// Stats are the worker's counters since NewWorker. Maps are keyed by
// channel ("webhook", "email").
type Stats struct {
	// Delivered counts reminders delivered and recorded "delivered".
	Delivered map[string]uint64
	// Failed counts reminders recorded "failed" (permanent failure or
	// attempts exhausted).
	Failed map[string]uint64
	// NoContact counts steps recorded "manual"/"no_contact".
	NoContact uint64
	// AlreadySent counts jobs dropped because the step was recorded.
	AlreadySent uint64
	// Retries counts transient delivery failures sent back for a later
	// attempt.
	Retries uint64
	// DeadLettered counts jobs published to ARDEAD.
	DeadLettered uint64
	// LedgerErrors counts Sent/RecordSent errors; the job is retried.
	LedgerErrors uint64
	// QueueErrors counts ack/nak/dead-letter/consumer errors.
	QueueErrors uint64
}

// maxPending bounds the worker's memory of steps it delivered but could not
// record yet.
const maxPending = 4096

// Worker takes jobs from the queue and delivers them. Several workers, in
// one process or many, may share a queue: they share one durable consumer.
type Worker struct {
	q   *Queue
	l   Ledger
	cfg Config
	log *slog.Logger

	http *http.Client

	mu    sync.Mutex
	stats Stats
	// pending: steps this worker delivered whose RecordSent failed, by
	// step id, with the channel used. On redelivery to this worker the
	// delivery is skipped and only the record is retried.
	pending map[string]string

	closeOnce sync.Once
	closing   chan struct{} // closed by Close
	running   sync.Mutex    // held by Run
	done      chan struct{} // closed when Run returns (recreated per Run)
}

// NewWorker checks cfg (after defaults) and returns a worker. It does not
// touch the server: Run creates the consumer.
func NewWorker(q *Queue, l Ledger, cfg Config) (*Worker, error) {
	cfg = cfg.WithDefaults()
	var errs []error
	if q == nil {
		errs = append(errs, errors.New("collector: NewWorker: nil Queue"))
	}
	if l == nil {
		errs = append(errs, errors.New("collector: NewWorker: nil Ledger"))
	}
	errs = append(errs, cfg.Validate())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Worker{
		q:       q,
		l:       l,
		cfg:     cfg,
		log:     cfg.Logger.With("component", "collector"),
		http:    newHTTPClient(),
		stats:   Stats{Delivered: map[string]uint64{}, Failed: map[string]uint64{}},
		pending: map[string]string{},
		closing: make(chan struct{}),
	}, nil
}

// Stats returns a snapshot of the counters.
func (w *Worker) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Delivered = make(map[string]uint64, len(w.stats.Delivered))
	for k, v := range w.stats.Delivered {
		s.Delivered[k] = v
	}
	s.Failed = make(map[string]uint64, len(w.stats.Failed))
	for k, v := range w.stats.Failed {
		s.Failed[k] = v
	}
	return s
}

func (w *Worker) count(f func(*Stats)) {
	w.mu.Lock()
	f(&w.stats)
	w.mu.Unlock()
}

func (w *Worker) consumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       w.cfg.Consumer,
		Description:   "arkeep collector: reminder delivery",
		FilterSubject: jobsSubjects,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       w.cfg.AckWait,
		// Unlimited on the server: the worker counts attempts itself and
		// ends a job (recorded "failed", dead-lettered) after MaxDeliver
		// failed deliveries. A server-side limit would leave a job whose
		// last attempt was interrupted (crash, ledger down) stranded on
		// the work queue, delivered to no one and recorded nowhere.
		MaxDeliver: -1,
		// No server BackOff either: the server would replace AckWait by
		// BackOff[0] (10s), shorter than a slow delivery. Retry delays are
		// given per failure with NakWithDelay.
	}
}

// Run takes jobs until ctx ends or Close is called, then stops taking jobs,
// lets the jobs in hand finish (at most DrainTimeout) and returns nil. It
// returns an error if the consumer cannot be created or the connection
// closes for good under it. One Run per Worker at a time.
func (w *Worker) Run(ctx context.Context) error {
	if !w.running.TryLock() {
		return errors.New("collector: Worker.Run already running")
	}
	defer w.running.Unlock()
	w.mu.Lock()
	done := make(chan struct{})
	w.done = done
	w.mu.Unlock()
	defer close(done)

	stop, cancelStop := context.WithCancel(ctx)
	defer cancelStop()
	go func() {
		select {
		case <-w.closing:
			cancelStop()
		case <-stop.Done():
		}
	}()

	// Jobs run on their own context: the end of ctx stops taking jobs,
	// not the jobs in hand, which get DrainTimeout to finish.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()

	it, err := w.open(stop)
	if err != nil {
		if stop.Err() != nil {
			return nil
		}
		return err
	}
	var itMu sync.Mutex // guards it: replaced by reopen, drained by the stopper
	current := func() jetstream.MessagesContext {
		itMu.Lock()
		defer itMu.Unlock()
		return it
	}

	var wg sync.WaitGroup
	sem := make(chan struct{}, w.cfg.Concurrency)
	drained := make(chan struct{})
	go func() {
		<-stop.Done()
		// Buffered messages are still returned by Next, then Next
		// reports the iterator closed.
		itMu.Lock()
		it.Drain()
		itMu.Unlock()
		t := time.NewTimer(w.cfg.DrainTimeout)
		defer t.Stop()
		select {
		case <-drained:
		case <-t.C:
			w.log.Warn("drain timeout: abandoning jobs in hand to redelivery", "timeout", w.cfg.DrainTimeout)
			current().Stop()
			cancelJobs()
		}
	}()

	var runErr error
	for {
		msg, err := current().Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			if stop.Err() == nil {
				// Not closed by us: the connection is gone for good.
				runErr = fmt.Errorf("collector: taking jobs: %w", err)
			}
			break
		}
		if err != nil {
			// A terminal pull error (consumer deleted, bad request):
			// the iterator is stopped. Start over.
			w.count(func(s *Stats) { s.QueueErrors++ })
			w.log.Error("taking jobs", "err", err)
			next, err := w.reopen(stop)
			if err != nil {
				break
			}
			itMu.Lock()
			it.Stop()
			it = next
			if stop.Err() != nil {
				it.Drain()
			}
			itMu.Unlock()
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-jobCtx.Done():
			// Past the drain timeout: leave it to redelivery.
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			w.handle(jobCtx, msg)
		}()
	}
	wg.Wait()
	close(drained)
	return runErr
}

// open creates (or updates) the durable consumer and starts pulling.
func (w *Worker) open(ctx context.Context) (jetstream.MessagesContext, error) {
	cons, err := w.q.js.CreateOrUpdateConsumer(ctx, JobsStream, w.consumerConfig())
	if err != nil {
		return nil, fmt.Errorf("collector: create consumer %q: %w", w.cfg.Consumer, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(w.cfg.Concurrency))
	if err != nil {
		return nil, fmt.Errorf("collector: consume %q: %w", w.cfg.Consumer, err)
	}
	return it, nil
}

// reopen retries open every second until it works or stop ends.
func (w *Worker) reopen(stop context.Context) (jetstream.MessagesContext, error) {
	for {
		select {
		case <-stop.Done():
			return nil, stop.Err()
		case <-time.After(time.Second):
		}
		it, err := w.open(stop)
		if err == nil {
			return it, nil
		}
		w.log.Error("reopening consumer", "err", err)
	}
}

// Close stops Run (as if its context ended) and waits for it to return:
// jobs in hand get DrainTimeout to finish, then are left to redelivery.
func (w *Worker) Close() error {
	w.closeOnce.Do(func() { close(w.closing) })
	w.mu.Lock()
	done := w.done
	w.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-time.After(w.cfg.DrainTimeout + 5*time.Second):
		return errors.New("collector: Close: worker did not stop in time")
	}
}

// handle runs one job to one of: ack (done), NAK with a delay (try again).
// See doc.go for why this order makes each step sent once.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	// Bound the whole job below AckWait, so the server does not hand the
	// job to a second worker while this one still works on it.
	ctx, cancel := context.WithTimeout(ctx, w.cfg.AckWait*9/10)
	defer cancel()

	attempt := 1
	if md, err := msg.Metadata(); err == nil && md.NumDelivered > 0 {
		attempt = int(md.NumDelivered)
	}

	var j Job
	if err := json.Unmarshal(msg.Data(), &j); err != nil || j.check() != nil {
		w.poison(ctx, msg, attempt, err)
		return
	}
	log := w.log.With("step", j.StepID, "customer", j.Customer, "attempt", attempt)

	// (1) Recorded already: never deliver again.
	sent, err := w.l.Sent(ctx, j.Customer, j.StepID)
	if err != nil {
		w.ledgerRetry(log, msg, attempt, "Sent", err)
		return
	}
	if sent {
		w.forget(j.StepID)
		w.count(func(s *Stats) { s.AlreadySent++ })
		w.ack(ctx, log, msg)
		return
	}

	// (2) Channel.
	channel := w.channel(j)
	if channel == "" {
		if err := w.l.RecordSent(ctx, j, ChannelManual, OutcomeNoContact); err != nil {
			w.ledgerRetry(log, msg, attempt, "RecordSent", err)
			return
		}
		w.count(func(s *Stats) { s.NoContact++ })
		w.ack(ctx, log, msg)
		return
	}

	// (3) Deliver, unless this worker already did and only the record
	// failed.
	if prev, ok := w.delivered(j.StepID); ok {
		channel = prev
	} else if err := w.deliver(ctx, channel, j); err != nil {
		final := isPermanent(err) || attempt >= w.cfg.MaxDeliver
		if !final {
			w.count(func(s *Stats) { s.Retries++ })
			log.Warn("delivery failed, will retry", "channel", channel, "err", err, "retry_in", w.cfg.backoff(attempt))
			w.nak(log, msg, w.cfg.backoff(attempt))
			return
		}
		w.fail(ctx, log, msg, j, channel, attempt, err)
		return
	}
	w.remember(j.StepID, channel)

	// (4) Record, then ack.
	if err := w.l.RecordSent(ctx, j, channel, OutcomeDelivered); err != nil {
		w.ledgerRetry(log, msg, attempt, "RecordSent", err)
		return
	}
	w.forget(j.StepID)
	w.count(func(s *Stats) { s.Delivered[channel]++ })
	w.ack(ctx, log, msg)
}

// channel: webhook if set, else email if set and SMTP configured, else "".
func (w *Worker) channel(j Job) string {
	switch {
	case j.Webhook != "":
		return ChannelWebhook
	case j.Email != "" && w.cfg.SMTPAddr != "":
		return ChannelEmail
	}
	return ""
}

func (w *Worker) deliver(ctx context.Context, channel string, j Job) error {
	if channel == ChannelWebhook {
		return w.webhook(ctx, j)
	}
	return w.email(ctx, j)
}

// fail ends a job that cannot be delivered: dead letter first, then the
// "failed" record, then ack. In that order a crash anywhere leaves the job on
// the queue unrecorded, so the dead letter is never missing for a step
// recorded "failed" (its Nats-Msg-Id makes a repeat one entry).
func (w *Worker) fail(ctx context.Context, log *slog.Logger, msg jetstream.Msg, j Job, channel string, attempt int, cause error) {
	log.Error("delivery failed for good", "channel", channel, "err", cause)
	d := DeadLetter{Job: j, Channel: channel, Reason: cause.Error(), Attempts: attempt, At: w.cfg.Now().UTC()}
	if err := w.q.deadLetter(ctx, j.Customer, j.StepID, d); err != nil {
		w.count(func(s *Stats) { s.QueueErrors++ })
		log.Error("dead-letter", "err", err)
		w.nak(log, msg, w.cfg.backoff(attempt))
		return
	}
	w.count(func(s *Stats) { s.DeadLettered++ })
	if err := w.l.RecordSent(ctx, j, channel, OutcomeFailed); err != nil {
		w.ledgerRetry(log, msg, attempt, "RecordSent", err)
		return
	}
	w.count(func(s *Stats) { s.Failed[channel]++ })
	w.ack(ctx, log, msg)
}

// poison dead-letters a message that is not a job and removes it.
func (w *Worker) poison(ctx context.Context, msg jetstream.Msg, attempt int, cause error) {
	if cause == nil {
		cause = errors.New("job without StepID or Customer")
	}
	w.log.Error("undecodable job", "subject", msg.Subject(), "err", cause)
	d := DeadLetter{Reason: "undecodable job: " + cause.Error(), Attempts: attempt, At: w.cfg.Now().UTC(), Raw: msg.Data()}
	id := ""
	if h := msg.Headers(); h != nil {
		id = h.Get("Nats-Msg-Id")
	}
	if err := w.q.deadLetter(ctx, "_undecodable", id, d); err != nil {
		w.count(func(s *Stats) { s.QueueErrors++ })
		w.log.Error("dead-letter", "err", err)
		w.nak(w.log, msg, w.cfg.backoff(attempt))
		return
	}
	w.count(func(s *Stats) { s.DeadLettered++ })
	w.ack(ctx, w.log, msg)
}

// ledgerRetry sends the job back when the books could not be read or
// written. It never acks: an unrecorded step stays on the queue.
func (w *Worker) ledgerRetry(log *slog.Logger, msg jetstream.Msg, attempt int, op string, err error) {
	w.count(func(s *Stats) { s.LedgerErrors++ })
	log.Error("ledger "+op+" failed, will retry", "err", err)
	w.nak(log, msg, w.cfg.backoff(attempt))
}

func (w *Worker) nak(log *slog.Logger, msg jetstream.Msg, delay time.Duration) {
	if err := msg.NakWithDelay(delay); err != nil {
		// The server redelivers after AckWait anyway.
		w.count(func(s *Stats) { s.QueueErrors++ })
		log.Error("nak", "err", err)
	}
}

func (w *Worker) ack(ctx context.Context, log *slog.Logger, msg jetstream.Msg) {
	// A lost ack means a redelivery, which the Sent check absorbs.
	if err := msg.DoubleAck(ctx); err != nil {
		w.count(func(s *Stats) { s.QueueErrors++ })
		log.Error("ack", "err", err)
	}
}

func (w *Worker) delivered(stepID string) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.pending[stepID]
	return ch, ok
}

func (w *Worker) remember(stepID, channel string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) >= maxPending {
		// Best effort only: forgetting means at worst a repeat delivery
		// with the same idempotency key.
		clear(w.pending)
	}
	w.pending[stepID] = channel
}

func (w *Worker) forget(stepID string) {
	w.mu.Lock()
	delete(w.pending, stepID)
	w.mu.Unlock()
}
