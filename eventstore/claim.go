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

	_, dup, err := s.Append(ctx, subject, msgID, 0, owner)
	switch {
	case err == nil && !dup:
		return true, nil, nil
	case err == nil && dup, errors.Is(err, ErrConflict):
		stored, rerr := s.lastData(ctx, subject)
		if rerr != nil {
			return false, nil, fmt.Errorf("eventstore: claim %s %q: read existing owner: %w", kind, id, rerr)
		}
		if dup {
			return bytes.Equal(stored, owner), stored, nil
		}
		return false, stored, nil
	default:
		return false, nil, fmt.Errorf("eventstore: claim %s %q: %w", kind, id, err)
	}
}

// lastData returns the payload of the last message on subject.
func (s *Store) lastData(ctx context.Context, subject string) ([]byte, error) {
	raw, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("last message on %s: %w", subject, err)
	}
	return raw.Data, nil
}
