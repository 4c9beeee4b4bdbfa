package eventstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"
)

// SnapshotBucket is the object store that keeps projection snapshots. Snapshots are a
// cache of folded state: losing one costs a longer replay, never a fact.
const SnapshotBucket = "ARSNAP"

// Snapshots keeps named snapshot blobs in a JetStream object store, so that every
// instance of a cluster can start from the latest one.
type Snapshots struct {
	obj jetstream.ObjectStore
}

// Snapshots opens (or creates) the snapshot object store. replicas 0 keeps the
// replica count of an existing store and creates a new one with as many replicas as
// the ledger stream; a count above 0 sets it.
func (s *Store) Snapshots(ctx context.Context, replicas int) (*Snapshots, error) {
	if replicas < 0 {
		return nil, fmt.Errorf("eventstore: snapshot store: invalid replicas %d", replicas)
	}
	want := jetstream.ObjectStoreConfig{
		Bucket:      SnapshotBucket,
		Description: "arkeep projection snapshots (a cache: rebuilt from the AR stream when absent)",
		Storage:     jetstream.FileStorage,
	}
	existing := 0
	obj, err := s.js.ObjectStore(ctx, SnapshotBucket)
	switch {
	case errors.Is(err, jetstream.ErrBucketNotFound):
	case err != nil:
		return nil, fmt.Errorf("eventstore: snapshot store: %w", err)
	default:
		st, err := obj.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("eventstore: snapshot store status: %w", err)
		}
		existing = st.Replicas()
		// Leave a store that already has its settings alone, for the reason
		// EnsureStream gives.
		if st.Description() == want.Description && st.Storage() == want.Storage &&
			existing == pickReplicas(replicas, existing, 1) {
			return &Snapshots{obj: obj}, nil
		}
	}
	want.Replicas = pickReplicas(replicas, existing, s.stream.CachedInfo().Config.Replicas)
	obj, err = s.js.CreateOrUpdateObjectStore(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("eventstore: snapshot store: %w", err)
	}
	return &Snapshots{obj: obj}, nil
}

// Put stores a snapshot under name, replacing the previous one.
func (s *Snapshots) Put(ctx context.Context, name string, data []byte) error {
	if _, err := s.obj.Put(ctx, jetstream.ObjectMeta{Name: name}, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("eventstore: put snapshot %s: %w", name, err)
	}
	return nil
}

// Get returns the snapshot stored under name; ok is false when there is none.
func (s *Snapshots) Get(ctx context.Context, name string) (data []byte, ok bool, err error) {
	r, err := s.obj.Get(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("eventstore: get snapshot %s: %w", name, err)
	}
	defer r.Close()
	data, err = io.ReadAll(r)
	if err != nil {
		return nil, false, fmt.Errorf("eventstore: read snapshot %s: %w", name, err)
	}
	return data, true, nil
}
