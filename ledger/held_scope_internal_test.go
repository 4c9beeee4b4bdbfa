package ledger

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
)

const (
	heldRegisterX = `{"cmd":"RegisterCustomer","id":"r","on":"2026-01-01","customer":"X","name":"X","grade":2,"terms_days":30,"collector":"c"}`
	heldInvoiceX  = `{"cmd":"IssueInvoice","id":"%s","on":"2026-01-03","invoice":"%s","customer":"X","amount":"100.00","currency":"CNY"}`
)

func heldInvoice(id, invoice string) string { return fmt.Sprintf(heldInvoiceX, id, invoice) }

// booksDigest lists each account's registration and invoices: enough to tell a
// half-loaded account from a whole one.
func booksDigest(s *Service) string {
	var b strings.Builder
	s.View(func(books *domain.Books) {
		for _, a := range books.Accounts() {
			fmt.Fprintf(&b, "%s registered=%v invoices=[", a.ID(), a.Registered())
			for _, inv := range a.Invoices() {
				fmt.Fprintf(&b, " %s", inv.ID)
			}
			b.WriteString(" ]\n")
		}
	})
	return b.String()
}

// A group commit that fails drops the account to fold it again. A catch-up of the
// whole stream that runs in between (here: while a claim is given back) must not fold
// the account's later commits onto the emptied books and mark it current: the account
// would stay half-loaded (no registration, so every later command on it refused).
func TestGroupUndoWithConcurrentCatchUpRefoldsWholeAccount(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	s := memService(t, st)
	memRecord(t, s, heldRegisterX)
	if _, err := s.CatchUpAll(ctx); err != nil { // seen: the registration
		t.Fatal(err)
	}
	memRecord(t, s, heldInvoice("i1", "INV-1")) // after seen: a catch-up reads it again

	// INV-3 is claimed by someone else: the group undoes, giving INV-2's claim back,
	// and a catch-up of the whole stream runs right then.
	st.mu.Lock()
	lastClaims := st.lastOnLocked(eventstore.ClaimLogSubject)
	st.mu.Unlock()
	if _, _, err := st.Append(ctx, eventstore.ClaimLogSubject, "other", lastClaims,
		[]byte(`[{"kind":"invoice","id":"INV-3","owner":"Y\nother"}]`)); err != nil {
		t.Fatal(err)
	}
	st.afterRelease = func() {
		if _, err := s.CatchUpAll(ctx); err != nil {
			t.Error(err)
		}
	}
	_, errs := s.executeGroup(ctx, "X", []batch.Item{
		memItem(t, heldInvoice("i2", "INV-2")),
		memItem(t, heldInvoice("i3", "INV-3")),
	})
	if errs[0] != nil {
		t.Errorf("INV-2 after the undo: %v, want it recorded one by one", errs[0])
	}
	if fe, ok := domain.Refusal(errs[1]); !ok || fe.Reason != domain.Duplicate {
		t.Errorf("INV-3: %v, want refused as claimed by another command", errs[1])
	}
	want := "X registered=true invoices=[ INV-1 INV-2 ]\n"
	if got := booksDigest(s); got != want {
		t.Errorf("the service's books after the undo:\n%s want\n%s", got, want)
	}
	if got, fresh := booksDigest(s), booksDigest(memService(t, st)); got != fresh {
		t.Errorf("the service's books differ from a fold of the store:\n%s vs\n%s", got, fresh)
	}
	// And the account is decided on as recorded afterwards.
	memRecord(t, s, heldInvoice("i4", "INV-4"))
}

// While a group's decisions are applied ahead of its commit, a catch-up skips the
// account. If another instance writes to the account right after the group commit and
// that catch-up skips it too, the group's writer must read it: the catch-up counted it
// as seen, so nothing else would fold it until the next conflict on the account.
func TestGroupCommitReadsCommitsACatchUpSkipped(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	s := memService(t, st)
	memRecord(t, s, heldRegisterX)
	other := memService(t, st) // another instance, which knows X
	st.afterAppend = func(uint64) {
		// The group's commit has just landed: the other instance writes after it, and
		// a catch-up of the whole stream runs before the group's writer lets go of X.
		memRecord(t, other, heldInvoice("i9", "INV-9"))
		if _, err := s.CatchUpAll(ctx); err != nil {
			t.Error(err)
		}
	}
	_, errs := s.executeGroup(ctx, "X", []batch.Item{
		memItem(t, heldInvoice("i2", "INV-2")),
		memItem(t, heldInvoice("i3", "INV-3")),
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
	}
	want := "X registered=true invoices=[ INV-2 INV-3 INV-9 ]\n"
	if got := booksDigest(s); got != want {
		t.Errorf("the service's books after the group commit:\n%s want\n%s", got, want)
	}
	if got, fresh := booksDigest(s), booksDigest(memService(t, st)); got != fresh {
		t.Errorf("the service's books differ from a fold of the store:\n%s vs\n%s", got, fresh)
	}
}

// Result.Seq is the sequence of the commit that recorded the command: readers wait
// for their projection to reach it, for grouped commands as for single ones.
func TestGroupResultsCarryTheirCommitSeq(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	s := memService(t, st)
	memRecord(t, s, heldRegisterX)
	results, errs := s.executeGroup(ctx, "X", []batch.Item{
		memItem(t, heldInvoice("i2", "INV-2")),
		memItem(t, heldInvoice("i3", "INV-3")),
	})
	last, _ := st.LastSeq(ctx)
	for i, r := range results {
		if errs[i] != nil || !r.Recorded || r.Seq != last {
			t.Errorf("item %d: %+v, %v; want recorded with Seq %d (the group's commit)", i, r, errs[i], last)
		}
	}
}

// Load folds the whole stream: the first CatchUpAll after it has nothing to replay
// unless something was written since.
func TestLoadCountsTheReplayAsSeen(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	memRecord(t, memService(t, st), heldRegisterX)
	s := memService(t, st)
	replays := st.replayCount()
	moved, err := s.CatchUpAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if moved || st.replayCount() != replays {
		t.Errorf("first CatchUpAll after Load: moved=%v, %d replays more; want nothing to read", moved, st.replayCount()-replays)
	}
	// What is written since is still read.
	memRecord(t, memService(t, st), heldInvoice("i1", "INV-1"))
	if moved, err := s.CatchUpAll(ctx); err != nil || !moved {
		t.Fatalf("CatchUpAll after another instance's write: moved=%v, %v", moved, err)
	}
	if got, want := booksDigest(s), "X registered=true invoices=[ INV-1 ]\n"; got != want {
		t.Errorf("books after the catch-up:\n%s want\n%s", got, want)
	}
}

// CatchUp reads one account's commits, not the whole stream.
func TestCatchUpReadsOneAccount(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	s := memService(t, st)
	other := memService(t, st)
	memRecord(t, other, heldRegisterX)
	memRecord(t, other, heldInvoice("i1", "INV-1"))
	replays := st.replayCount()
	if err := s.CatchUp(ctx, "X"); err != nil {
		t.Fatal(err)
	}
	if st.replayCount() != replays {
		t.Errorf("CatchUp replayed the whole stream")
	}
	if got, want := booksDigest(s), "X registered=true invoices=[ INV-1 ]\n"; got != want {
		t.Errorf("books after CatchUp(X):\n%s want\n%s", got, want)
	}
}
