package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/internal/jsonquote"
)

// claimLog makes new entity ids (invoices, payments, credit notes, violations) unique
// across accounts and across processes. Every claim and release is an entry of the
// claim log, one subject of the stream (eventstore.ClaimLogSubject); each message is a
// batch of entries appended with the subject's last sequence as its expectation, so
// a writer's batch is decided against the whole log before it, and a writer that lost
// a race reads what it missed and decides again.
//
// The log is a group commit: callers queue their entries, and one of them (whichever
// finds no write in flight) writes everything queued as one message. With fsync on
// every write the store's limit is messages per second; a claim per message (the
// earlier format, one create-once subject per id) capped an import at about one
// event per two messages.
//
// Ids are kept in memory, by digest, for the life of the process: a claim whose commit
// never landed (a crash in between) still blocks its id for every other command, and
// the command that made it finds it its own on a retry.
type claimLog struct {
	store Store

	loadMu   sync.Mutex // serialises loading; loaded is set under mu too
	mu       sync.Mutex
	loaded   bool
	seq      uint64            // last log message folded
	owners   map[digest]digest // claimKey -> digest of the owner ("scope\ncommand id")
	queue    []*claimRequest
	flushing bool
	batched  map[digest]digest // decideLocked's claims of one batch, kept to be reused
}

type digest [16]byte

func digestString(s string) digest {
	sum := sha256.Sum256([]byte(s))
	var d digest
	copy(d[:], sum[:16])
	return d
}

// claimKey is the key of an id within its kind. It goes through eventstore.Token, so a
// claim of the earlier per-id format (whose subject holds kind and token) has the same
// key as a log entry for the same id.
func claimKey(kind, id string) digest { return digestString(kind + "." + eventstore.Token(id)) }

// claimEntry is one entry of the log, as stored: the id, its kind, and the command
// that claims it ("scope\ncommand id"), or gives it back (Release).
type claimEntry struct {
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	Owner   string `json:"owner"`
	Release bool   `json:"release,omitempty"`
}

