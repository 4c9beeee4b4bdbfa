package collector

import (
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{WebhookSecret: testSecret}.WithDefaults()
	if c.Consumer != "collector" || c.MaxDeliver != 5 || c.AckWait != time.Minute ||
		c.WebhookTimeout != 10*time.Second || c.Now == nil || c.Logger == nil || c.Concurrency != DefaultConcurrency {
		t.Fatalf("defaults = %+v", c)
	}
	want := []time.Duration{10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}
	if len(c.Backoff) != len(want) {
		t.Fatalf("Backoff = %v", c.Backoff)
	}
	for i := range want {
		if c.Backoff[i] != want[i] {
			t.Fatalf("Backoff = %v", c.Backoff)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate defaults: %v", err)
	}
	// attempt n waits Backoff[n-1], the last one repeating.
	for attempt, d := range map[int]time.Duration{1: 10 * time.Second, 4: 10 * time.Minute, 9: 10 * time.Minute} {
		if got := c.backoff(attempt); got != d {
			t.Errorf("backoff(%d) = %s, want %s", attempt, got, d)
		}
	}
}

func TestConfigValidateJoinsAllProblems(t *testing.T) {
	c := Config{
		Consumer:       "bad.name",
		MaxDeliver:     -1,
		Backoff:        []time.Duration{time.Second, -time.Second},
		AckWait:        5 * time.Second,
		WebhookSecret:  []byte("short"),
		WebhookTimeout: 10 * time.Second,
		SMTPAddr:       "no-port",
	}.WithDefaults()
	err := c.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"Consumer", "MaxDeliver", "Backoff[1]", "WebhookSecret", "twice WebhookTimeout", "SMTPAddr", "SMTPFrom"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := NewWorker(nil, nil, Config{}); err == nil || !strings.Contains(err.Error(), "nil Queue") ||
		!strings.Contains(err.Error(), "nil Ledger") || !strings.Contains(err.Error(), "WebhookSecret") {
		t.Fatalf("NewWorker: %v", err)
	}
}

func TestMessageIDAndSignature(t *testing.T) {
	id := MessageID("INV-1/reminder/2025-03-14")
	if id != MessageID("INV-1/reminder/2025-03-14") || id == MessageID("INV-1/reminder/2025-03-15") {
		t.Fatal("MessageID not a function of the step id")
	}
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@arkeep>") || len(id) != 32+len("<@arkeep>") {
		t.Fatalf("MessageID = %q", id)
	}
	// RFC 4231 test case 2.
	got := Signature([]byte("Jefe"), []byte("what do ya want for nothing?"))
	if got != "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Fatalf("Signature = %s", got)
	}
}

func TestEnqueueRejectsIncompleteJob(t *testing.T) {
	e := newEnv(t)
	if err := e.q.Enqueue(ctxT(t), Job{Customer: "acme"}); err == nil {
		t.Fatal("want error for a job without StepID")
	}
	if err := e.q.Enqueue(ctxT(t), Job{StepID: "x"}); err == nil {
		t.Fatal("want error for a job without Customer")
	}
}
