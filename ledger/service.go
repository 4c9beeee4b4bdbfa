// Package ledger is the command side of arkeep: it routes each command to the account
// it concerns, decides it against the books as recorded, and commits the decision to
// the event store as one message with optimistic concurrency. Processes that span
// accounts (a quarter close and its bounties) are written account by account with
// command ids derived from their cause, so a retry or a second instance records each
// step once.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventcodec"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/internal/decodeahead"
)

// Store is what the service needs of the event store.
type Store interface {
	Append(ctx context.Context, subject, msgID string, expectedLastSubjectSeq uint64, data []byte) (uint64, bool, error)
	ReadSubject(ctx context.Context, subject string, afterSeq uint64) ([]eventstore.Msg, error)
	Replay(ctx context.Context, afterSeq uint64, fn func(eventstore.Msg) error) (uint64, error)
	LastSeq(ctx context.Context) (uint64, error)
}

// maxAttempts bounds the reload-and-decide-again loop on write conflicts; between
// attempts a writer backs off (backOff) so that two writers hammering one account, or
// the claim log, do not keep colliding.
const maxAttempts = 24

// maxBackOff caps the pause between two attempts.
const maxBackOff = 64 * time.Millisecond

// backOff pauses before attempt+1 after attempt conflicted: not at all after the
// first (the usual conflict is one write that came in between), then a random time
// up to a bound that doubles per attempt, to maxBackOff. The bound used to grow by a
// millisecond per attempt; on a loaded 2-core machine two writers on one account then
// still collided 24 times in a row now and then (TestTwoServicesConcurrentWritersOneAccount
// failed 10 runs in 15 with other test packages running beside it).
func backOff(attempt int) {
	if attempt < 2 {
		return
	}
	bound := min(maxBackOff, time.Millisecond<<min(attempt-1, 16))
	time.Sleep(time.Duration(rand.Int64N(int64(bound))))
}

// processHash is the content hash of commands the engine derives itself (quarter-close
// steps, bounties): their ids already encode their whole content.
const processHash = "process"

// Result says what a command did.
type Result struct {
	// Recorded is false when the command was already recorded earlier (same id, same
	// content): nothing new was written.
	Recorded bool
	// Seq is the stream sequence of the commit that recorded it, when one commit did
	// (0 otherwise): readers wait for their projection to reach it.
	Seq    uint64
	Events []domain.Event
}

// Service decides and records commands.
type Service struct {
	store Store
	now   func() time.Time

	mu    sync.RWMutex // guards books, seqs, seen and held
	books *domain.Books
	seqs  map[string]uint64 // scope ("" = ledger) -> subject sequence of its last commit
	// seen: every stream message up to it is folded, except the commits of held scopes,
	// which whoever holds the scope folds when it lets go of it.
	seen uint64
	// held marks scopes whose books a catch-up must not extend: decisions applied ahead
	// of their group commit, or books dropped to be folded again whose re-fold has not
	// finished (the store was unavailable). Folding a held scope's later commits onto
	// such books would leave the account half-loaded with its sequence current, so no
	// later catch-up would read the rest. Only the holder of the scope's lock settles a
	// held scope (refresh folds it before anything is decided on it). The value is the
	// sequence of the last commit of the scope that a catch-up skipped meanwhile, so
	// that the holder reads what it may not have.
	held map[string]uint64

	locks sync.Map // scope -> *sync.Mutex: one command in flight per account

	claims *claimLog
}

// New returns a service over a store. Call Load before Execute.
func New(store Store, now func() time.Time) *Service {
	books := domain.NewBooks()
	books.SkipInvoiceIndex() // the service decides commands; reports run on the projection
	return &Service{store: store, now: now, books: books, seqs: map[string]uint64{}, held: map[string]uint64{},
		claims: newClaimLog(store)}
}

