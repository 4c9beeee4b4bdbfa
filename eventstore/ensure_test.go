package eventstore

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/arkeep/arkeep/internal/natstest"
)

// Opening a stream that already has its settings sends no update: the server
// announces every update on its advisory subject, and only the one real change
// made here may be announced.
func TestEnsureStreamLeavesSettledStreamAlone(t *testing.T) {
	env := newEnv(t)
	updates := natstest.WatchStreamUpdates(t, env.nc, DefaultStream)
	for range 3 {
		if _, err := Open(testCtx(t), env.nc, Config{}); err != nil {
			t.Fatalf("re-Open: %v", err)
		}
	}
	want := streamConfig(Config{Stream: DefaultStream, Replicas: 1})
	want.Description = "changed by an operator"
	if _, err := EnsureStream(testCtx(t), env.store.js, want); err != nil {
		t.Fatalf("EnsureStream with a new description: %v", err)
	}
	if n := updates.Count(); n != 1 {
		t.Fatalf("%d stream updates announced, want 1 (the description change only)", n)
	}
}

// Each setting EnsureStream compares is applied when it alone changes. Left out:
// those the server refuses to change on a stream (name, retention, storage, deny
// delete and purge once set) and replicas, which a single server cannot raise.
func TestEnsureStreamAppliesChanges(t *testing.T) {
	env := newEnv(t)
	base := streamConfig(Config{Stream: DefaultStream, Replicas: 1})
	changes := map[string]func(*jetstream.StreamConfig){
		"Description":       func(c *jetstream.StreamConfig) { c.Description = "other" },
		"Subjects":          func(c *jetstream.StreamConfig) { c.Subjects = []string{"ar.>", "other.>"} },
		"MaxMsgs":           func(c *jetstream.StreamConfig) { c.MaxMsgs = 1 << 40 },
		"MaxBytes":          func(c *jetstream.StreamConfig) { c.MaxBytes = 1 << 20 },
		"MaxAge":            func(c *jetstream.StreamConfig) { c.MaxAge = 1000 * time.Hour },
		"MaxMsgsPerSubject": func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 1 << 30 },
		"Discard":           func(c *jetstream.StreamConfig) { c.Discard = jetstream.DiscardOld },
		"AllowDirect":       func(c *jetstream.StreamConfig) { c.AllowDirect = true },
		"Duplicates":        func(c *jetstream.StreamConfig) { c.Duplicates = time.Minute },
	}
	for name, change := range changes {
		want := base
		want.Subjects = append([]string(nil), base.Subjects...)
		change(&want)
		if sameStreamSettings(base, want) {
			t.Errorf("%s: a change to it alone is not seen", name)
			continue
		}
		st, err := EnsureStream(testCtx(t), env.store.js, want)
		if err != nil {
			t.Fatalf("%s: EnsureStream: %v", name, err)
		}
		info, err := st.Info(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if !sameStreamSettings(info.Config, want) {
			t.Errorf("%s: not applied: stream has %+v", name, info.Config)
		}
		if _, err := EnsureStream(testCtx(t), env.store.js, base); err != nil {
			t.Fatalf("%s: back to the base: %v", name, err)
		}
	}
}
