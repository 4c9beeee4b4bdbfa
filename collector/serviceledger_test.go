package collector

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/ledger"
)

// replayCounter counts the whole-stream replays a service makes.
type replayCounter struct {
	ledger.Store
	n atomic.Int64
}

func (r *replayCounter) Replay(ctx context.Context, after uint64, fn func(eventstore.Msg) error) (uint64, error) {
	r.n.Add(1)
	return r.Store.Replay(ctx, after, fn)
}

// Sent sees a reminder another instance recorded, by reading the customer's account
// alone: the worker asks once per job, and a catch-up with the whole stream each time
// would read everything written since.
func TestServiceLedgerSentReadsTheCustomersAccount(t *testing.T) {
	e := newEnv(t)
	open := func(wrap func(ledger.Store) ledger.Store) *ledger.Service {
		st, err := eventstore.Open(ctxT(t), e.connect(), eventstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		svc := ledger.New(wrap(st), time.Now)
		if err := svc.Load(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		return svc
	}
	counter := &replayCounter{}
	reader := open(func(st ledger.Store) ledger.Store { counter.Store = st; return counter })
	writer := open(func(st ledger.Store) ledger.Store { return st })
	today := func() domain.Date { return domain.MustDate("2026-02-03") }

	for _, line := range []string{
		`{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-01","customer":"C1","name":"One","grade":3,"terms_days":30,"collector":"wang"}`,
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-01","invoice":"INV-1","customer":"C1","amount":"100.00","currency":"CNY"}`,
	} {
		cmd, hash, err := batch.ParseCommand([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := writer.Execute(ctxT(t), cmd, hash); err != nil {
			t.Fatal(err)
		}
	}
	j := Job{StepID: "C1/INV-1/remind/2026-02-03", Customer: "C1", Invoice: "INV-1", Action: domain.ActReminder.String(), StepDate: "2026-02-03"}
	r := ServiceLedger{Service: reader, Today: today}
	before := counter.n.Load()
	if sent, err := r.Sent(ctxT(t), "C1", j.StepID); err != nil || sent {
		t.Fatalf("Sent before anything was recorded: %v, %v", sent, err)
	}
	if err := (ServiceLedger{Service: writer, Today: today}).RecordSent(ctxT(t), j, "webhook", "delivered"); err != nil {
		t.Fatal(err)
	}
	if sent, err := r.Sent(ctxT(t), "C1", j.StepID); err != nil || !sent {
		t.Fatalf("Sent after another instance recorded it: %v, %v", sent, err)
	}
	if n := counter.n.Load() - before; n != 0 {
		t.Errorf("Sent replayed the whole stream %d times", n)
	}
}
