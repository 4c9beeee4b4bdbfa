package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/api"
	"github.com/arkeep/arkeep/batch"
)

// preamble is what the round trips below build on, recorded by an admin.
var preamble = []string{
	`{"cmd":"RegisterCustomer","id":"pre-1","on":"2024-12-01","customer":"P1","name":"Pine Ltd","grade":1,"terms_days":30,"collector":"ann","email":"ap@pine.example"}`,
	`{"cmd":"RegisterCustomer","id":"pre-2","on":"2024-12-01","customer":"P2","name":"Oak Co","grade":2,"terms_days":30,"collector":"bob"}`,
	`{"cmd":"IssueInvoice","id":"pre-3","on":"2026-01-05","invoice":"X1","customer":"P1","amount":"1000.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"pre-4","on":"2026-01-05","invoice":"X2","customer":"P1","amount":"500.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"pre-5","on":"2026-01-05","invoice":"X3","customer":"P1","amount":"500.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"pre-6","on":"2025-01-10","invoice":"X4","customer":"P1","amount":"300.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"pre-7","on":"2026-01-05","invoice":"X5","customer":"P1","amount":"200.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"pre-8","on":"2026-01-05","invoice":"X6","customer":"P1","amount":"200.00","currency":"CNY"}`,
	`{"cmd":"ReportViolation","id":"pre-9","on":"2026-01-20","violation":"V2","customer":"P1","reporter_name":"Mystery Shopper","occurred_on":"2026-01-18"}`,
}

// roundTrip is one Appendix A command: the body a clerk sends (also sent without a
// token, with a wrong one and by a viewer) and the body an admin sends. For the
// admin-only commands the clerk's body is refused with 403 and the admin sends it.
type roundTrip struct {
	cmd       string
	adminOnly bool
	clerk     string
	admin     string
}

