package collector

import (
	"testing"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventcodec"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/ledger"
)

// instance is one running engine: its own connection, ledger service, queue, clock and
// worker, as two `arkeep serve` processes on one NATS would have.
type instance struct {
	svc   *ledger.Service
	clock *Clock
}

func startInstance(t *testing.T, e *env, today *domain.Date) (*instance, *eventstore.Store) {
	t.Helper()
	nc := e.connect()
	st, err := eventstore.Open(ctxT(t), nc, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	q := e.queueOn(nc)
	startWorker(t, q, ServiceLedger{Service: svc, Today: func() domain.Date { return *today }}, testConfig())
	return &instance{svc: svc, clock: &Clock{Service: svc, Policy: domain.DefaultPolicy(), Queue: q}}, st
}

func countEvents(t *testing.T, st *eventstore.Store) map[string]int {
	t.Helper()
	n := map[string]int{}
	_, err := st.Replay(ctxT(t), 0, func(m eventstore.Msg) error {
		if !eventstore.IsCommitSubject(m.Subject) {
			return nil
		}
		c, err := eventcodec.DecodeCommit(m.Data)
		if err != nil {
			return err
		}
		for _, cr := range c.Commands {
			for _, ev := range cr.Events {
				n[ev.Type()]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Two instances run their clocks on the same days: every time-driven fact is recorded
// once, every due reminder is delivered once and recorded once.
func TestTwoInstancesClockAndCollectorExactlyOnce(t *testing.T) {
	e := newEnv(t)
	recv := newReceiver(t, nil)
	today := domain.MustDate("2026-02-03")
	a, st := startInstance(t, e, &today)
	b, _ := startInstance(t, e, &today)
	for _, line := range []string{
		`{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-01","customer":"C1","name":"Dealer One","grade":3,"terms_days":30,"collector":"wang","webhook":"` + recv.url() + `"}`,
		`{"cmd":"AgreePriceProtection","id":"a1","on":"2026-01-01","customer":"C1","fund_rate":"0.01"}`,
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-01","invoice":"INV-1","customer":"C1","amount":"100.00","currency":"CNY"}`,
	} {
		cmd, hash, err := batch.ParseCommand([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.svc.Execute(ctxT(t), cmd, hash); err != nil {
			t.Fatal(err)
		}
	}
	ctx := ctxT(t)
	// 2026-02-03 is due + 3 days: grade 3's automatic reminder.
	for _, in := range []*instance{a, b, a} {
		if _, err := in.clock.Run(ctx, today); err != nil {
			t.Fatal(err)
		}
	}
	const step = "INV-1/reminder/2026-02-03"
	eventually(t, 10*time.Second, "reminder recorded", func() bool { return countEvents(t, st)[domain.TypeReminderSent] == 1 })
	// Later clock runs do not send it again.
	for _, in := range []*instance{b, a} {
		if _, err := in.clock.Run(ctx, today); err != nil {
			t.Fatal(err)
		}
	}
	// The doubtful day (due 2026-01-31 → 2026-08-01) and the close of 2026Q1.
	today = domain.MustDate("2026-08-05")
	for _, in := range []*instance{a, b} {
		if _, err := in.clock.Run(ctx, today); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // let any stray second delivery show
	if n := recv.count(step); n != 1 {
		t.Errorf("receiver saw %s %d times, want 1", step, n)
	}
	got := countEvents(t, st)
	for typ, want := range map[string]int{
		domain.TypeReminderSent:          1,
		domain.TypeInvoiceBecameDoubtful: 1,
		domain.TypeQuarterClosed:         1,
		domain.TypeFundRebated:           1,
	} {
		if got[typ] != want {
			t.Errorf("%s recorded %d times, want %d (all: %v)", typ, got[typ], want, got)
		}
	}
	var rem domain.ReminderSent
	b.svc.View(func(bk *domain.Books) {
		acc, _ := bk.Existing("C1")
		rem = acc.Reminders()[step]
	})
	if rem.Channel != ChannelWebhook || rem.Outcome != OutcomeDelivered {
		t.Errorf("reminder recorded as %s/%s, want webhook/delivered", rem.Channel, rem.Outcome)
	}
}
