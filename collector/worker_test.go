package collector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDeliveredOnceAndRecordedOnce(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, nil)
	l := newLedger(t)
	w := startWorker(t, e.q, l, testConfig())

	j := webhookJob(rcv, "acme", "INV-1")
	e.enqueue(j)
	r := l.waitRecorded(t, j.StepID)
	if r.Channel != ChannelWebhook || r.Outcome != OutcomeDelivered || r.Job != j {
		t.Fatalf("record = %+v", r)
	}
	eventually(t, 5*time.Second, "job acked", func() bool { return e.streamMsgs(JobsStream) == 0 })
	if n := rcv.count(j.StepID); n != 1 {
		t.Fatalf("receiver saw %d deliveries, want 1", n)
	}
	if _, calls, _ := l.get(j.StepID); calls != 1 {
		t.Fatalf("RecordSent called %d times, want 1", calls)
	}
	if s := w.Stats(); s.Delivered[ChannelWebhook] != 1 || s.Retries != 0 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestEnqueueTwiceIsOneJob(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, nil)
	l := newLedger(t)
	j := webhookJob(rcv, "acme", "INV-2")
	e.enqueue(j, j)
	// A second instance's clock enqueues it too.
	q2 := e.queueOn(e.connect())
	if err := q2.Enqueue(ctxT(t), j); err != nil {
		t.Fatal(err)
	}
	if n := e.streamMsgs(JobsStream); n != 1 {
		t.Fatalf("jobs stream holds %d messages, want 1", n)
	}
	startWorker(t, e.q, l, testConfig())
	l.waitRecorded(t, j.StepID)
	eventually(t, 5*time.Second, "job acked", func() bool { return e.streamMsgs(JobsStream) == 0 })

	// Enqueued again after it was done: still in the duplicate window.
	e.enqueue(j)
	if n := e.streamMsgs(JobsStream); n != 0 {
		t.Fatalf("re-enqueue after done added %d jobs", n)
	}
	time.Sleep(100 * time.Millisecond)
	if n := rcv.count(j.StepID); n != 1 {
		t.Fatalf("receiver saw %d deliveries, want 1", n)
	}
}

func TestAlreadyRecordedIsNotDelivered(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, nil)
	l := newLedger(t)
	j := webhookJob(rcv, "acme", "INV-3")
	l.preset(j)
	w := startWorker(t, e.q, l, testConfig())
	e.enqueue(j)
	eventually(t, 5*time.Second, "job acked", func() bool { return e.streamMsgs(JobsStream) == 0 })
	eventually(t, 5*time.Second, "stats", func() bool { return w.Stats().AlreadySent == 1 })
	if n := rcv.total(); n != 0 {
		t.Fatalf("receiver saw %d deliveries, want 0", n)
	}
	if _, calls, _ := l.get(j.StepID); calls != 0 {
		t.Fatalf("RecordSent called %d times, want 0", calls)
	}
}

