package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/api"
)

func TestTokenFile(t *testing.T) {
	file := `# arkeep API tokens
tok-viewer-1   viewer

	tok-clerk-1	clerk
  # indented comment
tok-admin-1 admin
`
	tokens, err := api.ParseTokenFile(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if tokens.Len() != 3 {
		t.Fatalf("%d tokens", tokens.Len())
	}
	for tok, want := range map[string]api.Role{"tok-viewer-1": api.RoleViewer, "tok-clerk-1": api.RoleClerk, "tok-admin-1": api.RoleAdmin} {
		if got, ok := tokens.Lookup(tok); !ok || got != want {
			t.Errorf("%s: %v %v, want %v", tok, got, ok, want)
		}
	}
	for _, bad := range []string{"", "tok-admin-", "tok-admin-12", "TOK-ADMIN-1", " tok-admin-1"} {
		if _, ok := tokens.Lookup(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if s := fmt.Sprintf("%v %+v %s", tokens, tokens, tokens); strings.Contains(s, "tok-") {
		t.Errorf("the token set prints its tokens: %s", s)
	}
}

func TestTokenFileErrorsDoNotEchoTokens(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"secret-aaaa admin\nsecret-bbbb\n", "line 2"},
		{"secret-aaaa root\n", `unknown role "root"`},
		{"secret-aaaa admin\nsecret-aaaa viewer\n", "twice"},
		{"secret-aaaa admin extra\n", "line 1"},
	} {
		_, err := api.ParseTokenFile(strings.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.file, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error echoes a token: %v", err)
		}
	}
}

func TestTokenList(t *testing.T) {
	tokens, err := api.ParseTokenList("tok1:admin, tok2:viewer,,with:colon:clerk")
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]api.Role{"tok1": api.RoleAdmin, "tok2": api.RoleViewer, "with:colon": api.RoleClerk} {
		if got, ok := tokens.Lookup(tok); !ok || got != want {
			t.Errorf("%s: %v %v", tok, got, ok)
		}
	}
	for _, bad := range []string{"tok1", "tok1:boss", ":admin", "tok1:admin,tok1:viewer"} {
		if _, err := api.ParseTokenList(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "tok1") {
			t.Errorf("%q: error echoes the token: %v", bad, err)
		}
	}
	if tokens, err := api.ParseTokenList("  "); err != nil || tokens.Len() != 0 {
		t.Errorf("empty list: %v %v", tokens, err)
	}
}

func TestLoadTokensMergesFileAndList(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(file, []byte("file-token admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tokens, err := api.LoadTokens(file, "env-token:viewer")
	if err != nil || tokens.Len() != 2 {
		t.Fatalf("%v %v", tokens, err)
	}
	if _, err := api.LoadTokens(file, "file-token:viewer"); err == nil {
		t.Error("a token in both the file and the list with two roles accepted")
	}
	if _, err := api.LoadTokens(filepath.Join(t.TempDir(), "missing"), ""); err == nil {
		t.Error("a missing tokens file accepted")
	}
	if tokens, err := api.LoadTokens("", ""); err != nil || tokens.Len() != 0 {
		t.Errorf("nothing configured: %v %v", tokens, err)
	}
}

func TestAuthHeaderForms(t *testing.T) {
	e := newEnv(t, nil)
	get := func(auth string) reply {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/reports/fund", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return reply{status: resp.StatusCode, header: resp.Header}
	}
	for auth, want := range map[string]int{
		"Bearer " + viewerToken:           http.StatusOK,
		"bearer " + viewerToken:           http.StatusOK,
		"Bearer  " + viewerToken + "  ":   http.StatusOK,
		"Basic " + viewerToken:            http.StatusUnauthorized,
		viewerToken:                       http.StatusUnauthorized,
		"Bearer":                          http.StatusUnauthorized,
		"Bearer ":                         http.StatusUnauthorized,
		"Bearer " + viewerToken + "x":     http.StatusUnauthorized,
		"Bearer " + viewerToken + " more": http.StatusUnauthorized,
	} {
		r := get(auth)
		if r.status != want {
			t.Errorf("%q: %d, want %d", auth, r.status, want)
		}
		if want == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%q: no WWW-Authenticate: Bearer", auth)
		}
	}
	// Open routes.
	for _, p := range []string{"/healthz", "/openapi.json"} {
		if r := e.get("", p); r.status != http.StatusOK {
			t.Errorf("GET %s without token: %d", p, r.status)
		}
	}
}

func TestNoTokensConfiguredRefusesEverything(t *testing.T) {
	e := newEnv(t, func(s *api.Server) { s.Tokens = nil })
	before := e.lastSeq()
	wantProblem(t, e.post(adminToken, preamble[0]), http.StatusUnauthorized, "Authorization")
	wantProblem(t, e.get(adminToken, "/api/v1/reports/fund"), http.StatusUnauthorized, "Authorization")
	if e.lastSeq() != before {
		t.Fatal("recorded without tokens configured")
	}
	if r := e.get("", "/healthz"); r.status != http.StatusOK {
		t.Errorf("healthz: %d", r.status)
	}
}

func TestInsecureNoAuthAllowsEverything(t *testing.T) {
	e := newEnv(t, func(s *api.Server) { s.Tokens = nil; s.InsecureNoAuth = true })
	r := e.post("", "["+strings.Join(preamble, ",")+"]")
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	wantRecorded(t, e.post("", `{"cmd":"CloseQuarter","id":"q1","on":"2026-04-01","quarter":"2026Q1"}`))
	if r := e.get("", "/api/v1/reports/fund"); r.status != http.StatusOK {
		t.Errorf("report: %d", r.status)
	}
}

func TestPagesTakeBasicAuthWithATokenAsPassword(t *testing.T) {
	var s *api.Server
	newEnv(t, func(srv *api.Server) { s = srv })
	page := httptest.NewServer(s.Pages(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("page"))
	})))
	defer page.Close()
	cases := []struct {
		method, user, pass string
		want               int
	}{
		{http.MethodGet, "", "", http.StatusUnauthorized},
		{http.MethodGet, "anne", wrongToken, http.StatusUnauthorized},
		{http.MethodGet, "anne", viewerToken, http.StatusOK},
		{http.MethodPost, "anne", viewerToken, http.StatusForbidden},
		{http.MethodPost, "anne", clerkToken, http.StatusOK},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, page.URL, nil)
		if c.pass != "" {
			req.SetBasicAuth(c.user, c.pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s with %q: %d, want %d", c.method, c.pass, resp.StatusCode, c.want)
		}
		if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("401 without a Basic challenge: %q", resp.Header.Get("WWW-Authenticate"))
		}
	}
}
