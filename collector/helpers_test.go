package collector

// Test doubles and real servers for the collector tests.
//
// Everything runs against a real embedded JetStream (eventstore.StartEmbedded,
// SyncAlways) and real network servers on 127.0.0.1: an httptest.Server as
// the webhook receiver and a small SMTP server written here. No dependency
// was added for SMTP: the worker only needs EHLO/MAIL/RCPT/DATA/QUIT, which
// take ~80 lines, and adding a module (e.g. emersion/go-smtp) would mean
// editing go.mod/go.sum, which other engineers are changing at the same time.
// The Ledger is an in-memory fake guarded by a mutex: our test double of the
// books, with the same "one record per step id" rule as the real ledger.

import (
	"bufio"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/arkeep/arkeep/eventstore"
)

var testSecret = []byte("test-webhook-secret-0123456789")

// env is an embedded JetStream server with an opened Queue.
type env struct {
	t   *testing.T
	dir string
	srv *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream
	q   *Queue
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *env) start() {
	e.t.Helper()
	srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: e.dir, SyncAlways: true})
	if err != nil {
		e.t.Fatalf("StartEmbedded: %v", err)
	}
	e.srv = srv
	e.nc = e.connect()
	e.js, err = jetstream.New(e.nc)
	if err != nil {
		e.t.Fatal(err)
	}
	e.q, err = OpenQueue(ctxT(e.t), e.js, 1)
	if err != nil {
		e.t.Fatalf("OpenQueue: %v", err)
	}
}

// connect opens an extra in-process connection (closed by stop).
func (e *env) connect() *nats.Conn {
	e.t.Helper()
	nc, err := eventstore.ConnectEmbedded(e.srv)
	if err != nil {
		e.t.Fatalf("ConnectEmbedded: %v", err)
	}
	e.t.Cleanup(nc.Close)
	return nc
}

// queueOn opens the queue over its own connection, as another instance would.
func (e *env) queueOn(nc *nats.Conn) *Queue {
	e.t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		e.t.Fatal(err)
	}
	q, err := OpenQueue(ctxT(e.t), js, 1)
	if err != nil {
		e.t.Fatalf("OpenQueue: %v", err)
	}
	return q
}

