package main

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The price-protection fund through the batch contract, on a real embedded store:
// a rate change mid-quarter, a credit note in a later quarter than its invoice, a
// violation confirmed in the next quarter for the previous one, two confirmed
// violations with different reporters (the earlier report wins), a customer reporter's
// bounty allocated like a payment, a rebate allocated like a credit note, and a
// confirmation after the close that forfeits nothing. Expected values are worked out
// by hand from SPEC section 7.
var fundLedger = []string{
	`{"cmd":"RegisterCustomer","id":"r-v","on":"2026-01-01","customer":"V","name":"Violator","grade":2,"terms_days":30,"collector":"wang"}`,
	`{"cmd":"RegisterCustomer","id":"r-o","on":"2026-01-01","customer":"O","name":"Other dealer","grade":2,"terms_days":30,"collector":"wang"}`,
	`{"cmd":"RegisterCustomer","id":"r-r","on":"2026-01-01","customer":"R","name":"Rebated","grade":1,"terms_days":30,"collector":"li"}`,
	`{"cmd":"AgreePriceProtection","id":"a-v1","on":"2026-01-01","customer":"V","fund_rate":"0.05"}`,
	`{"cmd":"AgreePriceProtection","id":"a-v2","on":"2026-02-15","customer":"V","fund_rate":"0.1"}`,
	`{"cmd":"AgreePriceProtection","id":"a-r","on":"2026-01-01","customer":"R","fund_rate":"0.02"}`,
	// Q1: 1000.00 × 0.05 + 333.33 × 0.1 = 50 + 33.333 = 83.333 → 83.33 (one rounding).
	`{"cmd":"IssueInvoice","id":"i-v1","on":"2026-01-10","invoice":"INV-V1","customer":"V","amount":"1000.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"i-v2","on":"2026-02-20","invoice":"INV-V2","customer":"V","amount":"333.33","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"i-r1","on":"2026-01-15","invoice":"INV-R1","customer":"R","amount":"500.00","currency":"CNY"}`,
	`{"cmd":"RecordPayment","id":"p-r1","on":"2026-02-01","payment":"PAY-R1","customer":"R","amount":"500.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"i-r2","on":"2026-03-01","invoice":"INV-R2","customer":"R","amount":"300.00","currency":"CNY"}`,
	// Two confirmed violations of Q1: VIO-2 was reported first (04-01), so its outside
	// reporter gets the bounty although VIO-1 was confirmed first.
	`{"cmd":"ReportViolation","id":"v2","on":"2026-04-01","violation":"VIO-2","customer":"V","reporter_name":"Mr. Chen","occurred_on":"2026-03-25"}`,
	`{"cmd":"ReportViolation","id":"v1","on":"2026-04-02","violation":"VIO-1","customer":"V","reporter":"O","occurred_on":"2026-03-20"}`,
	`{"cmd":"ConfirmViolation","id":"v1-ok","on":"2026-04-03","violation":"VIO-1"}`,
	`{"cmd":"ConfirmViolation","id":"v2-ok","on":"2026-04-04","violation":"VIO-2"}`,
	`{"cmd":"CloseQuarter","id":"close-q1","on":"2026-04-05","quarter":"2026Q1"}`,
	// Q2: 200.00 × 0.1 − 100.00 × 0.05 (credit note on the Q1 invoice, dated in Q2) = 15.00.
	`{"cmd":"IssueInvoice","id":"i-v3","on":"2026-04-05","invoice":"INV-V3","customer":"V","amount":"200.00","currency":"CNY"}`,
	`{"cmd":"IssueCreditNote","id":"cn-1","on":"2026-04-10","credit_note":"CN-1","customer":"V","amount":"100.00","currency":"CNY","invoice":"INV-V1"}`,
	`{"cmd":"IssueInvoice","id":"i-o1","on":"2026-05-01","invoice":"INV-O1","customer":"O","amount":"100.00","currency":"CNY"}`,
	`{"cmd":"ReportViolation","id":"v3","on":"2026-06-10","violation":"VIO-3","customer":"V","reporter":"O","occurred_on":"2026-06-01"}`,
	`{"cmd":"ConfirmViolation","id":"v3-ok","on":"2026-06-15","violation":"VIO-3"}`,
	`{"cmd":"CloseQuarter","id":"close-q2","on":"2026-07-01","quarter":"2026Q2"}`,
	// Q3: only a credit note on a funded invoice: the fund exists, never below zero.
	`{"cmd":"IssueCreditNote","id":"cn-2","on":"2026-07-10","credit_note":"CN-2","customer":"V","amount":"10.00","currency":"CNY","invoice":"INV-V2"}`,
	// Confirmed after Q2 was closed: recorded, forfeits nothing.
	`{"cmd":"ReportViolation","id":"v4","on":"2026-07-05","violation":"VIO-4","customer":"R","reporter":"O","occurred_on":"2026-05-15"}`,
	`{"cmd":"ConfirmViolation","id":"v4-ok","on":"2026-07-06","violation":"VIO-4"}`,
}

