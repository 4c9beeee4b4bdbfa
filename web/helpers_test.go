package web_test

import (
	"context"
	"github.com/arkeep/arkeep/internal/stacktest"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
	"github.com/arkeep/arkeep/web"
)

// today is the business date of every test: a Wednesday.
var today = domain.MustDate("2026-09-30")

// ledgerLines is a small, realistic ledger (Appendix A batch lines): five dealers in
// three currencies, payments with FIFO and explicit allocations, a quarter close with a
// rebate and a bounty, a write-off, a dispute and a broken promise.
//
// As of 2026-09-30 (due basis, default buckets) it ages as follows.
//
//	CNY  HZ-001  1-30 3000.50 (INV-1002, due 09-19)
//	             181+ 6520.00 (INV-1001 12000.00 − PAY-1 5000.00 − rebate 240.00
//	                            − bounty 240.00; due 02-09, 233 days)
//	     NB-002  91-180 8000.00 (INV-2001, due 04-15, 168 days)
//	     SH-003  current 2000.00 (INV-3002, disputed), 181+ 4500.00 (INV-3001)
//	             INV-3003 written off (bankruptcy, 1000.00)
//	     total   current 2000.00, 1-30 3000.50, 91-180 8000.00, 181+ 11020.00 = 24020.50
//	JPY  JP-020  61-90 150000 (INV-5001, due 07-31, 61 days)
//	USD  JP-020  unapplied credit -50.00
//	     US-010  1-30 1800.00 (INV-9001 2500.00 − PAY-2 700.00; due 08-31, 30 days)
const ledgerLines = `
{"cmd":"RegisterCustomer","id":"reg-hz","on":"2026-01-02","customer":"HZ-001","name":"Hangzhou Xinda Electronics","grade":1,"terms_days":30,"collector":"li.wei","email":"ar@xinda.example.cn"}
{"cmd":"RegisterCustomer","id":"reg-nb","on":"2026-01-02","customer":"NB-002","name":"Ningbo Haitong Trading","grade":2,"terms_days":45,"collector":"li.wei","phone":"+86 574 8888 1234"}
{"cmd":"RegisterCustomer","id":"reg-sh","on":"2026-01-02","customer":"SH-003","name":"Shanghai Pudong Digital Mall","grade":3,"terms_days":30,"collector":"zhang.min","phone":"+86 21 5555 0303"}
{"cmd":"RegisterCustomer","id":"reg-us","on":"2026-01-02","customer":"US-010","name":"Pacific Gadgets Inc.","grade":3,"terms_days":30,"collector":"zhang.min","email":"ap@pacificgadgets.example"}
{"cmd":"RegisterCustomer","id":"reg-jp","on":"2026-01-02","customer":"JP-020","name":"Osaka Denki Shokai","grade":2,"terms_days":30,"collector":"li.wei"}
{"cmd":"AgreePriceProtection","id":"pp-hz","on":"2026-01-02","customer":"HZ-001","fund_rate":"0.02"}
{"cmd":"AgreePriceProtection","id":"pp-nb","on":"2026-01-02","customer":"NB-002","fund_rate":"0.03"}
{"cmd":"IssueInvoice","id":"i-1001","on":"2026-01-10","invoice":"INV-1001","customer":"HZ-001","amount":"12000.00","currency":"CNY"}
{"cmd":"IssueInvoice","id":"i-3003","on":"2026-01-05","invoice":"INV-3003","customer":"SH-003","amount":"1000.00","currency":"CNY"}
{"cmd":"IssueInvoice","id":"i-3001","on":"2026-02-01","invoice":"INV-3001","customer":"SH-003","amount":"4500.00","currency":"CNY"}
{"cmd":"RecordPayment","id":"p-1","on":"2026-02-05","payment":"PAY-1","customer":"HZ-001","amount":"5000.00","currency":"CNY"}
{"cmd":"IssueInvoice","id":"i-2001","on":"2026-03-01","invoice":"INV-2001","customer":"NB-002","amount":"8000.00","currency":"CNY"}
{"cmd":"ReportViolation","id":"v-1","on":"2026-03-20","violation":"V-1","customer":"NB-002","reporter":"HZ-001","occurred_on":"2026-03-15"}
{"cmd":"ConfirmViolation","id":"v-1-ok","on":"2026-03-25","violation":"V-1"}
{"cmd":"CloseQuarter","id":"close-2026Q1","on":"2026-04-01","quarter":"2026Q1"}
{"cmd":"IssueInvoice","id":"i-5001","on":"2026-07-01","invoice":"INV-5001","customer":"JP-020","amount":"150000","currency":"JPY"}
{"cmd":"IssueInvoice","id":"i-9001","on":"2026-08-01","invoice":"INV-9001","customer":"US-010","amount":"2500.00","currency":"USD"}
{"cmd":"WriteOff","id":"wo-3003","on":"2026-08-10","invoice":"INV-3003","reason":"bankruptcy"}
{"cmd":"IssueInvoice","id":"i-1002","on":"2026-08-20","invoice":"INV-1002","customer":"HZ-001","amount":"3000.50","currency":"CNY"}
{"cmd":"RecordPayment","id":"p-2","on":"2026-09-10","payment":"PAY-2","customer":"US-010","amount":"700.00","currency":"USD","allocations":[{"invoice":"INV-9001","amount":"700.00"}]}
{"cmd":"RecordPromise","id":"pr-1","on":"2026-09-12","invoice":"INV-9001","promised":"2026-09-20","amount":"1800.00"}
{"cmd":"IssueInvoice","id":"i-3002","on":"2026-09-15","invoice":"INV-3002","customer":"SH-003","amount":"2000.00","currency":"CNY"}
{"cmd":"OpenDispute","id":"d-3002","on":"2026-09-20","invoice":"INV-3002","reason":"two units arrived damaged"}
{"cmd":"RecordPayment","id":"p-3","on":"2026-09-25","payment":"PAY-3","customer":"JP-020","amount":"50.00","currency":"USD"}
{"cmd":"RecordAction","id":"a-1","on":"2026-09-22","customer":"US-010","invoice":"INV-9001","action":"call","outcome":"reached AP, promised by Friday"}
`

