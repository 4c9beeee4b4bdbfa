package ledger_test

import (
	"fmt"
	"sync"
	"testing"
)

// Refusals make a service catch up with the stream while other goroutines' commits
// have landed but are not yet applied by their writers. Every commit must be folded
// exactly once: the service's own books must equal a fresh fold of the stream.
func TestCatchUpDuringConcurrentWritesAppliesEachCommitOnce(t *testing.T) {
	e := newEnv(t)
	svc := e.service(nil)
	const accounts, rounds = 6, 15
	for a := 0; a < accounts; a++ {
		mustRecordAll(t, svc,
			fmt.Sprintf(`{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"K%d","name":"K","grade":2,"terms_days":30,"collector":"wang"}`, a),
			fmt.Sprintf(`{"cmd":"IssueInvoice","id":"i","on":"2026-01-02","invoice":"INV-K%d","customer":"K%d","amount":"100000.00","currency":"CNY"}`, a, a))
	}
	var wg sync.WaitGroup
	for a := 0; a < accounts; a++ {
		wg.Add(1)
		go func(a int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				mustRecord(t, svc, fmt.Sprintf(`{"cmd":"RecordPayment","id":"p%d","on":"2026-01-10","payment":"PAY-K%d-%d","customer":"K%d","amount":"10.00","currency":"CNY"}`, r, a, r, a))
				// Refused (no such invoice): triggers a catch-up with the whole stream.
				if _, err := submit(t, svc, fmt.Sprintf(`{"cmd":"GrantExtension","id":"x%d-%d","on":"2026-01-11","invoice":"NOPE-%d-%d","due":"2026-03-01"}`, a, r, a, r)); err == nil {
					t.Errorf("extension of an unknown invoice was recorded")
				}
			}
		}(a)
	}
	wg.Wait()
	if got, want := serviceReports(t, svc, "2026-01-31"), reports(t, e.st, "2026-01-31"); got != want {
		t.Fatalf("the service's books differ from a fold of the stream:\nservice: %s\nstream:  %s", got, want)
	}
}

// TestCatchUpAllAfterOwnCommit: a service's own commit must not count as having read
// what another instance wrote before it. A records on K4 after B wrote K5's customer
// and invoice; A's catch-up must still fold K5.
func TestCatchUpAllAfterOwnCommit(t *testing.T) {
	e := newEnv(t)
	a, b := e.service(nil), e.service(nil)
	mustRecord(t, a, `{"cmd":"RegisterCustomer","id":"r4","on":"2026-01-01","customer":"K4","name":"Four","grade":1,"terms_days":30,"collector":"c"}`)
	mustRecord(t, b, `{"cmd":"RegisterCustomer","id":"r5","on":"2026-01-01","customer":"K5","name":"Five","grade":1,"terms_days":30,"collector":"c"}`)
	mustRecord(t, b, `{"cmd":"IssueInvoice","id":"i5","on":"2026-01-02","invoice":"INV-K5","customer":"K5","amount":"500.00","currency":"CNY"}`)
	mustRecord(t, a, `{"cmd":"IssueInvoice","id":"i4","on":"2026-01-02","invoice":"INV-K4","customer":"K4","amount":"400.00","currency":"CNY"}`)
	if _, err := a.CatchUpAll(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if got, want := serviceReports(t, a, "2026-01-31"), reports(t, e.st, "2026-01-31"); got != want {
		t.Fatalf("A's books after catch-up differ from the stream's:\n%s", firstDiff(got, want))
	}
}
