package api_test

import (
	"context"
	"encoding/json"
	"github.com/arkeep/arkeep/internal/stacktest"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/api"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/projections"
)

// The tokens of the test servers.
const (
	viewerToken = "viewer-7f3a9c1e5b2d4f6a"
	clerkToken  = "clerk-0b8e2d7c4a9f1e3b"
	adminToken  = "admin-5c1f8e3a7d2b9c4e"
	wrongToken  = "admin-5c1f8e3a7d2b9c4X"
)

// today is the business date of the test servers.
var today = domain.MustDate("2026-04-15")

// env is a real embedded JetStream, a loaded ledger service, a live projection and the
// API handler on a real HTTP server.
type env struct {
	t    *testing.T
	st   *eventstore.Store
	live *projections.Live
	srv  *httptest.Server
}

// newEnv starts everything; mod may change the api.Server before it serves.
func newEnv(t *testing.T, mod func(*api.Server)) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stack := stacktest.Start(t, ctx)
	st, svc, live := stack.Store, stack.Service, stack.Live
	tokens, err := api.NewTokens(map[string]api.Role{viewerToken: api.RoleViewer, clerkToken: api.RoleClerk, adminToken: api.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	s := &api.Server{Service: svc, Live: live, Store: st, Policy: domain.DefaultPolicy(),
		Today: func() domain.Date { return today }, Tokens: tokens}
	if mod != nil {
		mod(s)
	}
	srv := httptest.NewServer(s.Handler(nil))
	t.Cleanup(srv.Close)
	return &env{t: t, st: st, live: live, srv: srv}
}

// reply is an HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// do sends a request with a bearer token ("" = none).
func (e *env) do(method, path, token, body string) reply {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) post(token, body string) reply { return e.do("POST", "/api/v1/commands", token, body) }

func (e *env) get(token, path string) reply { return e.do("GET", path, token, "") }

// report GETs a report as the viewer and wants 200.
func (e *env) report(path string) map[string]any {
	e.t.Helper()
	r := e.get(viewerToken, path)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	return r.json(e.t)
}

// record posts commands as admin and wants every one recorded.
func (e *env) record(lines ...string) {
	e.t.Helper()
	r := e.post(adminToken, "["+strings.Join(lines, ",")+"]")
	if r.status != http.StatusOK {
		e.t.Fatalf("record: %d %s", r.status, r.body)
	}
	var res []api.CommandResult
	if err := json.Unmarshal(r.body, &res); err != nil {
		e.t.Fatal(err)
	}
	for i, x := range res {
		if x.Status != "recorded" {
			e.t.Fatalf("record: command %d (%s): %+v %+v", i, lines[i], x, x.Error)
		}
	}
}

func (e *env) lastSeq() uint64 {
	e.t.Helper()
	seq, err := e.st.LastSeq(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return seq
}

// wantProblem checks a problem document: status, content type, field.
func wantProblem(t *testing.T, r reply, status int, field string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	p := r.json(t)
	if p["status"] != float64(status) || p["title"] == "" || p["type"] != "about:blank" {
		t.Fatalf("not a problem document: %s", r.body)
	}
	if p["field"] != field {
		t.Fatalf("problem names field %v, want %q: %s", p["field"], field, r.body)
	}
	return p
}

// path walks decoded JSON: keys for objects, ints for arrays.
func path(t *testing.T, v any, steps ...any) any {
	t.Helper()
	for _, s := range steps {
		switch k := s.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not an object: %v", s, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: not an array that long: %v", s, v)
			}
			v = a[k]
		}
	}
	return v
}

// hasKeys checks that v is a JSON object with exactly the keys want.
func hasKeys(t *testing.T, what string, v any, want ...string) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: not an object: %v", what, v)
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: key %q missing in %v", what, k, m)
		}
	}
	if len(m) != len(want) {
		t.Errorf("%s: keys %v, want exactly %v", what, mapKeys(m), want)
	}
}

func mapKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