func TestTransientFailuresThenDelivered(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, func(_ string, n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	l := newLedger(t)
	w := startWorker(t, e.q, l, testConfig())
	j := webhookJob(rcv, "acme", "INV-4")
	e.enqueue(j)
	r := l.waitRecorded(t, j.StepID)
	if r.Outcome != OutcomeDelivered {
		t.Fatalf("record = %+v", r)
	}
	if n := rcv.count(j.StepID); n != 3 {
		t.Fatalf("receiver saw %d attempts, want 3", n)
	}
	eventually(t, 5*time.Second, "stats", func() bool {
		s := w.Stats()
		return s.Retries == 2 && s.Delivered[ChannelWebhook] == 1
	})
	if d := e.deadLetters(); len(d) != 0 {
		t.Fatalf("dead letters: %+v", d)
	}
}

func TestAlwaysFailingGoesToDeadLetter(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, func(string, int) int { return http.StatusServiceUnavailable })
	l := newLedger(t)
	cfg := testConfig() // MaxDeliver 3
	w := startWorker(t, e.q, l, cfg)
	j := webhookJob(rcv, "acme", "INV-5")
	e.enqueue(j)
	r := l.waitRecorded(t, j.StepID)
	if r.Channel != ChannelWebhook || r.Outcome != OutcomeFailed {
		t.Fatalf("record = %+v", r)
	}
	if n := rcv.count(j.StepID); n != cfg.MaxDeliver {
		t.Fatalf("receiver saw %d attempts, want %d", n, cfg.MaxDeliver)
	}
	eventually(t, 5*time.Second, "job acked", func() bool { return e.streamMsgs(JobsStream) == 0 })
	dead := e.deadLetters()
	if len(dead) != 1 || dead[0].Job != j || dead[0].Attempts != cfg.MaxDeliver || dead[0].Channel != ChannelWebhook ||
		!strings.Contains(dead[0].Reason, "503") {
		t.Fatalf("dead letters = %+v", dead)
	}
	// Nothing is tried after that.
	time.Sleep(200 * time.Millisecond)
	if n := rcv.count(j.StepID); n != cfg.MaxDeliver {
		t.Fatalf("receiver saw %d attempts after dead-lettering", n)
	}
	if s := w.Stats(); s.Failed[ChannelWebhook] != 1 || s.DeadLettered != 1 || s.Retries != uint64(cfg.MaxDeliver-1) {
		t.Fatalf("stats = %+v", s)
	}
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, func(string, int) int { return http.StatusGone })
	l := newLedger(t)
	w := startWorker(t, e.q, l, testConfig())
	j := webhookJob(rcv, "acme", "INV-6")
	e.enqueue(j)
	r := l.waitRecorded(t, j.StepID)
	if r.Outcome != OutcomeFailed {
		t.Fatalf("record = %+v", r)
	}
	time.Sleep(200 * time.Millisecond)
	if n := rcv.count(j.StepID); n != 1 {
		t.Fatalf("receiver saw %d attempts, want 1", n)
	}
	if dead := e.deadLetters(); len(dead) != 1 || dead[0].Attempts != 1 {
		t.Fatalf("dead letters = %+v", dead)
	}
	if s := w.Stats(); s.Retries != 0 || s.Failed[ChannelWebhook] != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestStatusClassification(t *testing.T) {
	// 408 and 429 are transient (retried), 400 permanent.
	e := newEnv(t)
	codes := map[string]int{"INV-408/reminder/2025-03-14": 408, "INV-429/reminder/2025-03-14": 429, "INV-400/reminder/2025-03-14": 400}
	rcv := newReceiver(t, func(key string, n int) int {
		if n == 1 {
			return codes[key]
		}
		return http.StatusNoContent
	})
	l := newLedger(t)
	startWorker(t, e.q, l, testConfig())
	for _, inv := range []string{"INV-408", "INV-429", "INV-400"} {
		e.enqueue(webhookJob(rcv, "acme", inv))
	}
	want := map[string]string{"INV-408": OutcomeDelivered, "INV-429": OutcomeDelivered, "INV-400": OutcomeFailed}
	for inv, outcome := range want {
		step := inv + "/reminder/2025-03-14"
		if r := l.waitRecorded(t, step); r.Outcome != outcome {
			t.Errorf("%s: outcome %q, want %q", inv, r.Outcome, outcome)
		}
	}
}

func TestNoContactIsRecordedManual(t *testing.T) {
	e := newEnv(t)
	l := newLedger(t)
	w := startWorker(t, e.q, l, testConfig()) // no SMTP configured
	none := Job{StepID: "INV-7/notice/2025-03-01", Customer: "acme", Invoice: "INV-7", Action: "notice", StepDate: "2025-03-01"}
	emailOnly := none
	emailOnly.StepID, emailOnly.Email = "INV-8/notice/2025-03-01", "ap@acme.example"
	e.enqueue(none, emailOnly)
	for _, j := range []Job{none, emailOnly} {
		if r := l.waitRecorded(t, j.StepID); r.Channel != ChannelManual || r.Outcome != OutcomeNoContact {
			t.Fatalf("%s: record = %+v", j.StepID, r)
		}
	}
	eventually(t, 5*time.Second, "stats", func() bool { return w.Stats().NoContact == 2 })
}