var roundTrips = []roundTrip{
	{cmd: "RegisterCustomer",
		clerk: `{"cmd":"RegisterCustomer","id":"rt-1c","on":"2026-01-02","customer":"C1","name":"Cedar","grade":3,"terms_days":14,"collector":"ann","phone":"+86 10 1234","webhook":null}`,
		admin: `{"cmd":"RegisterCustomer","id":"rt-1a","on":"2026-01-02","customer":"C2","name":"Elm","grade":4,"terms_days":0,"collector":"bob","webhook":"https://elm.example/hook"}`},
	{cmd: "AssessCredit",
		clerk: `{"cmd":"AssessCredit","id":"rt-2c","on":"2026-01-02","customer":"P1","key":{"annual_sales":"A","monthly_sales":"A","payment_method":"A","payment_record":"A"}}`,
		admin: `{"cmd":"AssessCredit","id":"rt-2a","on":"2026-01-02","customer":"P2","key":{"annual_sales":"A","monthly_sales":"A","payment_method":"B","payment_record":"B"},"other":["A"]}`},
	{cmd: "IssueInvoice",
		clerk: `{"cmd":"IssueInvoice","id":"rt-3c","on":"2026-01-06","invoice":"I1","customer":"P1","amount":"100.00","currency":"CNY"}`,
		admin: `{"cmd":"IssueInvoice","id":"rt-3a","on":"2026-01-06","invoice":"I2","customer":"P2","amount":"100.00","currency":"USD","due":"2026-03-01"}`},
	{cmd: "RecordPayment",
		clerk: `{"cmd":"RecordPayment","id":"rt-4c","on":"2026-01-10","payment":"PAY1","customer":"P1","amount":"100.00","currency":"CNY","allocations":[{"invoice":"X1","amount":"100.00"}]}`,
		admin: `{"cmd":"RecordPayment","id":"rt-4a","on":"2026-01-11","payment":"PAY2","customer":"P1","amount":"50.00","currency":"CNY","allocations":[{"invoice":"X1","amount":"50.00"}]}`},
	{cmd: "IssueCreditNote",
		clerk: `{"cmd":"IssueCreditNote","id":"rt-5c","on":"2026-01-12","credit_note":"CN1","customer":"P1","amount":"10.00","currency":"CNY"}`,
		admin: `{"cmd":"IssueCreditNote","id":"rt-5a","on":"2026-01-12","credit_note":"CN2","customer":"P1","amount":"10.00","currency":"CNY","invoice":"X1"}`},
	{cmd: "AgreePriceProtection", adminOnly: true,
		clerk: `{"cmd":"AgreePriceProtection","id":"rt-6","on":"2026-01-15","customer":"P1","fund_rate":"0.02"}`},
	{cmd: "GrantExtension",
		clerk: `{"cmd":"GrantExtension","id":"rt-7c","on":"2026-02-01","invoice":"X1","due":"2026-02-20"}`,
		admin: `{"cmd":"GrantExtension","id":"rt-7a","on":"2026-02-02","invoice":"X1","due":"2026-03-01"}`},
	{cmd: "RecordPromise",
		clerk: `{"cmd":"RecordPromise","id":"rt-8c","on":"2026-02-01","invoice":"X5","promised":"2026-02-15","amount":"100.00"}`,
		admin: `{"cmd":"RecordPromise","id":"rt-8a","on":"2026-02-01","invoice":"X6","promised":"2026-02-16","amount":"200.00"}`},
	{cmd: "OpenDispute",
		clerk: `{"cmd":"OpenDispute","id":"rt-9c","on":"2026-02-03","invoice":"X2","reason":"damaged goods"}`,
		admin: `{"cmd":"OpenDispute","id":"rt-9a","on":"2026-02-03","invoice":"X3"}`},
	{cmd: "ResolveDispute",
		clerk: `{"cmd":"ResolveDispute","id":"rt-10c","on":"2026-02-10","invoice":"X2","reason":"replaced"}`,
		admin: `{"cmd":"ResolveDispute","id":"rt-10a","on":"2026-02-10","invoice":"X3","reason":null}`},
	{cmd: "WriteOff", adminOnly: true,
		clerk: `{"cmd":"WriteOff","id":"rt-11","on":"2026-02-10","invoice":"X4","reason":"uncollectable"}`},
	{cmd: "RecordAction",
		clerk: `{"cmd":"RecordAction","id":"rt-12c","on":"2026-02-05","customer":"P1","invoice":"X1","action":"call","outcome":"promised","note":"will pay"}`,
		admin: `{"cmd":"RecordAction","id":"rt-12a","on":"2026-02-06","customer":"P1","action":"visit"}`},
	{cmd: "ReportViolation", adminOnly: true,
		clerk: `{"cmd":"ReportViolation","id":"rt-13","on":"2026-02-05","violation":"V1","customer":"P1","reporter":"P2","occurred_on":"2026-02-01"}`},
	{cmd: "ConfirmViolation", adminOnly: true,
		clerk: `{"cmd":"ConfirmViolation","id":"rt-14","on":"2026-02-10","violation":"V1"}`},
	{cmd: "RejectViolation", adminOnly: true,
		clerk: `{"cmd":"RejectViolation","id":"rt-15","on":"2026-02-10","violation":"V2"}`},
	{cmd: "CloseQuarter", adminOnly: true,
		clerk: `{"cmd":"CloseQuarter","id":"rt-16","on":"2026-04-01","quarter":"2026Q1"}`},
}

func TestCommandRolesCoverAppendixA(t *testing.T) {
	names := batch.Commands()
	if len(names) != 16 {
		t.Fatalf("Appendix A has 16 commands, batch knows %d", len(names))
	}
	covered := map[string]bool{}
	for _, rt := range roundTrips {
		covered[rt.cmd] = true
		want := api.RoleClerk
		if rt.adminOnly {
			want = api.RoleAdmin
		}
		if got := api.CommandRole(rt.cmd); got != want {
			t.Errorf("%s needs %s, want %s", rt.cmd, got, want)
		}
	}
	for _, n := range names {
		if !covered[n] {
			t.Errorf("no round trip for %s", n)
		}
	}
	if api.CommandRole("SomethingNew") != api.RoleAdmin {
		t.Error("an unlisted command does not need admin")
	}
}

