package eventstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// Claim records owner as the holder of id within kind, once and for all.
// It is how globally unique ids (invoice numbers, external references) are
// enforced without a separate database: the claim is a message on
// IndexSubject(kind, id) published with "subject must be empty" as its
// expectation, so exactly one claimant can win, even across processes.
//
// ok is true when this call stored the claim. When the id is already claimed,
// ok is false and existingOwner holds the stored owner bytes.
//
// Retries: a claimant that retries after a lost ack (timeout, reconnect) gets
// ok=false with existingOwner equal to its own owner bytes, because its
// first attempt did land. Callers must therefore compare existingOwner with
// owner and treat equality as success; owner should identify the claimant
// uniquely (e.g. the command id plus the aggregate), not merely the kind of
// claimant. When the server reports the retry as a duplicate instead, Claim
// does that comparison itself and ok = bytes.Equal(stored, owner).
func (s *Store) Claim(ctx context.Context, kind, id string, owner []byte) (ok bool, existingOwner []byte, err error) {
	if !validKind(kind) {
		return false, nil, fmt.Errorf("eventstore: claim: invalid kind %q (want [A-Za-z0-9_-]{1,128})", kind)
	}
	subject := IndexSubject(kind, id)
	// The id goes through Token so the message id stays a single header
	// line whatever bytes the id contains; Token is injective, so this is
	// equivalent to using the raw id.
	msgID := "claim:" + kind + ":" + Token(id)
	expected := uint64(0)
	for attempt := 0; attempt < 8; attempt++ {
		_, dup, err := s.Append(ctx, subject, msgID, expected, owner)
		switch {
		case err == nil && !dup:
			return true, nil, nil
		case err == nil && dup, errors.Is(err, ErrConflict):
			stored, seq, rerr := s.lastMsg(ctx, subject)
			if rerr != nil {
				return false, nil, fmt.Errorf("eventstore: claim %s %q: read existing owner: %w", kind, id, rerr)
			}
			if bytes.Equal(stored, released) {
				// Released by a refused command: claimable again, after that release.
				expected = seq
				msgID = fmt.Sprintf("claim:%s:%s:%d", kind, Token(id), seq)
				continue
			}
			if dup {
				return bytes.Equal(stored, owner), stored, nil
			}
			return false, stored, nil
		default:
			return false, nil, fmt.Errorf("eventstore: claim %s %q: %w", kind, id, err)
		}
	}
	return false, nil, fmt.Errorf("eventstore: claim %s %q: %w", kind, id, ErrConflict)
}

// released is the payload that gives a claimed id back.
var released = []byte("\x00released")

// IsLegacyRelease tells a release marker from a claim's owner on a per-id claim subject.
func IsLegacyRelease(data []byte) bool { return bytes.Equal(data, released) }

// Release gives back an id that owner claimed but whose command was refused after
// all (the books moved between the claim and the commit): a refused command is not
// remembered, so its id must stay free. The stream denies deletes; the release is a
// marker message after the claim. Releasing an id owned by someone else does nothing.
func (s *Store) Release(ctx context.Context, kind, id string, owner []byte) error {
	subject := IndexSubject(kind, id)
	stored, seq, err := s.lastMsg(ctx, subject)
	if err != nil {
		return fmt.Errorf("eventstore: release %s %q: %w", kind, id, err)
	}
	if !bytes.Equal(stored, owner) {
		return nil
	}
	_, _, err = s.Append(ctx, subject, fmt.Sprintf("release:%s:%s:%d", kind, Token(id), seq), seq, released)
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("eventstore: release %s %q: %w", kind, id, err)
	}
	return nil
}

// lastMsg returns the payload and sequence of the last message on subject.
func (s *Store) lastMsg(ctx context.Context, subject string) ([]byte, uint64, error) {
	raw, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		return nil, 0, fmt.Errorf("last message on %s: %w", subject, err)
	}
	return raw.Data, raw.Sequence, nil
}
