package projections

import (
	"context"
	"sync"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventcodec"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/internal/decodeahead"
)

// Watcher is the part of the event store a live projection follows.
type Watcher interface {
	Replayer
	Watch(ctx context.Context, afterSeq uint64, fn func(eventstore.Msg)) (stop func(), err error)
}

// Live keeps books folded from the stream as new commits arrive, for the running
// service's reports and pages. Readers get a consistent view under a read lock.
type Live struct {
	mu       sync.RWMutex
	books    *domain.Books
	seq      uint64            // last stream sequence folded
	subjects map[string]uint64 // last commit sequence per subject (for snapshots)
	at       time.Time         // when that message was stored
	err      error             // first fold error; the projection stops folding after it
	advanced chan struct{}     // closed when seq moves (WaitFor)
	changed  chan struct{}     // closed when a commit was folded (pages); not for claims
}

// StartLive folds the stream up to now, then follows it until ctx ends.
func StartLive(ctx context.Context, w Watcher) (*Live, error) {
	return startLive(ctx, w, domain.NewBooks(), 0, time.Time{}, map[string]uint64{})
}

// startLive folds the stream after seq into books, then follows it.
func startLive(ctx context.Context, w Watcher, books *domain.Books, seq uint64, at time.Time, subjects map[string]uint64) (*Live, error) {
	l := &Live{advanced: make(chan struct{}), changed: make(chan struct{}), subjects: subjects}
	last, err := decodeahead.Replay(ctx, w, seq, func(m eventstore.Msg, c *eventcodec.Commit) error {
		at = m.Time
		if c != nil {
			subjects[m.Subject] = m.Seq
			applyCommit(books, c, time.Time{})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	l.books, l.seq, l.at = books, max(seq, last), at
	stop, err := w.Watch(ctx, l.seq, l.apply)
	if err != nil {
		return nil, err
	}
	go func() { <-ctx.Done(); stop() }()
	return l, nil
}

func (l *Live) apply(m eventstore.Msg) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil || m.Seq <= l.seq {
		return
	}
	if err := ApplyMsg(l.books, m, time.Time{}); err != nil {
		l.err = err
		return
	}
	l.seq, l.at = m.Seq, m.Time
	close(l.advanced)
	l.advanced = make(chan struct{})
	if eventstore.IsCommitSubject(m.Subject) {
		// Only commits change what pages show: an id claim is stored just before its
		// commit, and a page reloaded on the claim would miss the commit.
		l.subjects[m.Subject] = m.Seq
		close(l.changed)
		l.changed = make(chan struct{})
	}
}

// View runs fn with the books under a read lock; fn must not keep them.
func (l *Live) View(fn func(*domain.Books)) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	fn(l.books)
}

// Position is the last folded stream sequence and the time its message was stored.
func (l *Live) Position() (uint64, time.Time, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.seq, l.at, l.err
}

// Changed returns a channel closed at the next folded commit (for pages that update
// as events arrive).
func (l *Live) Changed() <-chan struct{} {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.changed
}

// WaitFor blocks until the projection has folded seq or ctx ends: a client that just
// recorded a command can read its own write.
func (l *Live) WaitFor(ctx context.Context, seq uint64) error {
	for {
		l.mu.RLock()
		cur, err, advanced := l.seq, l.err, l.advanced
		l.mu.RUnlock()
		if err != nil {
			return err
		}
		if cur >= seq {
			return nil
		}
		select {
		case <-advanced:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
