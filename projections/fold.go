// Package projections folds the event stream into read models and computes the
// finance team's reports from them. Folds are pure: the same events give the same
// books, so every report can be rebuilt from zero at any time.
package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventcodec"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/internal/decodeahead"
)

// Replayer is the part of the event store a fold reads.
type Replayer interface {
	Replay(ctx context.Context, afterSeq uint64, fn func(eventstore.Msg) error) (uint64, error)
}

// Fold reads the whole stream into books. With a non-zero knownAt only commands
// recorded up to that instant are folded: the books as they were known then.
func Fold(ctx context.Context, r Replayer, knownAt time.Time) (*domain.Books, uint64, error) {
	books := domain.NewBooks()
	last, err := decodeahead.Replay(ctx, r, 0, func(_ eventstore.Msg, c *eventcodec.Commit) error {
		if c != nil {
			applyCommit(books, c, knownAt)
		}
		return nil
	})
	return books, last, err
}

// ApplyMsg folds one stream message; index claims are skipped.
func ApplyMsg(books *domain.Books, m eventstore.Msg, knownAt time.Time) error {
	if !eventstore.IsCommitSubject(m.Subject) {
		return nil
	}
	c, err := eventcodec.DecodeCommit(m.Data)
	if err != nil {
		return fmt.Errorf("stream sequence %d: %w", m.Seq, err)
	}
	applyCommit(books, &c, knownAt)
	return nil
}

// applyCommit folds one decoded commit's commands recorded up to knownAt (all of
// them for a zero knownAt).
func applyCommit(books *domain.Books, c *eventcodec.Commit, knownAt time.Time) {
	for _, cr := range c.Commands {
		if !knownAt.IsZero() && cr.RecordedAt.After(knownAt) {
			continue
		}
		books.ApplyCommand(c.Account, cr.ID, cr.Hash, cr.Events)
	}
}
