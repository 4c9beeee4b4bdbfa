package projections

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
)

// SnapshotStore keeps snapshot blobs by name (eventstore.Snapshots in production).
type SnapshotStore interface {
	Put(ctx context.Context, name string, data []byte) error
	Get(ctx context.Context, name string) ([]byte, bool, error)
}

// snapshotName is the object the live projection saves. Part of the stored data.
const snapshotName = "projection-books"

// snapshotFile is what a snapshot blob holds: the books folded up to Seq, and the
// sequence of the last commit on each subject (what the command side needs for its
// expected-sequence checks).
type snapshotFile struct {
	Seq      uint64
	At       time.Time
	Books    domain.Snapshot
	Subjects map[string]uint64
}

// Snapshot is a decoded snapshot: books folded up to Seq (stored at At), and the last
// commit sequence of each subject.
type Snapshot struct {
	Seq      uint64
	At       time.Time
	Books    *domain.Books
	Subjects map[string]uint64
}

// encodeSnapshot writes books folded up to seq. gob is enough: a snapshot is a cache
// read by the same build (domain.SnapshotVersion guards the shape), never an interface.
func encodeSnapshot(seq uint64, at time.Time, books *domain.Books, subjects map[string]uint64) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(snapshotFile{Seq: seq, At: at, Books: books.Snapshot(), Subjects: subjects}); err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

// decodeSnapshot reads a snapshot blob.
func decodeSnapshot(data []byte) (*Snapshot, error) {
	var f snapshotFile
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&f); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	books, err := domain.Restore(f.Books)
	if err != nil {
		return nil, err
	}
	if f.Subjects == nil {
		f.Subjects = map[string]uint64{}
	}
	return &Snapshot{Seq: f.Seq, At: f.At, Books: books, Subjects: f.Subjects}, nil
}

// LoadSnapshot returns the latest snapshot if there is a usable one: readable by this
// build and not newer than the stream (a stream recreated since would make it a lie).
// Otherwise nil: fold from zero. Each call decodes afresh, so callers do not share
// books.
func LoadSnapshot(ctx context.Context, snaps SnapshotStore, r Replayer) *Snapshot {
	data, ok, err := snaps.Get(ctx, snapshotName)
	if err != nil || !ok {
		return nil
	}
	s, err := decodeSnapshot(data)
	if err != nil || !usable(ctx, r, s.Seq) {
		return nil
	}
	return s
}

// SaveSnapshot stores the projection's books with their stream sequence. The books
// are encoded under the read lock (folding waits meanwhile), so the snapshot is one
// consistent point of the stream.
func (l *Live) SaveSnapshot(ctx context.Context, snaps SnapshotStore) (uint64, error) {
	l.mu.RLock()
	seq, at := l.seq, l.at
	data, err := encodeSnapshot(seq, at, l.books, l.subjects)
	l.mu.RUnlock()
	if err != nil {
		return 0, err
	}
	return seq, snaps.Put(ctx, snapshotName, data)
}

// SnapshotEvery saves a snapshot every interval when at least minEvents new stream
// messages were folded since the last one, until ctx ends. Errors go to logf.
func (l *Live) SnapshotEvery(ctx context.Context, snaps SnapshotStore, interval time.Duration, minEvents uint64, logf func(string, ...any)) {
	last, _, _ := l.Position()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, _, _ := l.Position()
		if cur < last+minEvents {
			continue
		}
		seq, err := l.SaveSnapshot(ctx, snaps)
		if err != nil {
			logf("snapshot: %v", err)
			continue
		}
		last = seq
	}
}

// lastSeqer is implemented by stores that know their last sequence.
type lastSeqer interface {
	LastSeq(ctx context.Context) (uint64, error)
}

// StartLiveFrom starts the live projection from the latest usable snapshot and folds
// only the stream after it; without one it folds from zero. from is the snapshot's
// sequence, or 0.
func StartLiveFrom(ctx context.Context, w Watcher, snaps SnapshotStore) (l *Live, from uint64, err error) {
	s := LoadSnapshot(ctx, snaps, w)
	if s == nil {
		l, err = StartLive(ctx, w)
		return l, 0, err
	}
	// Restored books sort all their invoices by id on the first id-ordered read (they
	// were not noted as they were recorded): at a million invoices that is a second or
	// two, paid here at start-up instead of by the first report.
	s.Books.InvoicesByID()
	l, err = startLive(ctx, w, s.Books, s.Seq, s.At, s.Subjects)
	return l, s.Seq, err
}

func usable(ctx context.Context, r Replayer, seq uint64) bool {
	ls, ok := r.(lastSeqer)
	if !ok {
		return false
	}
	last, err := ls.LastSeq(ctx)
	return err == nil && seq <= last
}

var _ SnapshotStore = (*eventstore.Snapshots)(nil)