// TestCommandsRoundTripEveryRole sends every Appendix A command without a token, with a
// wrong one, as viewer, clerk and admin, and checks the answers and that nothing is
// recorded unless the command is allowed.
func TestCommandsRoundTripEveryRole(t *testing.T) {
	e := newEnv(t, nil)
	e.record(preamble...)
	for _, rt := range roundTrips {
		t.Run(rt.cmd, func(t *testing.T) {
			e.t = t
			defer func() { e.t = nil }()
			before := e.lastSeq()
			unchanged := func(who string) {
				t.Helper()
				if after := e.lastSeq(); after != before {
					t.Fatalf("%s: stream moved from %d to %d: something was recorded", who, before, after)
				}
			}

			r := e.post("", rt.clerk)
			wantProblem(t, r, http.StatusUnauthorized, "Authorization")
			if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
				t.Fatalf("401 without WWW-Authenticate: Bearer (%q)", h)
			}
			unchanged("no token")

			r = e.post(wrongToken, rt.clerk)
			wantProblem(t, r, http.StatusUnauthorized, "Authorization")
			if strings.Contains(string(r.body), wrongToken) || strings.Contains(r.header.Get("WWW-Authenticate"), wrongToken) {
				t.Fatal("the presented token is echoed")
			}
			unchanged("wrong token")

			r = e.post(viewerToken, rt.clerk)
			wantProblem(t, r, http.StatusForbidden, "Authorization")
			unchanged("viewer")

			r = e.post(clerkToken, rt.clerk)
			if rt.adminOnly {
				p := wantProblem(t, r, http.StatusForbidden, "cmd")
				if !strings.Contains(p["detail"].(string), "admin") {
					t.Errorf("403 does not say which role is needed: %v", p["detail"])
				}
				unchanged("clerk")
			} else {
				wantRecorded(t, r)
				if e.lastSeq() <= before {
					t.Fatal("clerk: recorded, but the stream did not move")
				}
			}

			body := rt.admin
			if rt.adminOnly {
				body = rt.clerk
			}
			mid := e.lastSeq()
			wantRecorded(t, e.post(adminToken, body))
			if e.lastSeq() <= mid {
				t.Fatal("admin: recorded, but the stream did not move")
			}
			// The same command again is a duplicate and records nothing.
			mid = e.lastSeq()
			r = e.post(adminToken, body)
			var res api.CommandResult
			if err := json.Unmarshal(r.body, &res); err != nil || r.status != http.StatusOK || res.Status != "duplicate" {
				t.Fatalf("resubmission: %d %s", r.status, r.body)
			}
			if e.lastSeq() != mid {
				t.Fatal("a resubmitted command moved the stream")
			}
		})
	}
	e.t = t

	// The effects are visible in the reports.
	bd := e.report("/api/v1/reports/baddebt?as_of=2026-04-15")
	wo := path(t, bd, "currencies", 0, "written_off", 0)
	if path(t, wo, "invoice") != "X4" || path(t, wo, "reason") != "uncollectable" || path(t, wo, "amount") != "290.00" {
		t.Errorf("write-off: %v (X4 300.00 less the 10.00 unlinked credit note allocated FIFO)", wo)
	}
	ag := e.report("/api/v1/reports/ageing?as_of=2026-02-28")
	for _, cu := range path(t, ag, "currencies", 0, "customers").([]any) {
		if path(t, cu, "customer") == "P1" && path(t, cu, "total") != "2340.00" {
			// X1 1000 − 150 paid − 10 credited, X2 500, X3 500, X5 200, X6 200, I1 100.
			t.Errorf("P1 ageing total %v, want 2340.00", path(t, cu, "total"))
		}
	}
}

func wantRecorded(t *testing.T, r reply) {
	t.Helper()
	var res api.CommandResult
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &res); err != nil || res.Status != "recorded" {
		t.Fatalf("not recorded: %s", r.body)
	}
}

func TestArrayWithAdminCommandByClerkRecordsNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.record(preamble...)
	before := e.lastSeq()
	body := `[
		{"cmd":"IssueInvoice","id":"a-1","on":"2026-03-01","invoice":"Z1","customer":"P1","amount":"10.00","currency":"CNY"},
		{"cmd":"RecordAction","id":"a-2","on":"2026-03-01","customer":"P1","action":"call"},
		{"cmd":"WriteOff","id":"a-3","on":"2026-03-01","invoice":"X4","reason":"other","force":true}
	]`
	r := e.post(clerkToken, body)
	p := wantProblem(t, r, http.StatusForbidden, "cmd")
	if p["index"] != float64(2) || !strings.Contains(p["detail"].(string), "WriteOff") {
		t.Fatalf("403 does not point at the WriteOff: %s", r.body)
	}
	if e.lastSeq() != before {
		t.Fatal("something was recorded")
	}
	// A malformed admin-only command is refused for its role too, before anything runs.
	r = e.post(clerkToken, `[{"cmd":"RecordAction","id":"a-2","on":"2026-03-01","customer":"P1","action":"call"},{"cmd":"CloseQuarter","id":"q"}]`)
	wantProblem(t, r, http.StatusForbidden, "cmd")
	if e.lastSeq() != before {
		t.Fatal("something was recorded")
	}
	// Without the WriteOff the clerk's array goes through; an admin's goes through whole.
	lines := strings.Split(body, "\n")
	r = e.post(clerkToken, "["+lines[1]+strings.TrimSuffix(strings.TrimSpace(lines[2]), ",")+"]")
	if r.status != http.StatusOK {
		t.Fatalf("clerk array: %d %s", r.status, r.body)
	}
	if r = e.post(adminToken, body); r.status != http.StatusOK {
		t.Fatalf("admin array: %d %s", r.status, r.body)
	}
	var res []api.CommandResult
	_ = json.Unmarshal(r.body, &res)
	if len(res) != 3 || res[0].Status != "duplicate" || res[1].Status != "duplicate" || res[2].Status != "recorded" {
		t.Fatalf("admin array: %s", r.body)
	}
}

