package decodeahead_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventcodec"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/internal/decodeahead"
	"github.com/arkeep/arkeep/internal/stacktest"
)

// Commits reach fn decoded and in stream order, other subjects undecoded; a commit
// that does not decode stops the replay, and the sequence returned is the last one
// fn accepted, not the last one read (the reader runs ahead of the fold).
func TestReplayInOrderAndStopsAtABadCommit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := stacktest.StartStore(t).Store
	appendCommit := func(account string, data []byte) uint64 {
		t.Helper()
		seq, _, err := st.Append(ctx, eventstore.AccountSubject(account), "", 0, data)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	const n = 2000
	for i := range n {
		acct := fmt.Sprintf("C%d", i)
		data, err := eventcodec.EncodeCommit(eventcodec.Commit{Scope: eventcodec.ScopeAccount, Account: acct,
			Commands: []eventcodec.CommandRecord{{ID: "r", Hash: "h", RecordedAt: time.Now().UTC(), Events: []domain.Event{
				domain.CustomerRegistered{On: domain.MustDate("2026-01-02"), Customer: acct, Name: acct, Grade: 1, TermsDays: 30, Collector: "c"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		appendCommit(acct, data)
		if i%100 == 0 { // a claim-log message now and then: passed on, not decoded
			if _, err := st.JetStream().Publish(ctx, eventstore.ClaimLogSubject, []byte("[]")); err != nil {
				t.Fatal(err)
			}
		}
	}

	var seen []uint64
	var commits int
	last, err := decodeahead.Replay(ctx, st, 0, func(m eventstore.Msg, c *eventcodec.Commit) error {
		seen = append(seen, m.Seq)
		if c != nil {
			commits++
			if want := strings.TrimPrefix(m.Subject, "ar.acct."); c.Account != want {
				return fmt.Errorf("seq %d: commit of %q on %s", m.Seq, c.Account, m.Subject)
			}
		} else if eventstore.IsCommitSubject(m.Subject) {
			return fmt.Errorf("seq %d: a commit passed on undecoded", m.Seq)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if seen[i] != uint64(i+1) {
			t.Fatalf("message %d has sequence %d: out of order or missing", i, seen[i])
		}
	}
	if commits != n || last != seen[len(seen)-1] {
		t.Fatalf("%d commits, last %d; want %d commits, last %d", commits, last, n, seen[len(seen)-1])
	}

	before := last
	bad := appendCommit("broken", []byte(`{"v":1,`))
	for i := range 500 { // far more than the reader needs to run ahead
		appendCommit(fmt.Sprintf("after%d", i), []byte(`{}`))
	}
	last, err = decodeahead.Replay(ctx, st, 0, func(eventstore.Msg, *eventcodec.Commit) error { return nil })
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("stream sequence %d", bad)) {
		t.Fatalf("replay over a bad commit at %d: err = %v", bad, err)
	}
	if last != before {
		t.Fatalf("replay stopped at %d returned %d, want %d (the last one folded)", bad, last, before)
	}
}