func TestEmailDelivered(t *testing.T) {
	e := newEnv(t)
	smtpd := newSMTPServer(t)
	l := newLedger(t)
	cfg := testConfig()
	cfg.SMTPAddr, cfg.SMTPFrom = smtpd.addr(), "Arkeep Receivables <ar@arkeep.example>"
	w := startWorker(t, e.q, l, cfg)

	j := Job{StepID: "INV-9/short_payment_notice/PAY-1", Customer: "acme", CustomerName: "Acme Søn GmbH",
		Invoice: "INV-9", Action: "short_payment_notice", StepDate: "2025-03-10", Currency: "EUR",
		Outstanding: "99.99", Due: "2025-03-31", Email: "ap@acme.example"}
	bad := j
	bad.StepID, bad.Email = "INV-10/reminder/2025-03-14", "reject@acme.example"
	e.enqueue(j, bad)

	if r := l.waitRecorded(t, j.StepID); r.Channel != ChannelEmail || r.Outcome != OutcomeDelivered {
		t.Fatalf("record = %+v", r)
	}
	m, body, n := smtpd.message(MessageID(j.StepID))
	if n != 1 {
		t.Fatalf("SMTP server got %d messages with Message-ID %s", n, MessageID(j.StepID))
	}
	if got := m.Header.Get("Message-ID"); !strings.HasSuffix(got, "@arkeep>") || len(got) != len("<@arkeep>")+32 {
		t.Fatalf("Message-ID %q", got)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "ap@acme.example" || to[0].Name != "Acme Søn GmbH" {
		t.Fatalf("To = %v, %v", to, err)
	}
	for _, want := range []string{"INV-9", "99.99 EUR", "Due date: 2025-03-31", "Dear Acme Søn GmbH"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	// A 550 for the recipient is permanent.
	if r := l.waitRecorded(t, bad.StepID); r.Channel != ChannelEmail || r.Outcome != OutcomeFailed {
		t.Fatalf("rejected: record = %+v", r)
	}
	if _, _, n := smtpd.message(MessageID(bad.StepID)); n != 0 {
		t.Fatalf("rejected message was stored")
	}
	eventually(t, 5*time.Second, "stats", func() bool {
		s := w.Stats()
		return s.Delivered[ChannelEmail] == 1 && s.Failed[ChannelEmail] == 1 && s.Retries == 0
	})
}

func TestTwoWorkersShareTheQueue(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, nil)
	smtpd := newSMTPServer(t)
	l := newLedger(t)
	cfg := testConfig()
	cfg.SMTPAddr, cfg.SMTPFrom = smtpd.addr(), "ar@arkeep.example"
	// Two instances, each with its own connection.
	w1 := startWorker(t, e.queueOn(e.connect()), l, cfg)
	w2 := startWorker(t, e.queueOn(e.connect()), l, cfg)

	const n = 200
	var jobs []Job
	for i := range n {
		j := webhookJob(rcv, fmt.Sprintf("cust-%d", i%17), fmt.Sprintf("INV-%03d", i))
		if i%4 == 0 {
			j.Webhook, j.Email = "", fmt.Sprintf("ap%d@example.com", i)
		}
		jobs = append(jobs, j)
	}
	e.enqueue(jobs...)
	e.enqueue(jobs[:50]...) // a second clock run: duplicates
	eventually(t, 20*time.Second, "all recorded", func() bool { return l.len() == n })
	eventually(t, 5*time.Second, "queue empty", func() bool { return e.streamMsgs(JobsStream) == 0 })

	for _, j := range jobs {
		r, calls, _ := l.get(j.StepID)
		if r.Outcome != OutcomeDelivered || calls != 1 {
			t.Errorf("%s: record %+v, %d RecordSent calls", j.StepID, r, calls)
		}
		if j.Webhook != "" {
			if c := rcv.count(j.StepID); c != 1 {
				t.Errorf("%s: %d webhook deliveries", j.StepID, c)
			}
		} else if _, _, c := smtpd.message(MessageID(j.StepID)); c != 1 {
			t.Errorf("%s: %d emails", j.StepID, c)
		}
	}
	s1, s2 := w1.Stats(), w2.Stats()
	total := s1.Delivered[ChannelWebhook] + s2.Delivered[ChannelWebhook] + s1.Delivered[ChannelEmail] + s2.Delivered[ChannelEmail]
	if total != n {
		t.Fatalf("delivered %d, want %d (w1 %+v, w2 %+v)", total, n, s1, s2)
	}
	if s1.Delivered[ChannelWebhook] == 0 || s2.Delivered[ChannelWebhook] == 0 {
		t.Logf("work not shared: w1 %+v, w2 %+v", s1, s2)
	}
}

func TestRecordFailureIsRetriedNotAcked(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, nil)
	l := newLedger(t)
	var failed atomic.Bool
	l.failRecord = func(string) error {
		if failed.CompareAndSwap(false, true) {
			return errors.New("ledger unavailable")
		}
		return nil
	}
	w := startWorker(t, e.q, l, testConfig())
	j := webhookJob(rcv, "acme", "INV-11")
	e.enqueue(j)
	r := l.waitRecorded(t, j.StepID)
	if r.Outcome != OutcomeDelivered {
		t.Fatalf("record = %+v", r)
	}
	eventually(t, 5*time.Second, "job acked", func() bool { return e.streamMsgs(JobsStream) == 0 })
	if n := rcv.count(j.StepID); n < 1 || n > 2 {
		t.Fatalf("receiver saw %d deliveries, want 1 or 2", n)
	}
	if _, calls, _ := l.get(j.StepID); calls != 1 {
		t.Fatalf("recorded %d times, want 1", calls)
	}
	if s := w.Stats(); s.LedgerErrors != 1 || s.Delivered[ChannelWebhook] != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

// A worker dies between delivering and recording: its connection goes away
// with the job unacked. After AckWait the server hands the job to another
// instance, which delivers again with the same Idempotency-Key and records
// once.
func TestCrashBetweenDeliverAndRecord(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, nil)
	cfg := testConfig()
	cfg.AckWait, cfg.WebhookTimeout = 1*time.Second, 400*time.Millisecond

	books := newLedger(t)
	// Instance A: RecordSent hangs (the process is about to die).
	hung := &hangingLedger{fakeLedger: books, entered: make(chan struct{}), release: make(chan struct{})}
	ncA := e.connect()
	wA, err := NewWorker(e.queueOn(ncA), hung, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var runA sync.WaitGroup
	runA.Add(1)
	go func() { defer runA.Done(); _ = wA.Run(ctxT(t)) }()

	j := webhookJob(rcv, "acme", "INV-12")
	e.enqueue(j)
	select {
	case <-hung.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("worker A never reached RecordSent")
	}
	if n := rcv.count(j.StepID); n != 1 {
		t.Fatalf("receiver saw %d deliveries before the crash", n)
	}
	// Crash: A's connection is gone; nothing it sends reaches the server.
	ncA.Close()
	close(hung.release)
	_ = wA.Close()
	runA.Wait()

	// Instance B takes over after AckWait.
	startWorker(t, e.queueOn(e.connect()), books, cfg)
	eventually(t, 10*time.Second, "record by B", func() bool {
		_, calls, ok := books.get(j.StepID)
		return ok && calls >= 1
	})
	eventually(t, 5*time.Second, "job acked", func() bool { return e.streamMsgs(JobsStream) == 0 })
	if n := rcv.count(j.StepID); n != 2 {
		t.Fatalf("receiver saw Idempotency-Key %d times, want 2 (one repeat after the crash)", n)
	}
	if r, calls, _ := books.get(j.StepID); calls != 1 || r.Outcome != OutcomeDelivered {
		t.Fatalf("record %+v, %d times", r, calls)
	}
}

// hangingLedger blocks the first RecordSent until released, then fails it
// (the process died before the write reached the books).
type hangingLedger struct {
	*fakeLedger
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (h *hangingLedger) RecordSent(ctx context.Context, j Job, channel, outcome string) error {
	first := false
	h.once.Do(func() { first = true })
	if !first {
		return h.fakeLedger.RecordSent(ctx, j, channel, outcome)
	}
	close(h.entered)
	<-h.release
	return errors.New("process died")
}

// Jobs survive a server restart, and a step done before a restart is not
// sent again when enqueued after it.
func TestSurvivesServerRestart(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, nil)
	l := newLedger(t)
	var jobs []Job
	for i := range 3 {
		jobs = append(jobs, webhookJob(rcv, "acme", fmt.Sprintf("INV-R%d", i)))
	}
	e.enqueue(jobs...)
	e.stop()
	e.start()
	if n := e.streamMsgs(JobsStream); n != 3 {
		t.Fatalf("after restart the queue holds %d jobs, want 3", n)
	}
	w, err := NewWorker(e.q, l, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	eventually(t, 10*time.Second, "all recorded", func() bool { return l.len() == 3 })
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	e.stop()
	e.start()
	e.enqueue(jobs...)
	startWorker(t, e.q, l, testConfig())
	eventually(t, 5*time.Second, "queue empty", func() bool { return e.streamMsgs(JobsStream) == 0 })
	for _, j := range jobs {
		if n := rcv.count(j.StepID); n != 1 {
			t.Errorf("%s delivered %d times", j.StepID, n)
		}
	}
}

// A message that is not a job is dead-lettered with its raw body and removed.
func TestUndecodableJobIsDeadLettered(t *testing.T) {
	e := newEnv(t)
	l := newLedger(t)
	w := startWorker(t, e.q, l, testConfig())
	if _, err := e.js.Publish(ctxT(t), JobSubject("acme"), []byte("not json")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "job removed", func() bool { return e.streamMsgs(JobsStream) == 0 })
	dead := e.deadLetters()
	if len(dead) != 1 || string(dead[0].Raw) != "not json" || !strings.Contains(dead[0].Reason, "undecodable") {
		t.Fatalf("dead letters = %+v", dead)
	}
	if s := w.Stats(); s.DeadLettered != 1 || l.len() != 0 {
		t.Fatalf("stats = %+v, records %d", s, l.len())
	}
}
