package ledger

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/eventstore"
)

// memStore is an in-memory Store for the tests that need to step in between the
// service's calls: its hooks run after a call has done its work, outside its lock, so
// they may call the service (a concurrent catch-up, another instance's write) at
// exactly that point.
type memStore struct {
	mu   sync.Mutex
	msgs []eventstore.Msg
	// afterAppend: called once after a commit is appended, then cleared.
	afterAppend func(seq uint64)
	// afterRelease: called once after a claim-log message that gives ids back.
	afterRelease func()
	replays      int // Replay calls
}

func newMemStore() *memStore { return &memStore{} }

func (m *memStore) lastOnLocked(subject string) uint64 {
	var last uint64
	for _, x := range m.msgs {
		if x.Subject == subject {
			last = x.Seq
		}
	}
	return last
}

func (m *memStore) Append(ctx context.Context, subject, msgID string, expected uint64, data []byte) (uint64, bool, error) {
	m.mu.Lock()
	if m.lastOnLocked(subject) != expected {
		m.mu.Unlock()
		return 0, false, eventstore.ErrConflict
	}
	seq := uint64(len(m.msgs) + 1)
	m.msgs = append(m.msgs, eventstore.Msg{Subject: subject, Seq: seq, Data: data})
	var hook func()
	switch {
	case eventstore.IsCommitSubject(subject) && m.afterAppend != nil:
		h := m.afterAppend
		hook = func() { h(seq) }
		m.afterAppend = nil
	case subject == eventstore.ClaimLogSubject && bytes.Contains(data, []byte(`"release":true`)):
		hook, m.afterRelease = m.afterRelease, nil
	}
	m.mu.Unlock()
	if hook != nil {
		hook()
	}
	return seq, false, nil
}

func (m *memStore) ReadSubject(ctx context.Context, subject string, after uint64) ([]eventstore.Msg, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []eventstore.Msg
	for _, x := range m.msgs {
		if x.Subject == subject && x.Seq > after {
			out = append(out, x)
		}
	}
	return out, nil
}

func (m *memStore) Replay(ctx context.Context, after uint64, fn func(eventstore.Msg) error) (uint64, error) {
	m.mu.Lock()
	m.replays++
	msgs := append([]eventstore.Msg(nil), m.msgs...)
	m.mu.Unlock()
	last := after
	for _, x := range msgs {
		if x.Seq <= after {
			continue
		}
		if err := fn(x); err != nil {
			return last, err
		}
		last = x.Seq
	}
	return last, nil
}

func (m *memStore) LastSeq(ctx context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return uint64(len(m.msgs)), nil
}

func (m *memStore) replayCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.replays
}

// memItem parses one batch line.
func memItem(t *testing.T, line string) batch.Item {
	t.Helper()
	cmd, hash, err := batch.ParseCommand([]byte(line))
	if err != nil {
		t.Fatalf("ParseCommand(%s): %v", line, err)
	}
	return batch.Item{Cmd: cmd, Hash: hash}
}

// memService is a loaded service on st.
func memService(t *testing.T, st Store) *Service {
	t.Helper()
	s := New(st, time.Now)
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// memRecord executes one line and fails unless it was recorded now.
func memRecord(t *testing.T, s *Service, line string) Result {
	t.Helper()
	it := memItem(t, line)
	res, err := s.Execute(context.Background(), it.Cmd, it.Hash)
	if err != nil || !res.Recorded {
		t.Fatalf("Execute(%s): %+v, %v", line, res, err)
	}
	return res
}
