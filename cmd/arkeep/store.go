package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/arkeep/arkeep/eventstore"
	"github.com/nats-io/nats.go"
)

// storeFlags choose the event store: the embedded JetStream in a directory (default)
// or an external NATS server or cluster.
type storeFlags struct {
	data     string
	natsURL  string
	noSync   bool
	replicas int
	maxStore int64
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", envOr("ARKEEP_DATA", "./arkeep-data"), "directory of the embedded JetStream store (env ARKEEP_DATA)")
	fs.StringVar(&f.natsURL, "nats", os.Getenv("ARKEEP_NATS"), "NATS URL(s), comma-separated, of an external server or cluster instead of the embedded store (env ARKEEP_NATS)")
	fs.BoolVar(&f.noSync, "unsafe-no-fsync", false, "embedded store only: do not fsync every write (acknowledged writes can be lost on power failure)")
	fs.IntVar(&f.replicas, "replicas", 0, "replicas of arkeep's streams on a NATS cluster: N sets every stream to N (3 for production); 0 keeps each existing stream's count and creates missing ones with 1 (the snapshot store with the ledger stream's)")
	fs.Int64Var(&f.maxStore, "max-store", eventstore.DefaultMaxFileStore, "embedded store only: most bytes JetStream may use on disk")
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// openStore connects to the chosen store and returns a close function.
func (f *storeFlags) open(ctx context.Context, stderr io.Writer) (*eventstore.Store, func(), error) {
	var nc *nats.Conn
	closers := []func(){}
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if f.natsURL != "" {
		c, err := eventstore.ConnectURL(f.natsURL)
		if err != nil {
			return nil, nil, fmt.Errorf("connect to %s: %w", f.natsURL, err)
		}
		nc = c
		closers = append(closers, func() { _ = c.Drain() })
	} else {
		if err := os.MkdirAll(f.data, 0o755); err != nil {
			return nil, nil, fmt.Errorf("data directory: %w", err)
		}
		unlock, err := lockDir(f.data)
		if err != nil {
			return nil, nil, err
		}
		closers = append(closers, unlock)
		if f.noSync {
			fmt.Fprintln(stderr, "arkeep: WARNING: --unsafe-no-fsync: writes are not fsynced; acknowledged commands can be lost on power failure")
		}
		srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
			StoreDir: filepath.Join(f.data, "jetstream"), SyncAlways: !f.noSync, MaxFileStore: f.maxStore})
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		closers = append(closers, func() { srv.Shutdown(); srv.WaitForShutdown() })
		c, err := eventstore.ConnectEmbedded(srv)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		nc = c
		closers = append(closers, c.Close)
	}
	st, err := eventstore.Open(ctx, nc, eventstore.Config{Replicas: f.replicas})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return st, closeAll, nil
}

// lockDir takes an exclusive lock on the data directory: two embedded servers on one
// store directory would corrupt it.
func lockDir(dir string) (func(), error) {
	p := filepath.Join(dir, "arkeep.lock")
	fh, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(fh.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		fh.Close()
		return nil, fmt.Errorf("data directory %s is in use by another arkeep process (%v); use --nats to share a NATS server instead", dir, err)
	}
	return func() { _ = syscall.Flock(int(fh.Fd()), syscall.LOCK_UN); fh.Close() }, nil
}
