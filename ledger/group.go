package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventcodec"
	"github.com/arkeep/arkeep/eventstore"
)

// groupable reports whether a command may share a commit with others of its account:
// it names its customer and its decision reads only that account.
func groupable(c domain.Command) bool {
	if _, ok := c.(*domain.ReportViolation); ok {
		return false
	}
	_, ok := domain.CustomerOf(c)
	return ok
}

// executeGroup records several commands of one account in one commit: the way batch
// import gets past one fsync per command. Each command is decided against the books
// with the ones before it applied, exactly as if they had been recorded one by one.
// The decisions are applied ahead of the commit, with the scope held (see
// Service.held); if the commit (or an id claim) fails, the account is folded again
// from the store and the commands are executed one by one, so the outcome is the same
// as the unbatched path's.
func (s *Service) executeGroup(ctx context.Context, scope string, items []batch.Item) ([]Result, []error) {
	results := make([]Result, len(items))
	errs := make([]error, len(items))
	unlock := s.lock(scope)
	locked := true
	defer func() {
		if locked {
			unlock()
		}
	}()
	if err := s.refresh(ctx, scope); err != nil {
		return results, fill(errs, err)
	}

	// Most commands of a group are accepted: room for all of them, rather than growing
	// (and copying) each list four or five times a group.
	recs := make([]eventcodec.CommandRecord, 0, len(items))
	accepted := make([]int, 0, len(items))
	// One instant for the whole commit: its commands are recorded together, and the
	// commit then prints one timestamp instead of one per command.
	at := s.now().UTC()
	s.mu.Lock()
	s.held[scope] = 0
	for i, it := range items {
		id := domain.CommandMeta(it.Cmd).ID
		seen, err := s.checkLocked(scope, id, it.Hash)
		if err == nil && !seen {
			var events []domain.Event
			events, err = s.books.Account(scope).Decide(it.Cmd, s.books)
			if err == nil {
				err = s.checkEntityLocked(it.Cmd)
			}
			if err == nil && len(events) > 0 {
				s.books.ApplyCommand(scope, id, it.Hash, events)
				recs = append(recs, eventcodec.CommandRecord{ID: id, Hash: it.Hash, RecordedAt: at, Events: events})
				accepted = append(accepted, i)
				results[i] = Result{Recorded: true, Events: events}
			}
		}
		errs[i] = err
	}
	expected := s.seqs[scope]
	if len(recs) == 0 {
		// Nothing applied ahead, and no catch-up ran in between: let go of it here.
		delete(s.held, scope)
	}
	s.mu.Unlock()

	if len(recs) == 0 {
		// Nothing written: a refusal may come from books this instance has not caught
		// up with, so each refused command gets the same second look the one-by-one
		// path gives it, in file order.
		unlock()
		locked = false
		for i, it := range items {
			if _, refused := domain.Refusal(errs[i]); refused {
				results[i], errs[i] = s.Execute(ctx, it.Cmd, it.Hash)
			}
		}
		return results, errs
	}

	claimed, err := s.claimAll(ctx, scope, items, accepted)
	var seq uint64
	if err == nil {
		seq, err = s.appendGroup(ctx, scope, expected, recs)
	}
	if err == nil {
		s.mu.Lock()
		s.seqs[scope] = seq // not s.seen: see applyLocked
		// A catch-up that skipped a commit written after this one (by another
		// instance) counted it as seen: it is read here, or it would be missing from
		// the books until the next conflict on the account.
		settled := s.held[scope] <= seq
		if settled {
			delete(s.held, scope)
		}
		s.mu.Unlock()
		if !settled {
			// On an error the scope stays held: the next command on it folds it again.
			_ = s.settle(ctx, scope, false)
		}
		for _, i := range accepted {
			results[i].Seq = seq
		}
		// Refusals are final: the commit landed right after the account's last one,
		// so they were decided on the account as recorded. A second look now would
		// decide them against books holding the group's later lines (an invoice
		// refused, then recorded after its customer's registration further down),
		// which the one-by-one path never does.
		return results, errs
	}

	// Undo: fold the account again from what is recorded, give the claims back, and
	// take the one-by-one path, which handles conflicts and refusals (a command too
	// large for a message of its own among them). The scope stays held until it is
	// folded again: a catch-up meanwhile must not fold the account's later commits
	// onto the dropped books.
	s.mu.Lock()
	s.books.Drop(scope)
	delete(s.seqs, scope)
	s.mu.Unlock()
	_ = s.releaseAll(context.WithoutCancel(ctx), scope, claimed)
	// Not under ctx: an import that stops on this very error cancels ctx, and the
	// account must still be folded back from what is recorded.
	if cerr := s.refresh(context.WithoutCancel(ctx), scope); cerr != nil {
		return results, fill(errs, cerr)
	}
	if errors.Is(err, eventstore.ErrTooLarge) && len(items) > 1 {
		// More than one message holds (an import's groups reach maxGroup commands):
		// record the group in two halves, in file order, each decided again.
		unlock()
		locked = false
		mid := len(items) / 2
		r1, e1 := s.executeGroup(ctx, scope, items[:mid])
		r2, e2 := s.executeGroup(ctx, scope, items[mid:])
		return append(r1, r2...), append(e1, e2...)
	}
	if !errors.Is(err, eventstore.ErrConflict) && !errors.Is(err, eventstore.ErrTooLarge) {
		var fe *domain.FieldError
		if !errors.As(err, &fe) {
			return results, fill(errs, err)
		}
	}
	unlock()
	locked = false
	for i, it := range items {
		results[i], errs[i] = s.Execute(ctx, it.Cmd, it.Hash)
	}
	return results, errs
}

// appendGroup writes the commit of a group; a duplicate counts as a conflict (the undo
// path folds the account again and sorts it out command by command).
func (s *Service) appendGroup(ctx context.Context, scope string, expected uint64, recs []eventcodec.CommandRecord) (uint64, error) {
	data, err := eventcodec.EncodeCommit(newCommit(scope, recs...))
	if err != nil {
		return 0, err
	}
	msgID := MsgID(scope, fmt.Sprintf("%s+%d", recs[0].ID, len(recs)))
	seq, dup, err := s.store.Append(ctx, subjectOf(scope), msgID, expected, data)
	if err == nil && dup {
		err = eventstore.ErrConflict
	}
	return seq, err
}

// claimAll claims the new entity ids of the accepted commands, in one request to the
// claim log. It returns the commands whose claims it holds; an id held by another
// command is a refusal.
func (s *Service) claimAll(ctx context.Context, scope string, items []batch.Item, accepted []int) ([]domain.Command, error) {
	entries := make([]claimEntry, 0, len(accepted))
	fields := make([]string, 0, len(accepted))
	cmds := make([]domain.Command, 0, len(accepted))
	for _, i := range accepted {
		cmd := items[i].Cmd
		if e, field, ok := claimOf(scope, domain.CommandMeta(cmd).ID, cmd); ok {
			entries, fields, cmds = append(entries, e), append(fields, field), append(cmds, cmd)
		}
	}
	won, err := s.claims.claim(ctx, entries)
	if err != nil {
		return nil, fmt.Errorf("claim %d ids: %w", len(entries), err)
	}
	held := make([]domain.Command, 0, len(won))
	var first error
	for i, ok := range won {
		if ok {
			held = append(held, cmds[i])
		} else if first == nil {
			first = duplicateID(entries[i], fields[i])
		}
	}
	return held, first
}

func fill(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}
