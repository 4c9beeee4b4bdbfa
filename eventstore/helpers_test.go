package eventstore

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// testEnv is a real embedded server, a connection and an opened Store.
type testEnv struct {
	srv   *server.Server
	nc    *nats.Conn
	store *Store
}

func startEnv(t *testing.T, cfg EmbeddedConfig) *testEnv {
	t.Helper()
	srv, err := StartEmbedded(cfg)
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	nc, err := ConnectEmbedded(srv)
	if err != nil {
		srv.Shutdown()
		t.Fatalf("ConnectEmbedded: %v", err)
	}
	st, err := Open(testCtx(t), nc, Config{})
	if err != nil {
		nc.Close()
		srv.Shutdown()
		t.Fatalf("Open: %v", err)
	}
	env := &testEnv{srv: srv, nc: nc, store: st}
	t.Cleanup(env.stop)
	return env
}

// stop is idempotent so tests can restart a server explicitly.
func (e *testEnv) stop() {
	if e.nc != nil {
		e.nc.Close()
		e.nc = nil
	}
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
		e.srv = nil
	}
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	return startEnv(t, EmbeddedConfig{StoreDir: t.TempDir(), SyncAlways: true})
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mustAppend appends and fails the test on error or duplicate.
func mustAppend(t *testing.T, st *Store, subject string, expected uint64, data string) uint64 {
	t.Helper()
	seq, dup, err := st.Append(testCtx(t), subject, "", expected, []byte(data))
	if err != nil {
		t.Fatalf("Append(%s, expected %d): %v", subject, expected, err)
	}
	if dup {
		t.Fatalf("Append(%s): unexpected duplicate", subject)
	}
	return seq
}

func datas(msgs []Msg) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Data)
	}
	return out
}
