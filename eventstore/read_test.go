package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func TestReadSubject(t *testing.T) {
	env := newEnv(t)
	st := env.store
	a, b := AccountSubject("a"), AccountSubject("b")

	if got, err := st.ReadSubject(testCtx(t), a, 0); err != nil || len(got) != 0 {
		t.Fatalf("empty subject: %v, %v", got, err)
	}

	// Interleave two subjects and the ledger.
	var lastA, lastB uint64
	var want []string
	mustAppend(t, st, LedgerSubject, 0, "ledger")
	for i := range 20 {
		lastA = mustAppend(t, st, a, lastA, fmt.Sprintf("a%d", i))
		want = append(want, fmt.Sprintf("a%d", i))
		lastB = mustAppend(t, st, b, lastB, fmt.Sprintf("b%d", i))
	}

	got, err := st.ReadSubject(testCtx(t), a, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(datas(got)) != fmt.Sprint(want) {
		t.Fatalf("ReadSubject(a) = %v, want %v", datas(got), want)
	}
	for i, m := range got {
		if m.Subject != a || m.Time.IsZero() || (i > 0 && m.Seq <= got[i-1].Seq) {
			t.Fatalf("bad message %d: %+v", i, m)
		}
	}

	// afterSeq trims the prefix.
	tail, err := st.ReadSubject(testCtx(t), a, got[9].Seq)
	if err != nil || fmt.Sprint(datas(tail)) != fmt.Sprint(want[10:]) {
		t.Fatalf("ReadSubject(a, after %d) = %v, %v", got[9].Seq, datas(tail), err)
	}
	if rest, err := st.ReadSubject(testCtx(t), a, lastA); err != nil || len(rest) != 0 {
		t.Fatalf("after last: %v, %v", rest, err)
	}
}

// TestReadSubjectWhileOthersWrite reads a large subject while another
// goroutine keeps appending elsewhere: the read must end at the subject's
// last message and never see foreign subjects.
func TestReadSubjectWhileOthersWrite(t *testing.T) {
	env := newEnv(t)
	st := env.store
	subj := AccountSubject("big")

	// Fill the subject with pipelined async appends. Each expects the
	// previous sequence; while nothing else writes, the subject's sequences
	// are exactly 1..n, so the expectations are known up front.
	// Waiting per batch stays under the client's async in-flight limit.
	const n, batch = 5000, 500
	pend := make([]Pending, 0, batch)
	for i := range n {
		p, err := st.AppendAsync(subj, "", uint64(i), []byte(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		pend = append(pend, p)
		if len(pend) == batch || i == n-1 {
			for _, p := range pend {
				if _, _, err := p.Wait(testCtx(t)); err != nil {
					t.Fatal(err)
				}
			}
			pend = pend[:0]
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var seq uint64
		for ctx.Err() == nil {
			s, _, err := st.Append(ctx, AccountSubject("noise"), "", seq, []byte("n"))
			if err != nil {
				return
			}
			seq = s
		}
	}()
	defer func() { cancel(); wg.Wait() }()

	start := time.Now()
	got, err := st.ReadSubject(testCtx(t), subj, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("read %d messages in %s", len(got), time.Since(start))
	if len(got) != n {
		t.Fatalf("got %d messages, want %d", len(got), n)
	}
	for i, m := range got {
		if m.Subject != subj || string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("message %d = %s %q", i, m.Subject, m.Data)
		}
	}
}

func TestReplay(t *testing.T) {
	env := newEnv(t)
	st := env.store

	if last, err := st.Replay(testCtx(t), 0, func(Msg) error { t.Fatal("called on empty stream"); return nil }); err != nil || last != 0 {
		t.Fatalf("empty replay: %d, %v", last, err)
	}

	var want []string
	lasts := map[string]uint64{}
	for i := range 30 {
		subj := AccountSubject(fmt.Sprint("acct", i%3))
		lasts[subj] = mustAppend(t, st, subj, lasts[subj], fmt.Sprint(i))
		want = append(want, fmt.Sprint(i))
	}
	streamLast, err := st.LastSeq(testCtx(t))
	if err != nil || streamLast != 30 {
		t.Fatalf("LastSeq = %d, %v", streamLast, err)
	}

	// Appending during the replay must not extend it.
	var got []string
	var prev uint64
	last, err := st.Replay(testCtx(t), 0, func(m Msg) error {
		if m.Seq != prev+1 {
			return fmt.Errorf("seq %d after %d", m.Seq, prev)
		}
		prev = m.Seq
		got = append(got, string(m.Data))
		if m.Seq == 1 {
			mustAppend(t, st, AccountSubject("late"), 0, "late")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != streamLast || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Replay = %d %v, want %d %v", last, got, streamLast, want)
	}

	// Resume from where we left off picks up the late message only.
	got = nil
	last, err = st.Replay(testCtx(t), last, func(m Msg) error { got = append(got, string(m.Data)); return nil })
	if err != nil || last != streamLast+1 || len(got) != 1 || got[0] != "late" {
		t.Fatalf("resumed Replay = %d %v %v", last, got, err)
	}

	// An error from fn stops the replay and reports the last accepted seq.
	boom := errors.New("boom")
	last, err = st.Replay(testCtx(t), 0, func(m Msg) error {
		if m.Seq == 5 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || last != 4 {
		t.Fatalf("failing fn: last=%d err=%v", last, err)
	}
}

func TestWatch(t *testing.T) {
	env := newEnv(t)
	st := env.store
	subj := AccountSubject("w")
	s1 := mustAppend(t, st, subj, 0, "1")
	s2 := mustAppend(t, st, subj, s1, "2")

	var mu sync.Mutex
	var got []Msg
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	stop, err := st.Watch(ctx, s1, func(m Msg) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }

	eventually(t, 5*time.Second, "backlog", func() bool { return count() == 1 })
	s3 := mustAppend(t, st, subj, s2, "3")
	mustAppend(t, st, LedgerSubject, 0, "L")
	eventually(t, 5*time.Second, "live messages", func() bool { return count() == 3 })

	mu.Lock()
	if got[0].Seq != s2 || got[1].Seq != s3 || string(got[2].Data) != "L" {
		t.Fatalf("watched %+v", got)
	}
	mu.Unlock()

	stop()
	stop() // idempotent
	s4 := mustAppend(t, st, subj, s3, "4")

	// A second watcher seeing message 4 shows it was delivered to
	// subscribers; the stopped one must not have received it.
	var seen4 atomic.Bool
	stop2, err := st.Watch(testCtx(t), s3, func(m Msg) {
		if m.Seq == s4 {
			seen4.Store(true)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop2()
	eventually(t, 5*time.Second, "second watcher to see message 4", seen4.Load)
	if c := count(); c != 3 {
		t.Fatalf("delivered %d messages after stop", c)
	}
}

// Reads pull messages in batches; a batch of large messages must not go past what the
// server lets a client have pending (max_pending, 64 MiB by default): past it the
// server takes the client for a slow consumer and closes its connection, which is
// what a full replay of a million-command ledger of group commits (tens of kilobytes a
// message) met. Here the server allows 8 MiB and one subject holds 1100 messages of
// 64 KiB (70 MiB); Replay, ReadSubject and Watch must read them whole.
func TestReadsOfLargeMessagesStayUnderMaxPending(t *testing.T) {
	srv, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(),
		DontListen: true, NoLog: true, NoSigs: true, MaxPending: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	nc, err := ConnectEmbedded(srv)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := Open(ctx, nc, Config{})
	if err != nil {
		t.Fatal(err)
	}
	const n, size = 1100, 64 << 10
	payload := make([]byte, size)
	subject := AccountSubject("big")
	for i := range n {
		if _, err := st.JetStream().PublishAsync(subject, payload); err != nil {
			t.Fatal(err)
		}
		if i%64 == 63 {
			select {
			case <-st.JetStream().PublishAsyncComplete():
			case <-ctx.Done():
				t.Fatal("publish acks did not arrive")
			}
		}
	}
	select {
	case <-st.JetStream().PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("publish acks did not arrive")
	}
	var replayed int
	if _, err := st.Replay(ctx, 0, func(Msg) error { replayed++; return nil }); err != nil || replayed != n {
		t.Fatalf("Replay: %d of %d messages, %v", replayed, n, err)
	}
	msgs, err := st.ReadSubject(ctx, subject, 0)
	if err != nil || len(msgs) != n {
		t.Fatalf("ReadSubject: %d of %d messages, %v", len(msgs), n, err)
	}
	var watched atomic.Int64
	all := make(chan struct{})
	stop, err := st.Watch(ctx, 0, func(Msg) {
		if watched.Add(1) == n {
			close(all)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	select {
	case <-all:
	case <-time.After(20 * time.Second):
		t.Fatalf("Watch: %d of %d messages (connection closed: %v)", watched.Load(), n, nc.IsClosed())
	}
}
