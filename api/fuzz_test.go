package api_test

// FuzzAPICommands posts arbitrary bodies to POST /api/v1/commands of the real handler,
// served by httptest against an embedded JetStream (one per fuzz process: the server
// and its books live across inputs, so later inputs meet the customers and invoices
// that earlier ones recorded). It must not panic; every answer that is not 2xx must be
// an RFC 9457 problem document (application/problem+json) with a non-empty detail, and
// then nothing is recorded: the stream's last sequence is unchanged. A 2xx answer is
// the result (or one per command) and the sequence moves if and only if a command was
// recorded.
//
//	go test -run '^$' -fuzz FuzzAPICommands -fuzztime 1m ./api
//
// Names here are prefixed "fz" so that they cannot collide with the package's other
// test files.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/api"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
)

// fzTokens: the role byte of an input picks no token, one of these, or a wrong one.
var fzTokens = []string{"", "fz-viewer-3b7e19c2", "fz-clerk-8d41a6f0", "fz-admin-52c9e7b4", "fz-admin-52c9e7bX"}

// fzAdmin is the index of the admin token in fzTokens.
const fzAdmin = 3

// fzPreamble is recorded before fuzzing, so that mutated commands meet real customers
// and invoices.
var fzPreamble = []string{
	`{"cmd":"RegisterCustomer","id":"fz-1","on":"2025-12-01","customer":"P1","name":"Pine Ltd","grade":1,"terms_days":30,"collector":"ann","email":"ap@pine.example"}`,
	`{"cmd":"RegisterCustomer","id":"fz-2","on":"2025-12-01","customer":"P2","name":"Oak Co","grade":3,"terms_days":60,"collector":"bob"}`,
	`{"cmd":"AgreePriceProtection","id":"fz-3","on":"2025-12-01","customer":"P1","fund_rate":"0.02"}`,
	`{"cmd":"IssueInvoice","id":"fz-4","on":"2026-01-05","invoice":"X1","customer":"P1","amount":"1000.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"fz-5","on":"2026-01-06","invoice":"X2","customer":"P1","amount":"500.00","currency":"CNY","due":"2026-03-01"}`,
	`{"cmd":"IssueInvoice","id":"fz-6","on":"2026-01-07","invoice":"X3","customer":"P2","amount":"30000","currency":"JPY"}`,
	`{"cmd":"RecordPayment","id":"fz-7","on":"2026-01-20","payment":"PAY1","customer":"P1","amount":"100.00","currency":"CNY"}`,
}