func TestFundContract(t *testing.T) {
	dir := cliEnv(t)
	data := filepath.Join(dir, "data")
	file := writeFile(t, dir, "fund.jsonl", fundLedger...)
	if r := arkeep(t, "", "import", "--data", data, "--quiet", file); r.code != 0 {
		t.Fatalf("import: %s", r)
	}
	cases := []struct{ asOf, want string }{
		{"2026-04-02", `{"as_of":"2026-04-02","funds":[
			{"customer":"R","quarter":"2026Q1","currency":"CNY","accrued":"16.00","status":"open","rebated":"0.00","forfeited":"0.00","bounty_to":null},
			{"customer":"V","quarter":"2026Q1","currency":"CNY","accrued":"83.33","status":"open","rebated":"0.00","forfeited":"0.00","bounty_to":null}]}`},
		{"2026-04-03", `{"as_of":"2026-04-03","funds":[
			{"customer":"R","quarter":"2026Q1","currency":"CNY","accrued":"16.00","status":"open","rebated":"0.00","forfeited":"0.00","bounty_to":null},
			{"customer":"V","quarter":"2026Q1","currency":"CNY","accrued":"83.33","status":"forfeited","rebated":"0.00","forfeited":"83.33","bounty_to":null}]}`},
		{"2026-07-31", `{"as_of":"2026-07-31","funds":[
			{"customer":"R","quarter":"2026Q1","currency":"CNY","accrued":"16.00","status":"rebated","rebated":"16.00","forfeited":"0.00","bounty_to":null},
			{"customer":"V","quarter":"2026Q1","currency":"CNY","accrued":"83.33","status":"forfeited","rebated":"0.00","forfeited":"83.33","bounty_to":"Mr. Chen"},
			{"customer":"V","quarter":"2026Q2","currency":"CNY","accrued":"15.00","status":"forfeited","rebated":"0.00","forfeited":"15.00","bounty_to":"O"},
			{"customer":"V","quarter":"2026Q3","currency":"CNY","accrued":"0.00","status":"open","rebated":"0.00","forfeited":"0.00","bounty_to":null}]}`},
	}
	for _, c := range cases {
		r := arkeep(t, "", "report", "fund", "--data", data, "--as-of", c.asOf, "--format", "json")
		if r.code != 0 {
			t.Fatalf("report fund: %s", r)
		}
		sameJSON(t, "fund as of "+c.asOf, r.stdout, c.want)
	}
	// The late confirmation is recorded and says it forfeits nothing.
	ev := arkeep(t, "", "events", "--data", data)
	if !strings.Contains(ev.stdout, `"violation":"VIO-4"`) || strings.Count(ev.stdout, `"forfeits_nothing":true`) != 1 {
		t.Errorf("want exactly one confirmation that forfeits nothing (VIO-4):\n%s", ev.stdout)
	}
	// R's Q1 fund is 500.00 × 0.02 + 300.00 × 0.02 = 16.00. The rebate is credit
	// applied to R's open invoice (300.00 − 16.00); the bounty to
	// the customer reporter is applied to O's invoice (100.00 − 15.00).
	r := arkeep(t, "", "report", "ageing", "--data", data, "--as-of", "2026-07-31", "--format", "json", "--buckets", "30")
	sameJSON(t, "ageing", r.stdout, `{"as_of":"2026-07-31","basis":"due","buckets":["current","1-30","31+"],"currencies":[
		{"currency":"CNY","customers":[
			{"customer":"O","buckets":{"current":"0.00","1-30":"0.00","31+":"85.00"},"total":"85.00","unapplied_credit":"0.00"},
			{"customer":"R","buckets":{"current":"0.00","1-30":"0.00","31+":"284.00"},"total":"284.00","unapplied_credit":"0.00"},
			{"customer":"V","buckets":{"current":"0.00","1-30":"0.00","31+":"1423.33"},"total":"1423.33","unapplied_credit":"0.00"}],
		"totals":{"buckets":{"current":"0.00","1-30":"0.00","31+":"1792.33"},"total":"1792.33","unapplied_credit":"0.00"}}]}`)
}

func sameJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: output is not JSON: %v\n%s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: expected value is not JSON: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		t.Errorf("%s:\n got: %s\nwant: %s", what, gb, wb)
	}
}