// Load folds the whole stream into the service's books.
func (s *Service) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// What the replay delivered is folded: counting it as seen spares the first
	// CatchUpAll a second replay of the whole stream. On an error it is the last
	// message folded, so a catch-up takes up from there.
	last, err := decodeahead.Replay(ctx, s.store, 0, func(m eventstore.Msg, c *eventcodec.Commit) error {
		if c != nil {
			s.foldCommitLocked(m.Seq, *c)
		}
		return nil
	})
	s.seen = max(s.seen, last)
	if err != nil {
		return err
	}
	return s.claims.ensureLoaded(ctx)
}

// commitOf decodes a stream message; ok is false for what is not a commit (an id claim).
func commitOf(m eventstore.Msg) (c eventcodec.Commit, ok bool, err error) {
	if !eventstore.IsCommitSubject(m.Subject) {
		return c, false, nil
	}
	c, err = eventcodec.DecodeCommit(m.Data)
	if err != nil {
		return c, false, fmt.Errorf("stream sequence %d: %w", m.Seq, err)
	}
	return c, true, nil
}

// foldLocked folds one stream message: a commit is applied, unless its scope is held
// (see Service.held: the holder folds it), a claim skipped.
func (s *Service) foldLocked(m eventstore.Msg) error {
	c, ok, err := commitOf(m)
	if !ok {
		return err
	}
	s.foldCommitLocked(m.Seq, c)
	return nil
}

// foldCommitLocked folds a decoded commit, unless its scope is held.
func (s *Service) foldCommitLocked(seq uint64, c eventcodec.Commit) {
	if skipped, held := s.held[c.Account]; held {
		s.held[c.Account] = max(skipped, seq)
		return
	}
	s.applyLocked(seq, c)
}

// LoadFrom starts the books from a snapshot of them folded up to seq (see
// projections.LoadSnapshot), with the last commit sequence of each subject, then folds
// the rest of the stream. The books must be the service's own copy.
func (s *Service) LoadFrom(ctx context.Context, books *domain.Books, seq uint64, subjects map[string]uint64) error {
	s.mu.Lock()
	s.books, s.seen = books, seq
	s.seqs = map[string]uint64{}
	for _, a := range books.Accounts() {
		if n, ok := subjects[eventstore.AccountSubject(a.ID())]; ok {
			s.seqs[a.ID()] = n
		}
	}
	if n, ok := subjects[eventstore.LedgerSubject]; ok {
		s.seqs[""] = n
	}
	s.mu.Unlock()
	if _, err := s.CatchUpAll(ctx); err != nil {
		return err
	}
	return s.claims.ensureLoaded(ctx)
}

// applyLocked folds one commit. A commit is applied once even when two paths see it
// (this writer after its append, and a concurrent catch-up that read it first): a
// scope's commits have increasing sequences, so an old one is skipped.
func (s *Service) applyLocked(seq uint64, c eventcodec.Commit) {
	if seq <= s.seqs[c.Account] {
		return
	}
	for _, cr := range c.Commands {
		s.books.ApplyCommand(c.Account, cr.ID, cr.Hash, cr.Events)
	}
	s.seqs[c.Account] = seq
	// s.seen is not moved here: it means "every message up to it is folded", and a
	// commit of this scope says nothing of other scopes' commits before it. Moving it
	// to this service's own latest commit made CatchUpAll skip, for good, what another
	// instance wrote just before (found by TestClusterTwoServicesSameAccounts).
}

// View runs fn with read access to the books.
func (s *Service) View(fn func(*domain.Books)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(s.books)
}

// Execute decides and records one command. hash is the command's content hash; the
// same id with the same hash is recorded once, with another hash refused.
//
// Another instance may have written what the command refers to (a customer, an
// invoice) after this service last read the stream; so before a refusal is final the
// service catches up with the whole stream, if it moved, and decides once more.
func (s *Service) Execute(ctx context.Context, cmd domain.Command, hash string) (Result, error) {
	res, err := s.execute(ctx, cmd, hash)
	if _, refused := domain.Refusal(err); !refused {
		return res, err
	}
	moved, serr := s.CatchUpAll(ctx)
	if serr != nil {
		return res, serr
	}
	if !moved {
		return res, err
	}
	return s.execute(ctx, cmd, hash)
}