// fzSeeds are valid and invalid bodies: every Appendix A command, arrays, and the
// refusals SPEC sections 1 and 8 name.
var fzSeeds = []string{
	// valid, one by one
	`{"cmd":"RegisterCustomer","id":"s-1","on":"2026-01-02","customer":"C1","name":"Cedar","grade":3,"terms_days":14,"collector":"ann","phone":"+86 10 1234","webhook":null}`,
	`{"cmd":"AssessCredit","id":"s-2","on":"2026-01-02","customer":"P1","key":{"annual_sales":"A","monthly_sales":"A","payment_method":"B","payment_record":"B"},"other":["A"]}`,
	`{"cmd":"IssueInvoice","id":"s-3","on":"2026-02-01","invoice":"I1","customer":"P1","amount":"100.00","currency":"CNY","due":"2026-03-01"}`,
	`{"cmd":"RecordPayment","id":"s-4","on":"2026-02-10","payment":"PAY2","customer":"P1","amount":"50.00","currency":"CNY","allocations":[{"invoice":"X1","amount":"50.00"}]}`,
	`{"cmd":"IssueCreditNote","id":"s-5","on":"2026-02-12","credit_note":"CN1","customer":"P1","amount":"10.00","currency":"CNY","invoice":"X1"}`,
	`{"cmd":"GrantExtension","id":"s-6","on":"2026-02-01","invoice":"X2","due":"2026-04-01"}`,
	`{"cmd":"RecordPromise","id":"s-7","on":"2026-02-01","invoice":"X1","promised":"2026-02-15","amount":"100.00"}`,
	`{"cmd":"OpenDispute","id":"s-8","on":"2026-02-03","invoice":"X2","reason":"damaged goods"}`,
	`{"cmd":"ResolveDispute","id":"s-9","on":"2026-02-10","invoice":"X2","reason":null}`,
	`{"cmd":"WriteOff","id":"s-10","on":"2026-09-10","invoice":"X3","reason":"uncollectable","force":true}`,
	`{"cmd":"RecordAction","id":"s-11","on":"2026-02-05","customer":"P1","invoice":"X1","action":"call","outcome":"promised","note":"will pay"}`,
	`{"cmd":"ReportViolation","id":"s-12","on":"2026-02-05","violation":"V1","customer":"P1","reporter":"P2","occurred_on":"2026-02-01"}`,
	`{"cmd":"ConfirmViolation","id":"s-13","on":"2026-02-10","violation":"V1"}`,
	`{"cmd":"RejectViolation","id":"s-14","on":"2026-02-10","violation":"V1"}`,
	`{"cmd":"CloseQuarter","id":"s-15","on":"2026-04-01","quarter":"2026Q1"}`,
	// the same id again: a duplicate; the same id with other content: refused
	`{"cmd":"IssueInvoice","id":"fz-4","on":"2026-01-05","invoice":"X1","customer":"P1","amount":"1000.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"fz-4","on":"2026-01-05","invoice":"X1","customer":"P1","amount":"1000.01","currency":"CNY"}`,
	// arrays
	`[{"cmd":"RecordAction","id":"s-16","on":"2026-02-06","customer":"P2","action":"visit"},{"cmd":"IssueInvoice","id":"s-17","on":"2026-02-07","invoice":"I2","customer":"P2","amount":"1.00","currency":"USD"}]`,
	`[{"cmd":"RecordAction","id":"s-18","on":"2026-02-06","customer":"P2","action":"visit"},{"cmd":"IssueInvoice","id":"s-19","on":"2026-02-07","invoice":"I3","customer":"P2","amount":"1.001","currency":"USD"}]`,
	`[]`, `[null]`, `[1,"a",{}]`, `[{"cmd":"CloseQuarter","id":"s-20","on":"2026-07-01","quarter":"2026Q2"}]`,
	// refused: SPEC sections 1 and 8
	`{"cmd":"IssueInvoice","id":"b-1","on":"2026-02-01","invoice":"B1","customer":"P1","amount":"10.000","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"b-2","on":"2026-02-01","invoice":"B2","customer":"P1","amount":"100.0","currency":"JPY"}`,
	`{"cmd":"IssueInvoice","id":"b-3","on":"2026-02-01","invoice":"B3","customer":"P1","amount":1250.5,"currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"b-4","on":"2026-02-01","invoice":"B4","customer":"P1","amount":"-1","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"b-5","on":"2026-02-01","invoice":"B5","customer":"P1","amount":"12.","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"b-6","on":"2026-02-01","invoice":"B6","customer":"P1","amount":"0","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"b-7","on":"2026-02-01","invoice":"B7","customer":"P1","amount":"1","currency":"XXX"}`,
	`{"cmd":"IssueInvoice","id":"b-8","on":"2026-02-30","invoice":"B8","customer":"P1","amount":"1","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"b-9","on":"2026-02-01","invoice":"B9","customer":"NOPE","amount":"1","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"b-10","on":"2026-02-01","invoice":"X1","customer":"P2","amount":"1","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"b-11","on":"2026-02-01","invoice":"B11","customer":"P1","amount":"1","currency":"CNY","colour":"red"}`,
	`{"cmd":"RecordPayment","id":"b-12","on":"2026-02-10","payment":"PAYB","customer":"P1","amount":"5.00","currency":"CNY","allocations":[{"invoice":"X1","amount":"6.00"}]}`,
	`{"cmd":"RecordPayment","id":"b-13","on":"2026-01-01","payment":"PAYC","customer":"P1","amount":"5.00","currency":"CNY","allocations":[{"invoice":"X1","amount":"5.00"}]}`,
	`{"cmd":"GrantExtension","id":"b-14","on":"2026-02-01","invoice":"X1","due":"2025-01-01"}`,
	`{"cmd":"AgreePriceProtection","id":"b-15","on":"2026-01-01","customer":"P2","fund_rate":"1.5"}`,
	`{"cmd":"Nope","id":"b-16","on":"2026-01-01"}`,
	`{"cmd":"RegisterCustomer","id":"b-17","on":"2026-01-02","customer":"P1","name":"Again","grade":9,"terms_days":-1,"collector":""}`,
	`{"cmd":"IssueInvoice","id":"b-18","on":"2026-02-01","invoice":"B18","customer":"P1","amount":"1","currency":"CNY"}{"cmd":"x"}`,
	`{"cmd":"IssueInvoice","cmd":"IssueInvoice","id":"b-19","on":"2026-02-01","invoice":"B19","customer":"P1","amount":"1","currency":"CNY"}`,
	// not commands at all
	``, ` `, `null`, `{}`, `[`, `{"cmd":`, `"IssueInvoice"`, `123`, `{"id":{"id":{"id":[[[[[[[[[[]]]]]]]]]]}}}`, "\xff\xfe",
}

// fzServer is one embedded JetStream, ledger service, live projection and API handler.
type fzServer struct {
	st  *eventstore.Store
	srv *httptest.Server
}

