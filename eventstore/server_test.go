package eventstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartEmbeddedRejectsUnusableStoreDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := StartEmbedded(EmbeddedConfig{StoreDir: file})
	if err == nil || !strings.Contains(err.Error(), "store dir") {
		t.Fatalf("want store dir error, got %v", err)
	}

	if _, err := StartEmbedded(EmbeddedConfig{}); err == nil {
		t.Fatal("want error for empty StoreDir")
	}
}

func TestConnectURLWithListener(t *testing.T) {
	env := startEnv(t, EmbeddedConfig{StoreDir: t.TempDir(), SyncAlways: true, Listen: "127.0.0.1:-1"})
	nc, err := ConnectURL(env.srv.ClientURL())
	if err != nil {
		t.Fatalf("ConnectURL: %v", err)
	}
	defer nc.Close()
	st, err := Open(testCtx(t), nc, Config{})
	if err != nil {
		t.Fatalf("Open over TCP: %v", err)
	}
	seq := mustAppend(t, st, AccountSubject("tcp"), 0, "hello")
	got, err := env.store.ReadSubject(testCtx(t), AccountSubject("tcp"), 0)
	if err != nil || len(got) != 1 || got[0].Seq != seq {
		t.Fatalf("ReadSubject via in-process conn = %v, %v", got, err)
	}
}

func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := EmbeddedConfig{StoreDir: dir, SyncAlways: true}
	env := startEnv(t, cfg)
	subj := AccountSubject("acme")
	s1 := mustAppend(t, env.store, subj, 0, "one")
	mustAppend(t, env.store, subj, s1, "two")
	env.stop()

	env2 := startEnv(t, cfg)
	got, err := env2.store.ReadSubject(testCtx(t), subj, 0)
	if err != nil {
		t.Fatalf("ReadSubject after restart: %v", err)
	}
	if d := datas(got); len(d) != 2 || d[0] != "one" || d[1] != "two" {
		t.Fatalf("after restart got %q", d)
	}
	// The CAS chain continues where it left off.
	mustAppend(t, env2.store, subj, got[1].Seq, "three")
}
