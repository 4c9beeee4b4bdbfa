package eventstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// EnsureStream makes the stream want.Name exist with want's settings and returns
// it. A stream that already has them is left alone: no update request is sent.
//
// Why not CreateOrUpdateStream: every instance that starts would then rewrite the
// stream's configuration, and nats-server (2.14) rewrites a file-backed stream's
// configuration without holding the lock its consumer creation reads it under.
// Two instances starting together (one updating the stream, the other creating
// its consumer) is a data race inside the server. Updating only when a setting
// really changed makes that an operator's rare act instead of every start's.
func EnsureStream(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig) (jetstream.Stream, error) {
	for range 2 {
		st, err := js.Stream(ctx, want.Name)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			st, err = js.CreateStream(ctx, want)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				continue // another instance created it first: compare with its
			}
			if err != nil {
				return nil, fmt.Errorf("eventstore: create stream %q: %w", want.Name, err)
			}
			return st, nil
		case err != nil:
			return nil, fmt.Errorf("eventstore: stream %q info: %w", want.Name, err)
		}
		if sameStreamSettings(st.CachedInfo().Config, want) {
			return st, nil
		}
		st, err = js.UpdateStream(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("eventstore: update stream %q: %w", want.Name, err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("eventstore: stream %q: created and gone again while opening", want.Name)
}

// sameStreamSettings reports whether have already holds every setting arkeep's
// streams set. It lists the fields those configurations use; a field added to a
// configuration must be added here too, or a change to it alone would not be
// applied to an existing stream (TestEnsureStreamAppliesChanges changes each one
// the server lets change). Settings left at zero in want are compared as the
// server stores them (no limit, one replica, its default duplicate window).
func sameStreamSettings(have, want jetstream.StreamConfig) bool {
	limit := func(v int64) int64 {
		if v == 0 {
			return -1
		}
		return v
	}
	if want.Replicas == 0 {
		want.Replicas = 1
	}
	if want.Duplicates == 0 {
		want.Duplicates = serverDefaultDuplicates
	}
	return have.Name == want.Name &&
		have.Description == want.Description &&
		slices.Equal(have.Subjects, want.Subjects) &&
		have.Retention == want.Retention &&
		limit(have.MaxMsgs) == limit(want.MaxMsgs) &&
		limit(have.MaxBytes) == limit(want.MaxBytes) &&
		have.MaxAge == want.MaxAge &&
		limit(have.MaxMsgsPerSubject) == limit(want.MaxMsgsPerSubject) &&
		have.Discard == want.Discard &&
		have.DenyDelete == want.DenyDelete &&
		have.DenyPurge == want.DenyPurge &&
		have.Storage == want.Storage &&
		have.Replicas == want.Replicas &&
		have.AllowDirect == want.AllowDirect &&
		have.Duplicates == want.Duplicates
}

// serverDefaultDuplicates is the duplicate window nats-server gives a stream that
// sets none.
const serverDefaultDuplicates = 2 * time.Minute