func (e *env) stop() {
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

func (e *env) enqueue(jobs ...Job) {
	e.t.Helper()
	for _, j := range jobs {
		if err := e.q.Enqueue(ctxT(e.t), j); err != nil {
			e.t.Fatalf("Enqueue %s: %v", j.StepID, err)
		}
	}
}

// streamMsgs is the number of messages in a stream.
func (e *env) streamMsgs(name string) uint64 {
	e.t.Helper()
	s, err := e.js.Stream(ctxT(e.t), name)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(ctxT(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	return info.State.Msgs
}

// deadLetters reads every message of ARDEAD.
func (e *env) deadLetters() []DeadLetter {
	e.t.Helper()
	s, err := e.js.Stream(ctxT(e.t), DeadStream)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(ctxT(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []DeadLetter
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctxT(e.t), seq)
		if err != nil {
			e.t.Fatalf("GetMsg %d: %v", seq, err)
		}
		var d DeadLetter
		if err := json.Unmarshal(m.Data, &d); err != nil {
			e.t.Fatalf("dead letter %d: %v", seq, err)
		}
		if d.Job.Customer != "" && m.Subject != DeadSubject(d.Job.Customer) {
			e.t.Errorf("dead letter on %q, want %q", m.Subject, DeadSubject(d.Job.Customer))
		}
		out = append(out, d)
	}
	return out
}

// testConfig: short backoffs and timeouts so retries happen in milliseconds.
func testConfig() Config {
	return Config{
		MaxDeliver:     3,
		Backoff:        []time.Duration{20 * time.Millisecond, 40 * time.Millisecond},
		AckWait:        5 * time.Second,
		WebhookSecret:  testSecret,
		WebhookTimeout: 2 * time.Second,
		SMTPTimeout:    2 * time.Second,
		DrainTimeout:   2 * time.Second,
		Now:            func() time.Time { return time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC) },
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// startWorker runs a worker on q until the test ends.
func startWorker(t *testing.T, q *Queue, l Ledger, cfg Config) *Worker {
	t.Helper()
	w, err := NewWorker(q, l, cfg)
	if err != nil {
		t.Fatalf("NewWorker: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return")
		}
	})
	return w
}

func ctxT(t *testing.T) context.Context {
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

// ---- the books ----

type record struct {
	Job              Job
	Channel, Outcome string
}

// fakeLedger records one reminder per step id, as the real ledger does with
// its command id derived from the step id: a second RecordSent of the same
// content is a no-op, of different content an error (and a test failure).
type fakeLedger struct {
	t  *testing.T
	mu sync.Mutex
	// recs by step id.
	recs map[string]record
	// calls counts successful RecordSent calls per step (including no-op
	// repeats), to check the worker itself records once.
	calls map[string]int
	// failRecord, if set, is consulted before each RecordSent; a non-nil
	// error is returned instead of recording.
	failRecord func(stepID string) error
	// blockRecord, if set, makes RecordSent wait on it (or ctx).
	blockRecord chan struct{}
}

func newLedger(t *testing.T) *fakeLedger {
	return &fakeLedger{t: t, recs: map[string]record{}, calls: map[string]int{}}
}

func (l *fakeLedger) Sent(_ context.Context, customer, stepID string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.recs[stepID]
	if ok && r.Job.Customer != customer {
		l.t.Errorf("Sent(%q, %q): step recorded on customer %q", customer, stepID, r.Job.Customer)
	}
	return ok, nil
}

func (l *fakeLedger) RecordSent(ctx context.Context, j Job, channel, outcome string) error {
	if l.blockRecord != nil {
		select {
		case <-l.blockRecord:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failRecord != nil {
		if err := l.failRecord(j.StepID); err != nil {
			return err
		}
	}
	r := record{Job: j, Channel: channel, Outcome: outcome}
	if prev, ok := l.recs[j.StepID]; ok && prev != r {
		l.t.Errorf("RecordSent %s: already recorded as %+v, now %+v", j.StepID, prev, r)
		return errors.New("fake ledger: same command id, different content")
	}
	l.recs[j.StepID] = r
	l.calls[j.StepID]++
	return nil
}

// preset records a step as sent, as if done earlier.
func (l *fakeLedger) preset(j Job) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs[j.StepID] = record{Job: j, Channel: ChannelWebhook, Outcome: OutcomeDelivered}
}

func (l *fakeLedger) get(stepID string) (record, int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.recs[stepID]
	return r, l.calls[stepID], ok
}

func (l *fakeLedger) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recs)
}

// waitRecorded waits until stepID is recorded and returns the record.
func (l *fakeLedger) waitRecorded(t *testing.T, stepID string) record {
	t.Helper()
	var r record
	eventually(t, 10*time.Second, "record of "+stepID, func() bool {
		var ok bool
		r, _, ok = l.get(stepID)
		return ok
	})
	return r
}

// ---- webhook receiver ----

// receiver is a real HTTP server counting deliveries per Idempotency-Key and
// checking each request's signature, headers and body.
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	// hits per Idempotency-Key (every request, whatever the answer).
	hits map[string]int
	// status decides the answer to the n-th (1-based) request for a key;
	// nil = 200.
	status func(key string, n int) int
}

func newReceiver(t *testing.T, status func(key string, n int) int) *receiver {
	r := &receiver{t: t, hits: map[string]int{}, status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Errorf("webhook: read body: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := req.Header.Get("Idempotency-Key")
	sig := req.Header.Get("X-Arkeep-Signature")
	if !hmac.Equal([]byte(sig), []byte(Signature(testSecret, body))) {
		r.t.Errorf("webhook %s: bad signature %q", key, sig)
	}
	if req.Method != http.MethodPost {
		r.t.Errorf("webhook %s: method %s", key, req.Method)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		r.t.Errorf("webhook %s: Content-Type %q", key, ct)
	}
	var j Job
	if err := json.Unmarshal(body, &j); err != nil {
		r.t.Errorf("webhook %s: body %q: %v", key, body, err)
	}
	if key == "" || j.StepID != key {
		r.t.Errorf("webhook: Idempotency-Key %q, body step_id %q", key, j.StepID)
	}
	r.mu.Lock()
	r.hits[key]++
	n := r.hits[key]
	r.mu.Unlock()
	code := http.StatusOK
	if r.status != nil {
		code = r.status(key, n)
	}
	w.WriteHeader(code)
}

func (r *receiver) count(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[key]
}

func (r *receiver) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, v := range r.hits {
		n += v
	}
	return n
}

func (r *receiver) url() string { return r.srv.URL + "/hook" }

// ---- SMTP server ----

// smtpServer is a minimal SMTP server (RFC 5321 subset: EHLO/HELO, MAIL,
// RCPT, DATA, RSET, NOOP, QUIT) that keeps every message it accepts.
// Recipients whose address starts with "reject" get a 550.
type smtpServer struct {
	t    *testing.T
	ln   net.Listener
	mu   sync.Mutex
	msgs []*mail.Message
	raw  map[string]string // body (decoded) by Message-ID
	byID map[string]int    // messages per Message-ID
	wg   sync.WaitGroup
}

func newSMTPServer(t *testing.T) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{t: t, ln: ln, raw: map[string]string{}, byID: map[string]int{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *smtpServer) addr() string { return s.ln.Addr().String() }

func (s *smtpServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			s.session(c)
		}()
	}
}

func (s *smtpServer) session(c net.Conn) {
	r := bufio.NewReader(c)
	reply := func(format string, a ...any) { fmt.Fprintf(c, format+"\r\n", a...) }
	reply("220 test.local ESMTP")
	var rcpts []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			reply("250-test.local")
			reply("250 8BITMIME")
		case "HELO", "NOOP":
			reply("250 ok")
		case "RSET":
			rcpts = nil
			reply("250 ok")
		case "MAIL":
			reply("250 ok")
		case "RCPT":
			addr := strings.Trim(strings.TrimPrefix(line[5:], "TO:"), "<> ")
			if strings.HasPrefix(addr, "reject") {
				reply("550 5.1.1 no such user")
				continue
			}
			rcpts = append(rcpts, addr)
			reply("250 ok")
		case "DATA":
			if len(rcpts) == 0 {
				reply("503 no recipients")
				continue
			}
			reply("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, ".")) // dot-unstuffing
			}
			if err := s.keep(data.String()); err != nil {
				s.t.Errorf("smtp: %v", err)
				reply("554 bad message")
				continue
			}
			rcpts = nil
			reply("250 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func (s *smtpServer) keep(data string) error {
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		return err
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	id := m.Header.Get("Message-ID")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	s.byID[id]++
	s.raw[id] = string(text)
	return nil
}

func (s *smtpServer) message(id string) (*mail.Message, string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.Header.Get("Message-ID") == id {
			return m, s.raw[id], s.byID[id]
		}
	}
	return nil, "", 0
}

// ---- jobs ----

func webhookJob(r *receiver, customer, invoice string) Job {
	return Job{
		StepID:       invoice + "/reminder/2025-03-14",
		Customer:     customer,
		CustomerName: "Customer " + customer,
		Invoice:      invoice,
		Action:       "reminder",
		StepDate:     "2025-03-14",
		Currency:     "EUR",
		Outstanding:  "1234.50",
		Due:          "2025-02-12",
		Webhook:      r.url(),
	}
}