// fixture is a real embedded JetStream with the ledger recorded, the live projection
// following it and the pages on an httptest server.
type fixture struct {
	t    *testing.T
	svc  *ledger.Service
	live *projections.Live
	srv  *httptest.Server
	ctx  context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	stack := stacktest.StartStore(t)
	st := stack.Store
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	f := &fixture{t: t, svc: svc, ctx: ctx}
	for _, line := range strings.Split(strings.TrimSpace(ledgerLines), "\n") {
		f.exec(line)
	}
	live, err := projections.StartLive(ctx, st)
	if err != nil {
		t.Fatalf("StartLive: %v", err)
	}
	f.live = live
	h := web.Handler(live, svc, domain.DefaultPolicy(), func() domain.Date { return today },
		web.WithContext(ctx), web.WithMinInterval(50*time.Millisecond))
	f.srv = httptest.NewServer(h)
	// Cleanups run last first: end the event streams (cancel), then close the server.
	t.Cleanup(f.srv.Close)
	t.Cleanup(cancel)
	return f
}

// exec records one batch line; it fails the test when the line is refused.
func (f *fixture) exec(line string) ledger.Result {
	f.t.Helper()
	cmd, hash, err := batch.ParseCommand([]byte(line))
	if err != nil {
		f.t.Fatalf("parse %s: %v", line, err)
	}
	res, err := f.svc.Execute(f.ctx, cmd, hash)
	if err != nil {
		f.t.Fatalf("execute %s: %v", line, err)
	}
	return res
}

// get fetches a page and returns its status and body.
func (f *fixture) get(path string) (int, string) {
	f.t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// page fetches a page that must answer 200.
func (f *fixture) page(path string) string {
	f.t.Helper()
	code, body := f.get(path)
	if code != http.StatusOK {
		f.t.Fatalf("GET %s: status %d\n%s", path, code, body)
	}
	return body
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (f *fixture) post(path string, form url.Values) *http.Response {
	f.t.Helper()
	resp, err := noRedirects.PostForm(f.srv.URL+path, form)
	if err != nil {
		f.t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	return resp
}

// waitLive waits until the live projection has folded everything recorded so far.
func (f *fixture) waitLive(check func(*domain.Books) bool) {
	f.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		ch := f.live.Changed()
		ok := false
		f.live.View(func(b *domain.Books) { ok = check(b) })
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			f.t.Fatal("live projection did not catch up")
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