func TestBadCommandProblemNamesField(t *testing.T) {
	e := newEnv(t, nil)
	e.record(preamble...)
	before := e.lastSeq()
	for _, c := range []struct{ body, field string }{
		{`{"cmd":"IssueInvoice","id":"b-1","on":"2026-03-01","invoice":"B1","customer":"P1","amount":"12,50","currency":"CNY"}`, "amount"},
		{`{"cmd":"IssueInvoice","id":"b-1","on":"2026-03-01","invoice":"B1","customer":"P1","amount":12.5,"currency":"CNY"}`, "amount"},
		{`{"cmd":"IssueInvoice","id":"b-1","on":"2026-03-01","invoice":"B1","customer":"P1","amount":"10.000","currency":"CNY"}`, "amount"},
		{`{"cmd":"IssueInvoice","id":"b-1","on":"2026-03-01","invoice":"B1","customer":"P1","amount":"10.00","currency":"XXY"}`, "currency"},
		{`{"cmd":"IssueInvoice","id":"b-1","on":"2026-02-30","invoice":"B1","customer":"P1","amount":"10.00","currency":"CNY"}`, "on"},
		{`{"cmd":"IssueInvoice","id":"b-1","on":"2026-03-01","invoice":"B1","customer":"P1","amount":"10.00","currency":"CNY","colour":"red"}`, "colour"},
		{`{"cmd":"IssueInvoice","id":"b-1","on":"2026-03-01","invoice":"B1","customer":"NOPE","amount":"10.00","currency":"CNY"}`, "customer"},
		{`{"cmd":"IssueInvoice","id":"b-1","on":"2026-03-01","invoice":"X1","customer":"P1","amount":"10.00","currency":"CNY"}`, "invoice"},
		{`{"cmd":"RecordPayment","id":"b-2","on":"2026-03-01","payment":"PB","customer":"P1","amount":"10.00","currency":"CNY","allocations":[{"invoice":"X1","amount":"20.00"}]}`, "allocations[0].amount"},
		{`{"cmd":"Teleport","id":"b-3","on":"2026-03-01"}`, "cmd"},
		{`{"cmd":"IssueInvoice",`, "json"},
	} {
		r := e.post(clerkToken, c.body)
		wantProblem(t, r, http.StatusUnprocessableEntity, c.field)
	}
	wantProblem(t, e.post(clerkToken, `[{"cmd":`), http.StatusBadRequest, "json")
	// Within the body limit, but too large for one message of the store (1 MiB).
	wantProblem(t, e.post(clerkToken, fmt.Sprintf(`{"cmd":"RecordAction","id":"b-6","on":"2026-03-01","customer":"P1","action":"call","note":"%s"}`,
		strings.Repeat("n", 1100<<10))), http.StatusUnprocessableEntity, "json")
	if e.lastSeq() != before {
		t.Fatal("a refused command was recorded")
	}
	// In an array the refused command is named in its result; the others are recorded.
	r := e.post(clerkToken, `[{"cmd":"RecordAction","id":"b-4","on":"2026-03-01","customer":"P1","action":"call"},
		{"cmd":"RecordAction","id":"b-5","on":"2026-03-01","customer":"P1","action":"dance"}]`)
	var res []api.CommandResult
	if err := json.Unmarshal(r.body, &res); err != nil || r.status != http.StatusOK || len(res) != 2 {
		t.Fatalf("array: %d %s", r.status, r.body)
	}
	if res[0].Status != "recorded" || res[1].Status != "refused" || res[1].Error.Field != "action" {
		t.Fatalf("array results: %s", r.body)
	}
}
