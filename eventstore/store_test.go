package eventstore

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestOpenStreamConfig(t *testing.T) {
	env := newEnv(t)
	info, err := env.store.StreamInfo(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	c := info.Config
	if c.Name != "AR" || len(c.Subjects) != 1 || c.Subjects[0] != "ar.>" {
		t.Errorf("name/subjects = %q %v", c.Name, c.Subjects)
	}
	if !c.DenyDelete || !c.DenyPurge {
		t.Errorf("DenyDelete=%v DenyPurge=%v, want both true", c.DenyDelete, c.DenyPurge)
	}
	if c.Discard != jetstream.DiscardNew {
		t.Errorf("Discard = %v, want DiscardNew", c.Discard)
	}
	if c.Retention != jetstream.LimitsPolicy || c.Storage != jetstream.FileStorage {
		t.Errorf("Retention=%v Storage=%v", c.Retention, c.Storage)
	}
	if c.MaxMsgs != -1 || c.MaxBytes != -1 || c.MaxAge != 0 || c.MaxMsgsPerSubject != -1 {
		t.Errorf("limits: msgs=%d bytes=%d age=%v perSubject=%d", c.MaxMsgs, c.MaxBytes, c.MaxAge, c.MaxMsgsPerSubject)
	}
	if c.Replicas != 1 || c.AllowDirect || c.Duplicates != 2*time.Minute {
		t.Errorf("Replicas=%d AllowDirect=%v Duplicates=%v", c.Replicas, c.AllowDirect, c.Duplicates)
	}

	// Opening again is an idempotent update.
	if _, err := Open(testCtx(t), env.nc, Config{}); err != nil {
		t.Fatalf("re-Open: %v", err)
	}
}

func TestAppendExpectedSequence(t *testing.T) {
	env := newEnv(t)
	st := env.store
	subj := AccountSubject("acme")

	s1 := mustAppend(t, st, subj, 0, "a")

	_, _, err := st.Append(testCtx(t), subj, "", 0, []byte("b"))
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("second append with expected 0: got %v, want ErrConflict", err)
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != 10071 {
		t.Errorf("want APIError 10071 kept in chain, got %v", err)
	}

	// Another subject's writes do not disturb this subject's expectation.
	other := mustAppend(t, st, AccountSubject("other"), 0, "x")
	s2 := mustAppend(t, st, subj, s1, "b")
	if s2 <= other {
		t.Fatalf("seq %d should follow %d", s2, other)
	}

	// A stale expectation conflicts; so does a "future" one.
	for _, exp := range []uint64{s1, s2 + 100} {
		if _, _, err := st.Append(testCtx(t), subj, "", exp, []byte("c")); !errors.Is(err, ErrConflict) {
			t.Errorf("expected %d: got %v, want ErrConflict", exp, err)
		}
	}
}

// TestAppendRetrySameMsgID pins how a single-node server treats a retried
// publish. The server evaluates Nats-Expected-Last-Subject-Sequence before
// the Nats-Msg-Id de-duplication, so a byte-identical retry (same msgID,
// same expectation) whose original landed is answered with 10071, i.e.
// ErrConflict, not with duplicate=true. Only when the expectation still
// matches (here: the retry carries the original's resulting sequence) does
// the duplicate check answer, with the original's sequence.
func TestAppendRetrySameMsgID(t *testing.T) {
	env := newEnv(t)
	st := env.store
	subj := AccountSubject("acme")

	seq, dup, err := st.Append(testCtx(t), subj, "cmd-1", 0, []byte("a"))
	if err != nil || dup {
		t.Fatalf("first append: seq=%d dup=%v err=%v", seq, dup, err)
	}

	_, _, err = st.Append(testCtx(t), subj, "cmd-1", 0, []byte("a"))
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("identical retry: got %v, want ErrConflict (10071)", err)
	}

	seq2, dup, err := st.Append(testCtx(t), subj, "cmd-1", seq, []byte("a"))
	if err != nil || !dup || seq2 != seq {
		t.Fatalf("retry with current expectation: seq=%d dup=%v err=%v, want seq=%d dup=true", seq2, dup, err, seq)
	}

	got, err := st.ReadSubject(testCtx(t), subj, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("subject must hold exactly one message, got %d (%v)", len(got), err)
	}
}

func TestAppendAsync(t *testing.T) {
	env := newEnv(t)
	st := env.store

	const n = 50
	pend := make([]Pending, n)
	for i := range n {
		p, err := st.AppendAsync(AccountSubject(fmt.Sprintf("a%d", i)), fmt.Sprintf("m%d", i), 0, []byte{byte(i)})
		if err != nil {
			t.Fatalf("AppendAsync %d: %v", i, err)
		}
		pend[i] = p
	}
	seen := map[uint64]bool{}
	for i, p := range pend {
		seq, dup, err := p.Wait(testCtx(t))
		if err != nil || dup || seen[seq] {
			t.Fatalf("Wait %d: seq=%d dup=%v err=%v", i, seq, dup, err)
		}
		seen[seq] = true
	}
	eventually(t, 5*time.Second, "no async pending", func() bool { return st.AsyncPending() == 0 })

	// Conflicts map the same way asynchronously.
	p, err := st.AppendAsync(AccountSubject("a0"), "", 0, []byte("again"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Wait(testCtx(t)); !errors.Is(err, ErrConflict) {
		t.Fatalf("async conflict: got %v, want ErrConflict", err)
	}
}

func TestAppendStoreFull(t *testing.T) {
	env := startEnv(t, EmbeddedConfig{StoreDir: t.TempDir(), SyncAlways: true, MaxFileStore: 1 << 20})
	st := env.store
	subj := AccountSubject("big")
	payload := bytes.Repeat([]byte("x"), 64<<10)

	var last uint64
	var full error
	for i := 0; i < 64; i++ {
		seq, _, err := st.Append(testCtx(t), subj, fmt.Sprintf("m%d", i), last, payload)
		if err != nil {
			full = err
			break
		}
		last = seq
	}
	if full == nil {
		t.Fatal("4 MiB appended to a 1 MiB store without refusal")
	}
	if !errors.Is(full, ErrStoreFull) {
		t.Fatalf("got %v, want ErrStoreFull", full)
	}
	t.Logf("refused after %d messages: %v", last, full)
	if last == 0 {
		t.Fatal("no message was accepted before the store filled up")
	}

	got, err := st.ReadSubject(testCtx(t), subj, 0)
	if err != nil {
		t.Fatalf("ReadSubject on full store: %v", err)
	}
	if uint64(len(got)) != last || !bytes.Equal(got[len(got)-1].Data, payload) {
		t.Fatalf("read %d messages, want %d intact", len(got), last)
	}
}