// CatchUp folds the commits of one account (scope "" = the ledger) written since this
// service last read it, by any instance: what a reader of that account alone needs,
// without reading the whole stream.
func (s *Service) CatchUp(ctx context.Context, scope string) error {
	unlock := s.lock(scope)
	defer unlock()
	if err := s.refresh(ctx, scope); err != nil {
		return err
	}
	return s.catchUp(ctx, scope)
}

// CatchUpAll folds every commit written to the stream since this service last read
// it, by any instance. It reports whether there was anything new.
func (s *Service) CatchUpAll(ctx context.Context) (bool, error) {
	last, err := s.store.LastSeq(ctx)
	if err != nil {
		return false, err
	}
	s.mu.RLock()
	seen := s.seen
	s.mu.RUnlock()
	if last <= seen {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Only what was read counts as seen: a replay cut short must be taken up again
	// from where it stopped, or the commits after that point would be skipped for good.
	visited := s.seen
	_, err = s.store.Replay(ctx, s.seen, func(m eventstore.Msg) error {
		if err := s.foldLocked(m); err != nil {
			return err
		}
		visited = m.Seq
		return nil
	})
	if err != nil {
		s.seen = max(s.seen, visited)
		return true, err
	}
	s.seen = max(s.seen, last)
	return true, nil
}

func (s *Service) execute(ctx context.Context, cmd domain.Command, hash string) (Result, error) {
	if c, ok := cmd.(*domain.CloseQuarter); ok {
		return s.closeQuarter(ctx, c, hash)
	}
	scope, err := s.route(cmd)
	if err != nil {
		return Result{}, err
	}
	id := domain.CommandMeta(cmd).ID
	return s.commit(ctx, scope, id, hash, func(b *domain.Books) ([]domain.Event, error) {
		return b.Account(scope).Decide(cmd, b)
	}, cmd)
}

func (s *Service) route(cmd domain.Command) (string, error) {
	if c, ok := domain.CustomerOf(cmd); ok {
		return c, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if inv, ok := domain.InvoiceOf(cmd); ok {
		if c, ok := s.books.InvoiceOwner(inv); ok {
			return c, nil
		}
		return "", &domain.FieldError{Field: "invoice", Reason: domain.Unknown, Msg: fmt.Sprintf("invoice %q does not exist", inv)}
	}
	var vid string
	switch c := cmd.(type) {
	case *domain.ConfirmViolation:
		vid = c.Violation
	case *domain.RejectViolation:
		vid = c.Violation
	default:
		return "", fmt.Errorf("ledger: no route for %T", cmd)
	}
	if c, ok := s.books.ViolationOwner(vid); ok {
		return c, nil
	}
	return "", &domain.FieldError{Field: "violation", Reason: domain.Unknown, Msg: fmt.Sprintf("violation %q does not exist", vid)}
}

func (s *Service) lock(scope string) func() {
	m, _ := s.locks.LoadOrStore(scope, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

func subjectOf(scope string) string {
	if scope == "" {
		return eventstore.LedgerSubject
	}
	return eventstore.AccountSubject(scope)
}

// commit runs the decide-append loop for one command on one scope. cmd, when not nil,
// is checked for globally unique entity ids.
func (s *Service) commit(ctx context.Context, scope, id, hash string,
	decide func(*domain.Books) ([]domain.Event, error), cmd domain.Command) (Result, error) {

	unlock := s.lock(scope)
	defer unlock()
	if err := s.refresh(ctx, scope); err != nil {
		return Result{}, err
	}
	claimed := false // this command holds its entity id's claim
	release := func() {
		if claimed {
			// Best effort: a claim left behind only blocks the id until an operator frees it.
			_ = s.releaseClaim(context.WithoutCancel(ctx), scope, id, cmd)
		}
	}
	for attempt := 1; ; attempt++ {
		s.mu.Lock()
		seen, err := s.checkLocked(scope, id, hash)
		var events []domain.Event
		if err == nil && !seen {
			events, err = decide(s.books)
		}
		if err == nil && !seen && cmd != nil {
			err = s.checkEntityLocked(cmd)
		}
		expected := s.seqs[scope]
		s.mu.Unlock()
		if err != nil {
			release()
			return Result{}, err
		}
		if seen || len(events) == 0 {
			return Result{Recorded: false}, nil
		}
		if cmd != nil && !claimed {
			if err := s.claim(ctx, scope, id, cmd); err != nil {
				return Result{}, err
			}
			_, _, _, claimed = domain.NewEntity(cmd)
		}
		c := newCommit(scope, eventcodec.CommandRecord{ID: id, Hash: hash, RecordedAt: s.now().UTC(), Events: events})
		data, err := eventcodec.EncodeCommit(c)
		if err != nil {
			release()
			return Result{}, err
		}
		seq, dup, err := s.store.Append(ctx, subjectOf(scope), MsgID(scope, id), expected, data)
		switch {
		case err == nil && !dup:
			s.mu.Lock()
			s.applyLocked(seq, c)
			s.mu.Unlock()
			return Result{Recorded: true, Events: events, Seq: seq}, nil
		case err == nil && dup, errors.Is(err, eventstore.ErrConflict):
			// Someone else wrote to this account (or this very commit landed before a
			// retry): catch up and decide again against the books as they now stand.
			if attempt >= maxAttempts {
				release()
				return Result{}, fmt.Errorf("account %q: still conflicting after %d attempts: %w", scope, attempt, eventstore.ErrConflict)
			}
			if err := s.catchUp(ctx, scope); err != nil {
				return Result{}, err
			}
			backOff(attempt)
		case errors.Is(err, eventstore.ErrTooLarge):
			// Refused before anything was written: the same command never fits, so it
			// is refused like bad input, and its claim is given back.
			release()
			return Result{}, domain.Invalidf(batch.FieldJSON, "the command's events come to %d bytes stored, more than the store takes in one message (%v)", len(data), err)
		default:
			// The store refused or failed (full, unreachable): whether the commit landed
			// is unknown, so the claim stays; a retry of the same command finds it ours.
			return Result{}, err
		}
	}
}

// newCommit is the commit of records on scope ("" = the ledger).
func newCommit(scope string, records ...eventcodec.CommandRecord) eventcodec.Commit {
	c := eventcodec.Commit{Scope: eventcodec.ScopeAccount, Account: scope, Commands: records}
	if scope == "" {
		c.Scope = eventcodec.ScopeLedger
	}
	return c
}

// MsgID is the JetStream de-duplication id of a command's commit: command ids are
// unique per account, the duplicate window is stream-wide.
func MsgID(scope, commandID string) string {
	if scope == "" {
		return "ledger/" + commandID
	}
	return "acct/" + scope + "/" + commandID
}

func (s *Service) checkLocked(scope, id, hash string) (bool, error) {
	if scope == "" {
		return s.books.Ledger().CheckCommand(id, hash)
	}
	return s.books.Account(scope).CheckCommand(id, hash)
}

func (s *Service) checkEntityLocked(cmd domain.Command) error {
	kind, eid, field, ok := domain.NewEntity(cmd)
	if !ok {
		return nil
	}
	if owner, taken := s.books.EntityOwner(kind, eid); taken {
		return &domain.FieldError{Field: field, Reason: domain.Duplicate,
			Msg: fmt.Sprintf("%s %q already exists (customer %q)", field, eid, owner)}
	}
	return nil
}

// claim makes a new entity id globally unique with an entry in the claim log. A claim
// that already holds this very command (a retry after a crash) counts as ours.
func (s *Service) claim(ctx context.Context, scope, cmdID string, cmd domain.Command) error {
	entry, field, ok := claimOf(scope, cmdID, cmd)
	if !ok {
		return nil
	}
	won, err := s.claims.claim(ctx, []claimEntry{entry})
	if err != nil {
		return fmt.Errorf("claim %s %q: %w", entry.Kind, entry.ID, err)
	}
	if !won[0] {
		return duplicateID(entry, field)
	}
	return nil
}

func duplicateID(e claimEntry, field string) error {
	return &domain.FieldError{Field: field, Reason: domain.Duplicate,
		Msg: fmt.Sprintf("%s %q is already used by another command", field, e.ID)}
}

// claimOf is the claim-log entry of the entity id a command creates; ok is false when
// it creates none.
func claimOf(scope, cmdID string, cmd domain.Command) (e claimEntry, field string, ok bool) {
	kind, eid, field, ok := domain.NewEntity(cmd)
	if !ok {
		return e, "", false
	}
	return claimEntry{Kind: kind, ID: eid, Owner: string(claimOwner(scope, cmdID))}, field, true
}

func (s *Service) releaseClaim(ctx context.Context, scope, cmdID string, cmd domain.Command) error {
	entry, _, ok := claimOf(scope, cmdID, cmd)
	if !ok {
		return nil
	}
	return s.claims.release(ctx, []claimEntry{entry})
}

// releaseAll gives back the ids of commands of scope, in one request.
func (s *Service) releaseAll(ctx context.Context, scope string, cmds []domain.Command) error {
	var entries []claimEntry
	for _, c := range cmds {
		if e, _, ok := claimOf(scope, domain.CommandMeta(c).ID, c); ok {
			entries = append(entries, e)
		}
	}
	return s.claims.release(ctx, entries)
}

// claimOwner is what a claim holds: the command that made it, so that a retry of that
// command finds the claim its own and only that command gives it back.
func claimOwner(scope, cmdID string) []byte {
	return []byte(scope + "\n" + cmdID)
}

// refresh settles a held scope (see Service.held) before anything is decided on it; the
// caller holds the scope's lock.
func (s *Service) refresh(ctx context.Context, scope string) error {
	s.mu.RLock()
	_, held := s.held[scope]
	s.mu.RUnlock()
	if !held {
		return nil
	}
	if err := s.settle(ctx, scope, true); err != nil {
		return fmt.Errorf("account %q must be read again from the store first: %w", scope, err)
	}
	return nil
}

// settle folds a held scope's commits and lets go of it; the caller holds the scope's
// lock. whole: its books are not to be trusted (decisions of a failed group commit, a
// re-fold cut short), so the whole subject is read and the books are dropped and
// folded again under one s.mu.Lock, so that nothing lands in between; otherwise the
// commits after the scope's last one are read. Commits a catch-up skipped after the
// read (see Service.held) are read next. On an error the scope stays held.
func (s *Service) settle(ctx context.Context, scope string, whole bool) error {
	for {
		var after uint64
		if !whole {
			s.mu.RLock()
			after = s.seqs[scope]
			s.mu.RUnlock()
		}
		msgs, err := s.store.ReadSubject(ctx, subjectOf(scope), after)
		if err != nil {
			return err
		}
		s.mu.Lock()
		if whole {
			s.books.Drop(scope)
			delete(s.seqs, scope)
		}
		for _, m := range msgs {
			c, ok, err := commitOf(m)
			if err != nil {
				// The scope stays held: the next refresh folds it all again.
				s.mu.Unlock()
				return err
			}
			if ok {
				s.applyLocked(m.Seq, c)
			}
		}
		done := s.held[scope] <= s.seqs[scope]
		if done {
			delete(s.held, scope)
		}
		s.mu.Unlock()
		if done {
			return nil
		}
		whole = false
	}
}

// catchUp folds the commits of a scope written since the last one this service saw.
func (s *Service) catchUp(ctx context.Context, scope string) error {
	s.mu.RLock()
	after := s.seqs[scope]
	s.mu.RUnlock()
	msgs, err := s.store.ReadSubject(ctx, subjectOf(scope), after)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		if err := s.foldLocked(m); err != nil {
			return err
		}
	}
	return nil
}