// appendEntries appends entries as json.Marshal writes them, without its reflection:
// an import writes a claim for most of its commands, and Marshal was 1.5% of its CPU.
// TestEntriesPrintAsMarshal holds the two to the same bytes.
func appendEntries(dst []byte, entries []claimEntry) []byte {
	dst = append(dst, '[')
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"kind":`...)
		dst = jsonquote.Append(dst, e.Kind, true)
		dst = append(dst, `,"id":`...)
		dst = jsonquote.Append(dst, e.ID, true)
		dst = append(dst, `,"owner":`...)
		dst = jsonquote.Append(dst, e.Owner, true)
		if e.Release {
			dst = append(dst, `,"release":true`...)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// claimRequest is one caller's entries, with their digests made once (see keyed);
// won[i] says whether entry i's id is held by its owner once the request is done (for
// a release: whether it was given back).
type claimRequest struct {
	entries []claimEntry
	keyed   []keyedEntry
	won     []bool
	err     error
	done    chan struct{}
}

// keyedEntry is an entry as the in-memory log compares it.
type keyedEntry struct {
	key, owner digest
	release    bool
}

func keyOf(e claimEntry) keyedEntry {
	return keyedEntry{key: claimKey(e.Kind, e.ID), owner: digestString(e.Owner), release: e.Release}
}

func newClaimLog(store Store) *claimLog {
	return &claimLog{store: store, owners: map[digest]digest{}}
}

// claim claims the entries' ids for their owners and reports, per entry, whether the
// owner holds it: false means another command holds it.
func (l *claimLog) claim(ctx context.Context, entries []claimEntry) ([]bool, error) {
	return l.submit(ctx, entries)
}

// release gives back ids whose commands were refused after all; an id held by another
// owner is left alone.
func (l *claimLog) release(ctx context.Context, entries []claimEntry) error {
	for i := range entries {
		entries[i].Release = true
	}
	_, err := l.submit(ctx, entries)
	return err
}

// submit queues a request and waits for it. If no write is in flight the caller writes
// the queue itself; the write uses a context the caller's cancellation does not end,
// since it carries other callers' entries too.
func (l *claimLog) submit(ctx context.Context, entries []claimEntry) ([]bool, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	r := &claimRequest{entries: entries, keyed: make([]keyedEntry, len(entries)), won: make([]bool, len(entries)), done: make(chan struct{})}
	for i, e := range entries {
		r.keyed[i] = keyOf(e)
	}
	l.mu.Lock()
	l.queue = append(l.queue, r)
	lead := !l.flushing
	l.flushing = true
	l.mu.Unlock()
	if lead {
		l.drain(context.WithoutCancel(ctx))
	}
	select {
	case <-r.done:
		return r.won, r.err
	case <-ctx.Done():
		// The entries may still be written: a claim without its commit is what a crash
		// leaves too, and the command finds it its own when it is retried.
		return nil, ctx.Err()
	}
}

// maxClaimBatch bounds the entries of one log message (about 100 bytes each).
const maxClaimBatch = 2000

// drain writes queued requests until the queue is empty.
func (l *claimLog) drain(ctx context.Context) {
	for {
		l.mu.Lock()
		var batch []*claimRequest
		n := 0
		for len(l.queue) > 0 && (n == 0 || n+len(l.queue[0].entries) <= maxClaimBatch) {
			n += len(l.queue[0].entries)
			batch = append(batch, l.queue[0])
			l.queue = l.queue[1:]
		}
		if len(batch) == 0 {
			l.flushing = false
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		err := l.write(ctx, batch)
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
	}
}

// write decides a batch against the log and appends what it changes, catching up and
// deciding again when another writer appended first.
func (l *claimLog) write(ctx context.Context, batch []*claimRequest) error {
	for attempt := 1; ; attempt++ {
		if err := l.ensureLoaded(ctx); err != nil {
			return err
		}
		l.mu.Lock()
		changes, keyed := l.decideLocked(batch)
		expected := l.seq
		l.mu.Unlock()
		if len(changes) == 0 {
			return nil
		}
		data := appendEntries(make([]byte, 0, 96*len(changes)), changes)
		sum := sha256.Sum256(data)
		msgID := fmt.Sprintf("claims:%d:%s", expected, hex.EncodeToString(sum[:12]))
		seq, dup, err := l.store.Append(ctx, eventstore.ClaimLogSubject, msgID, expected, data)
		switch {
		case err == nil && !dup:
			l.mu.Lock()
			if l.seq == expected { // nothing was folded meanwhile (only a writer folds)
				for _, k := range keyed {
					l.apply(k)
				}
				l.seq = seq
			}
			l.mu.Unlock()
			// Decide again on the log as it now stands: every entry is then settled.
			continue
		case err == nil && dup, errors.Is(err, eventstore.ErrConflict):
			// Another writer appended first, or this very batch landed before a retry:
			// read what was written and decide again.
			if attempt >= maxAttempts {
				return fmt.Errorf("claim log: still conflicting after %d attempts: %w", attempt, eventstore.ErrConflict)
			}
			if err := l.catchUp(ctx); err != nil {
				return err
			}
			backOff(attempt)
		default:
			return fmt.Errorf("claim log: %w", err)
		}
	}
}

// decideLocked settles what the log already answers (won or lost) and returns the
// entries still to be written, as stored and as keyed: claims of free ids (the first
// in the batch wins) and releases of ids their owner holds.
func (l *claimLog) decideLocked(batch []*claimRequest) ([]claimEntry, []keyedEntry) {
	// Sized once: a batch of an import's group commits holds hundreds of entries.
	n := 0
	for _, r := range batch {
		n += len(r.keyed)
	}
	changes, keyed := make([]claimEntry, 0, n), make([]keyedEntry, 0, n)
	if l.batched == nil {
		l.batched = map[digest]digest{}
	}
	pending := l.batched // claims in this batch not yet in the log
	defer clear(pending)
	for _, r := range batch {
		for i, k := range r.keyed {
			held, taken := l.owners[k.key]
			if p, ok := pending[k.key]; ok {
				held, taken = p, true
			}
			switch {
			case k.release:
				r.won[i] = !taken
				if taken && held == k.owner {
					changes, keyed = append(changes, r.entries[i]), append(keyed, k)
				}
			case taken:
				r.won[i] = held == k.owner
			default:
				pending[k.key] = k.owner
				changes, keyed = append(changes, r.entries[i]), append(keyed, k)
			}
		}
	}
	return changes, keyed
}

// apply folds one entry in log order: a claim of a free id takes it, a release by its
// holder frees it; anything else changes nothing.
func (l *claimLog) apply(k keyedEntry) {
	held, taken := l.owners[k.key]
	switch {
	case k.release && taken && held == k.owner:
		delete(l.owners, k.key)
	case !k.release && !taken:
		l.owners[k.key] = k.owner
	}
}

// catchUp folds the log messages written after the last one folded.
func (l *claimLog) catchUp(ctx context.Context) error {
	l.mu.Lock()
	after := l.seq
	l.mu.Unlock()
	msgs, err := l.store.ReadSubject(ctx, eventstore.ClaimLogSubject, after)
	if err != nil {
		return fmt.Errorf("claim log: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range msgs {
		if m.Seq <= l.seq {
			continue
		}
		var entries []claimEntry
		if err := json.Unmarshal(m.Data, &entries); err != nil {
			return fmt.Errorf("claim log: stream sequence %d: %w", m.Seq, err)
		}
		for _, e := range entries {
			l.apply(keyOf(e))
		}
		l.seq = m.Seq
	}
	return nil
}

// ensureLoaded folds the claims of the earlier per-id format (stores written before
// the claim log), then the log, once. The service does it when it loads (a log of a
// million ids takes a moment), and the first write does it for a service that did not.
func (l *claimLog) ensureLoaded(ctx context.Context) error {
	l.loadMu.Lock()
	defer l.loadMu.Unlock()
	l.mu.Lock()
	loaded := l.loaded
	l.mu.Unlock()
	if loaded {
		return nil
	}
	msgs, err := l.store.ReadSubject(ctx, eventstore.LegacyClaimSubjects, 0)
	if err != nil {
		return fmt.Errorf("claim log: earlier claims: %w", err)
	}
	l.mu.Lock()
	for _, m := range msgs {
		key := digestString(strings.TrimPrefix(m.Subject, eventstore.LegacyClaimPrefix))
		if eventstore.IsLegacyRelease(m.Data) {
			// A release follows its claim on the same subject: it frees the id.
			delete(l.owners, key)
			continue
		}
		l.apply(keyedEntry{key: key, owner: digestString(string(m.Data))})
	}
	l.loaded = true
	l.mu.Unlock()
	return l.catchUp(ctx)
}