func fzStart(f *testing.F) *fzServer {
	f.Helper()
	ns, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: f.TempDir(), SyncAlways: true})
	if err != nil {
		f.Fatalf("StartEmbedded: %v", err)
	}
	f.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	nc, err := eventstore.ConnectEmbedded(ns)
	if err != nil {
		f.Fatalf("ConnectEmbedded: %v", err)
	}
	f.Cleanup(nc.Close)
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	st, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		f.Fatalf("eventstore.Open: %v", err)
	}
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctx); err != nil {
		f.Fatalf("Load: %v", err)
	}
	live, err := projections.StartLive(ctx, st)
	if err != nil {
		f.Fatalf("StartLive: %v", err)
	}
	roles := map[string]api.Role{fzTokens[1]: api.RoleViewer, fzTokens[2]: api.RoleClerk, fzTokens[3]: api.RoleAdmin}
	tokens, err := api.NewTokens(roles)
	if err != nil {
		f.Fatal(err)
	}
	today := domain.MustDate("2026-04-15")
	s := &api.Server{Service: svc, Live: live, Store: st, Policy: domain.DefaultPolicy(),
		Today: func() domain.Date { return today }, Tokens: tokens}
	srv := httptest.NewServer(s.Handler(nil))
	f.Cleanup(srv.Close)
	srv.Client().Timeout = time.Minute
	return &fzServer{st: st, srv: srv}
}

func (z *fzServer) lastSeq(t testing.TB) uint64 {
	t.Helper()
	seq, err := z.st.LastSeq(context.Background())
	if err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	return seq
}

func (z *fzServer) post(t testing.TB, token string, body []byte) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", z.srv.URL+"/api/v1/commands", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := z.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func FuzzAPICommands(f *testing.F) {
	for _, s := range fzSeeds {
		f.Add([]byte(s), uint8(fzAdmin))
	}
	for _, role := range []uint8{0, 1, 2, 4} {
		f.Add([]byte(fzSeeds[0]), role)                        // a clerk's command
		f.Add([]byte(fzSeeds[9]), role)                        // an admin's command (WriteOff)
		f.Add([]byte(`[`+fzSeeds[2]+`,`+fzSeeds[9]+`]`), role) // an array needing admin
	}
	z := fzStart(f)
	for _, line := range fzPreamble {
		code, _, body := z.post(f, fzTokens[fzAdmin], []byte(line))
		if code != http.StatusOK {
			f.Fatalf("preamble %s: %d %s", line, code, body)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, role uint8) {
		token := fzTokens[int(role)%len(fzTokens)]
		before := z.lastSeq(t)
		code, ctype, answer := z.post(t, token, body)
		after := z.lastSeq(t)

		if code < 200 || code > 299 {
			if ctype != "application/problem+json" {
				t.Fatalf("%d with Content-Type %q, want application/problem+json: %s", code, ctype, answer)
			}
			var p struct {
				Type   string `json:"type"`
				Title  string `json:"title"`
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(answer, &p); err != nil {
				t.Fatalf("%d: the problem document is not JSON: %v\n%s", code, err, answer)
			}
			if strings.TrimSpace(p.Detail) == "" || p.Title == "" || p.Status != code || p.Type == "" {
				t.Fatalf("%d: not a problem document with a detail: %s", code, answer)
			}
			if after != before {
				t.Fatalf("%d (%s) but the stream moved from %d to %d", code, p.Detail, before, after)
			}
			return
		}

		if !strings.HasPrefix(ctype, "application/json") {
			t.Fatalf("%d with Content-Type %q: %s", code, ctype, answer)
		}
		var results []api.CommandResult
		if strings.HasPrefix(strings.TrimSpace(string(body)), "[") {
			if err := json.Unmarshal(answer, &results); err != nil {
				t.Fatalf("%d: an array's answer is not a list of results: %v\n%s", code, err, answer)
			}
			var n []json.RawMessage
			if err := json.Unmarshal(body, &n); err != nil || len(n) != len(results) {
				t.Fatalf("%d results for %d commands (%v): %s", len(results), len(n), err, answer)
			}
		} else {
			var r api.CommandResult
			if err := json.Unmarshal(answer, &r); err != nil {
				t.Fatalf("%d: the answer is not a result: %v\n%s", code, err, answer)
			}
			if r.Status == "refused" {
				t.Fatalf("%d for a refused single command, want a problem document: %s", code, answer)
			}
			results = []api.CommandResult{r}
		}
		recorded := false
		for i, r := range results {
			switch r.Status {
			case "recorded":
				recorded = true
			case "duplicate":
			case "refused":
				if r.Error == nil || strings.TrimSpace(r.Error.Detail) == "" {
					t.Fatalf("result %d refused without a detail: %s", i, answer)
				}
			default:
				t.Fatalf("result %d has status %q: %s", i, r.Status, answer)
			}
		}
		switch {
		case recorded && after <= before:
			t.Fatalf("recorded, but the stream stayed at %d: %s", before, answer)
		case !recorded && after != before:
			t.Fatalf("nothing recorded, but the stream moved from %d to %d: %s", before, after, answer)
		}
	})
}
