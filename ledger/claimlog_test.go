package ledger_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
)

func invoiceLine(id, invoice, customer string) string {
	return fmt.Sprintf(`{"cmd":"IssueInvoice","id":%q,"on":"2026-01-10","invoice":%q,"customer":%q,"amount":"100.00","currency":"CNY"}`, id, invoice, customer)
}

func registerLine(customer string) string {
	return fmt.Sprintf(`{"cmd":"RegisterCustomer","id":"reg-%s","on":"2026-01-02","customer":%q,"name":%q,"grade":2,"terms_days":30,"collector":"wang"}`, customer, customer, customer)
}

func wantDuplicate(t *testing.T, what string, err error) {
	t.Helper()
	if fe, ok := domain.Refusal(err); !ok || fe.Field != "invoice" || fe.Reason != domain.Duplicate {
		t.Errorf("%s: %v, want a duplicate refusal naming invoice", what, err)
	}
}

// A store written before the claim log holds per-id claims (ar.idx.*). They still
// hold: an id claimed there by a command that never committed (a crash in between)
// is refused to any other command and granted to that command's retry, and an id
// given back there is free.
func TestClaimsOfTheEarlierFormatStillHold(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	if ok, _, err := e.st.Claim(ctx, "invoice", "INV-L", []byte("C2\ni-L")); err != nil || !ok {
		t.Fatalf("legacy claim: %v %v", ok, err)
	}
	if ok, _, err := e.st.Claim(ctx, "invoice", "INV-R", []byte("C9\nx")); err != nil || !ok {
		t.Fatalf("legacy claim: %v %v", ok, err)
	}
	if err := e.st.Release(ctx, "invoice", "INV-R", []byte("C9\nx")); err != nil {
		t.Fatal(err)
	}
	s := e.service(nil)
	mustRecordAll(t, s, registerLine("C1"), registerLine("C2"))
	_, err := submit(t, s, invoiceLine("i-1", "INV-L", "C1"))
	wantDuplicate(t, "an id claimed in the earlier format by another command", err)
	mustRecord(t, s, invoiceLine("i-R", "INV-R", "C1"))
	mustRecord(t, s, invoiceLine("i-L", "INV-L", "C2"))
}

// A claim whose commit never landed (the process died in between) blocks its id for
// every other command, on any instance, and is the retried command's own.
func TestClaimWithoutCommitIsTheRetrysOwn(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	s := e.service(nil)
	mustRecordAll(t, s, registerLine("C1"), registerLine("C2"))
	last, err := e.st.ReadSubject(ctx, eventstore.ClaimLogSubject, 0)
	if err != nil {
		t.Fatal(err)
	}
	var expected uint64
	if len(last) > 0 {
		expected = last[len(last)-1].Seq
	}
	// What a crash right after the claim leaves behind.
	if _, _, err := e.st.Append(ctx, eventstore.ClaimLogSubject, "crashed", expected,
		[]byte(`[{"kind":"invoice","id":"INV-9","owner":"C1\ni-9"}]`)); err != nil {
		t.Fatal(err)
	}
	other := e.service(nil) // loads the log before its first claim
	_, err = submit(t, other, invoiceLine("i-x", "INV-9", "C2"))
	wantDuplicate(t, "another command, new instance", err)
	_, err = submit(t, s, invoiceLine("i-y", "INV-9", "C1")) // s has not read the log since
	wantDuplicate(t, "another command, stale instance", err)
	mustRecord(t, s, invoiceLine("i-9", "INV-9", "C1"))
}

// Claims made at the same time share log messages (a group commit of the claim log),
// and each id is in the log once.
func TestConcurrentClaimsShareLogMessages(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	s := e.service(nil)
	const n = 64
	for c := 0; c < n; c++ {
		mustRecord(t, s, registerLine(fmt.Sprintf("C%02d", c)))
	}
	before, err := e.st.ReadSubject(ctx, eventstore.ClaimLogSubject, 0)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for c := 0; c < n; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cust := fmt.Sprintf("C%02d", c)
			_, errs[c] = submit(t, s, invoiceLine("i-"+cust, "INV-"+cust, cust))
		}()
	}
	wg.Wait()
	for c, err := range errs {
		if err != nil {
			t.Fatalf("invoice of C%02d: %v", c, err)
		}
	}
	msgs, err := e.st.ReadSubject(ctx, eventstore.ClaimLogSubject, 0)
	if err != nil {
		t.Fatal(err)
	}
	msgs = msgs[len(before):]
	seen := map[string]int{}
	for _, m := range msgs {
		var entries []struct{ ID string }
		if err := json.Unmarshal(m.Data, &entries); err != nil {
			t.Fatalf("claim log message %d: %v", m.Seq, err)
		}
		for _, en := range entries {
			seen[en.ID]++
		}
	}
	for c := 0; c < n; c++ {
		if id := fmt.Sprintf("INV-C%02d", c); seen[id] != 1 {
			t.Errorf("%s is in the claim log %d times, want once", id, seen[id])
		}
	}
	// One message per claim would be 64; while one write is in flight the others queue.
	if len(msgs) >= n*3/4 {
		t.Errorf("%d claims took %d log messages: claims made together are not written together", n, len(msgs))
	}
	t.Logf("%d concurrent claims in %d claim-log messages", n, len(msgs))
}
