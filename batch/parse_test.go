package batch

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func meta(id, on string) domain.Meta { return domain.Meta{ID: id, On: domain.MustDate(on)} }

func action(s string) domain.Action {
	a, err := domain.ParseAction(s)
	if err != nil {
		panic(err)
	}
	return a
}

func quarter(s string) domain.Quarter {
	q, err := domain.ParseQuarter(s)
	if err != nil {
		panic(err)
	}
	return q
}

var cny, jpy = domain.MustCurrency("CNY"), domain.MustCurrency("JPY")

// validLines has one valid line of every command type (and a few variants).
var validLines = []struct {
	name string
	line string
	want domain.Command
}{
	{"RegisterCustomer", `{"cmd":"RegisterCustomer","id":"c1","on":"2026-01-05","customer":"C001","name":"Acme Trading","grade":2,"terms_days":30,"collector":"wang","email":"ap@acme.example","phone":"+86 10 1234","webhook":"https://acme.example/hook"}`,
		&domain.RegisterCustomer{Meta: meta("c1", "2026-01-05"), Customer: "C001", Name: "Acme Trading", Grade: 2, TermsDays: 30, Collector: "wang", Email: "ap@acme.example", Phone: "+86 10 1234", Webhook: "https://acme.example/hook"}},
	{"RegisterCustomer minimal", `{"cmd":"RegisterCustomer","id":"c2","on":"2026-01-05","customer":"C002","name":"Beta","grade":5,"terms_days":0,"collector":"li","email":null}`,
		&domain.RegisterCustomer{Meta: meta("c2", "2026-01-05"), Customer: "C002", Name: "Beta", Grade: 5, TermsDays: 0, Collector: "li"}},
	{"AssessCredit", `{"cmd":"AssessCredit","id":"a1","on":"2026-01-06","customer":"C001","key":{"annual_sales":"A","monthly_sales":"B","payment_method":"A","payment_record":"C"},"other":["A","C"]}`,
		&domain.AssessCredit{Meta: meta("a1", "2026-01-06"), Customer: "C001", Key: domain.KeyIndicators{AnnualSales: 'A', MonthlySales: 'B', PaymentMethod: 'A', PaymentRecord: 'C'}, Other: []domain.Rating{'A', 'C'}}},
	{"AssessCredit no other", `{"cmd":"AssessCredit","id":"a2","on":"2026-01-06","customer":"C001","key":{"annual_sales":"A","monthly_sales":"A","payment_method":"A","payment_record":"A"}}`,
		&domain.AssessCredit{Meta: meta("a2", "2026-01-06"), Customer: "C001", Key: domain.KeyIndicators{AnnualSales: 'A', MonthlySales: 'A', PaymentMethod: 'A', PaymentRecord: 'A'}}},
	{"IssueInvoice", `{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C001","amount":"1250.50","currency":"CNY","due":"2026-02-09"}`,
		&domain.IssueInvoice{Meta: meta("i1", "2026-01-10"), Invoice: "INV-1", Customer: "C001", Amount: dec("1250.50"), Currency: cny, Due: domain.MustDate("2026-02-09")}},
	{"IssueInvoice no due", `{"cmd":"IssueInvoice","id":"i2","on":"2026-01-10","invoice":"INV-2","customer":"C001","amount":"311","currency":"JPY"}`,
		&domain.IssueInvoice{Meta: meta("i2", "2026-01-10"), Invoice: "INV-2", Customer: "C001", Amount: dec("311"), Currency: jpy, Due: domain.NoDate}},
	{"RecordPayment", `{"cmd":"RecordPayment","id":"p1","on":"2026-02-01","payment":"PAY-1","customer":"C001","amount":"1000.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"600"},{"amount":"400.5","invoice":"INV-3"}]}`,
		&domain.RecordPayment{Meta: meta("p1", "2026-02-01"), Payment: "PAY-1", Customer: "C001", Amount: dec("1000.00"), Currency: cny, Allocations: []domain.AllocationRequest{{Invoice: "INV-1", Amount: dec("600")}, {Invoice: "INV-3", Amount: dec("400.5")}}}},
	{"RecordPayment auto", `{"cmd":"RecordPayment","id":"p2","on":"2026-02-01","payment":"PAY-2","customer":"C001","amount":"5","currency":"USD"}`,
		&domain.RecordPayment{Meta: meta("p2", "2026-02-01"), Payment: "PAY-2", Customer: "C001", Amount: dec("5"), Currency: domain.MustCurrency("USD")}},
	{"IssueCreditNote", `{"cmd":"IssueCreditNote","id":"cn1","on":"2026-02-02","credit_note":"CN-1","customer":"C001","amount":"50.00","currency":"CNY","invoice":"INV-1"}`,
		&domain.IssueCreditNote{Meta: meta("cn1", "2026-02-02"), CreditNote: "CN-1", Customer: "C001", Amount: dec("50.00"), Currency: cny, Invoice: "INV-1"}},
	{"IssueCreditNote unlinked", `{"cmd":"IssueCreditNote","id":"cn2","on":"2026-02-02","credit_note":"CN-2","customer":"C001","amount":"1.234","currency":"KWD","invoice":null}`,
		&domain.IssueCreditNote{Meta: meta("cn2", "2026-02-02"), CreditNote: "CN-2", Customer: "C001", Amount: dec("1.234"), Currency: domain.MustCurrency("KWD")}},
	{"GrantExtension", `{"cmd":"GrantExtension","id":"g1","on":"2026-02-03","invoice":"INV-1","due":"2026-03-31"}`,
		&domain.GrantExtension{Meta: meta("g1", "2026-02-03"), Invoice: "INV-1", Due: domain.MustDate("2026-03-31")}},
	{"RecordPromise", `{"cmd":"RecordPromise","id":"pr1","on":"2026-02-04","invoice":"INV-1","promised":"2026-02-20","amount":"250.00"}`,
		&domain.RecordPromise{Meta: meta("pr1", "2026-02-04"), Invoice: "INV-1", Promised: domain.MustDate("2026-02-20"), Amount: "250.00"}},
	{"OpenDispute", `{"cmd":"OpenDispute","id":"d1","on":"2026-02-05","invoice":"INV-1","reason":"damaged goods"}`,
		&domain.OpenDispute{Meta: meta("d1", "2026-02-05"), Invoice: "INV-1", Reason: "damaged goods"}},
	{"ResolveDispute", `{"cmd":"ResolveDispute","id":"d2","on":"2026-02-15","invoice":"INV-1"}`,
		&domain.ResolveDispute{Meta: meta("d2", "2026-02-15"), Invoice: "INV-1"}},
	{"WriteOff", `{"cmd":"WriteOff","id":"w1","on":"2026-09-01","invoice":"INV-1","reason":"bankruptcy","force":true}`,
		&domain.WriteOff{Meta: meta("w1", "2026-09-01"), Invoice: "INV-1", Reason: domain.ReasonBankruptcy, Force: true}},
	{"WriteOff no force", `{"cmd":"WriteOff","id":"w2","on":"2026-09-01","invoice":"INV-2","reason":"other"}`,
		&domain.WriteOff{Meta: meta("w2", "2026-09-01"), Invoice: "INV-2", Reason: domain.ReasonOther}},
	{"RecordAction", `{"cmd":"RecordAction","id":"ra1","on":"2026-02-06","customer":"C001","invoice":"INV-1","action":"call","outcome":"promised","note":"call back Friday"}`,
		&domain.RecordAction{Meta: meta("ra1", "2026-02-06"), Customer: "C001", Invoice: "INV-1", Action: action("call"), Outcome: "promised", Note: "call back Friday"}},
	{"AgreePriceProtection", `{"cmd":"AgreePriceProtection","id":"pp1","on":"2026-01-01","customer":"C001","fund_rate":"0.03"}`,
		&domain.AgreePriceProtection{Meta: meta("pp1", "2026-01-01"), Customer: "C001", Rate: dec("0.03")}},
	{"ReportViolation reporter", `{"cmd":"ReportViolation","id":"v1","on":"2026-02-10","violation":"V-1","customer":"C001","reporter":"C002","occurred_on":"2026-02-01"}`,
		&domain.ReportViolation{Meta: meta("v1", "2026-02-10"), Violation: "V-1", Customer: "C001", Reporter: "C002", OccurredOn: domain.MustDate("2026-02-01")}},
	{"ReportViolation reporter_name", `{"cmd":"ReportViolation","id":"v2","on":"2026-02-10","violation":"V-2","customer":"C001","reporter":null,"reporter_name":"Zhang San","occurred_on":"2026-02-01"}`,
		&domain.ReportViolation{Meta: meta("v2", "2026-02-10"), Violation: "V-2", Customer: "C001", ReporterName: "Zhang San", OccurredOn: domain.MustDate("2026-02-01")}},
	{"ConfirmViolation", `{"cmd":"ConfirmViolation","id":"v3","on":"2026-02-11","violation":"V-1"}`,
		&domain.ConfirmViolation{Meta: meta("v3", "2026-02-11"), Violation: "V-1"}},
	{"RejectViolation", `{"cmd":"RejectViolation","id":"v4","on":"2026-02-11","violation":"V-2"}`,
		&domain.RejectViolation{Meta: meta("v4", "2026-02-11"), Violation: "V-2"}},
	{"CloseQuarter", `{"cmd":"CloseQuarter","id":"q1","on":"2026-04-01","quarter":"2026Q1"}`,
		&domain.CloseQuarter{Meta: meta("q1", "2026-04-01"), Quarter: quarter("2026Q1")}},
}

func show(c domain.Command) string { return fmt.Sprintf("%T %+v", c, c) }

func TestParseValid(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range validLines {
		t.Run(tc.name, func(t *testing.T) {
			got, hash, err := ParseCommand([]byte(tc.line))
			if err != nil {
				t.Fatalf("ParseCommand: %v", err)
			}
			if show(got) != show(tc.want) {
				t.Errorf("got  %s\nwant %s", show(got), show(tc.want))
			}
			if len(hash) != 64 {
				t.Errorf("hash %q is not hex sha256", hash)
			}
		})
		seen[strings.Split(tc.name, " ")[0]] = true
	}
	for _, c := range Commands() {
		if !seen[c] {
			t.Errorf("no valid line for %s", c)
		}
	}
	if len(Commands()) != 16 {
		t.Errorf("%d commands, want 16", len(Commands()))
	}
}

const inv = `"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C001"`

func invoice(amount, currency string) string {
	return `{` + inv + `,"amount":` + amount + `,"currency":` + currency + `}`
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name, line, field, msg string
	}{
		// shape of the line
		{"not an object", `["IssueInvoice"]`, FieldJSON, "JSON object"},
		{"string line", `"hello"`, FieldJSON, "JSON object"},
		{"malformed", `{"cmd":"IssueInvoice",`, FieldJSON, ""},
		{"missing colon", `{"cmd" "IssueInvoice"}`, FieldJSON, ""},
		{"trailing comma", `{"cmd":"CloseQuarter","id":"q","on":"2026-04-01","quarter":"2026Q1",}`, FieldJSON, ""},
		{"trailing garbage", `{"cmd":"CloseQuarter","id":"q","on":"2026-04-01","quarter":"2026Q1"} x`, FieldJSON, "after the JSON object"},
		{"two objects", `{"cmd":"CloseQuarter","id":"q","on":"2026-04-01","quarter":"2026Q1"}{}`, FieldJSON, "after the JSON object"},
		{"invalid utf8", "{\"cmd\":\"CloseQuarter\",\"id\":\"q\xff\",\"on\":\"2026-04-01\",\"quarter\":\"2026Q1\"}", FieldJSON, "UTF-8"},
		{"empty field name", `{"cmd":"CloseQuarter","":"x"}`, FieldJSON, "empty"},
		{"duplicate field", `{"cmd":"CloseQuarter","id":"q","on":"2026-04-01","quarter":"2026Q1","quarter":"2026Q2"}`, "quarter", "twice"},
		{"too deep", `{"cmd":"CloseQuarter","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, FieldJSON, "nested"},
		// cmd, id, on
		{"no cmd", `{"id":"q","on":"2026-04-01","quarter":"2026Q1"}`, "cmd", "required"},
		{"unknown cmd", `{"cmd":"DeleteEverything","id":"q","on":"2026-04-01"}`, "cmd", "not a command"},
		{"cmd number", `{"cmd":7,"id":"q","on":"2026-04-01"}`, "cmd", "string"},
		{"missing id", `{"cmd":"CloseQuarter","on":"2026-04-01","quarter":"2026Q1"}`, "id", "required"},
		{"null id", `{"cmd":"CloseQuarter","id":null,"on":"2026-04-01","quarter":"2026Q1"}`, "id", "required"},
		{"empty id", `{"cmd":"CloseQuarter","id":"","on":"2026-04-01","quarter":"2026Q1"}`, "id", "empty"},
		{"number id", `{"cmd":"CloseQuarter","id":12,"on":"2026-04-01","quarter":"2026Q1"}`, "id", "string"},
		{"missing on", `{"cmd":"CloseQuarter","id":"q","quarter":"2026Q1"}`, "on", "required"},
		{"impossible date", `{"cmd":"CloseQuarter","id":"q","on":"2026-02-30","quarter":"2026Q1"}`, "on", "real calendar date"},
		{"short date", `{"cmd":"CloseQuarter","id":"q","on":"2026-2-3","quarter":"2026Q1"}`, "on", "YYYY-MM-DD"},
		{"date with time", `{"cmd":"CloseQuarter","id":"q","on":"2026-04-01T00:00:00Z","quarter":"2026Q1"}`, "on", "YYYY-MM-DD"},
		// unknown / extra / missing fields
		{"unknown field", `{"cmd":"CloseQuarter","id":"q","on":"2026-04-01","quarter":"2026Q1","colour":"red"}`, "colour", "unknown field"},
		{"extra field of another command", `{` + inv + `,"amount":"1","currency":"CNY","reason":"x"}`, "reason", "unknown field"},
		{"missing required", `{` + inv + `,"currency":"CNY"}`, "amount", "required"},
		{"null required", `{` + inv + `,"amount":null,"currency":"CNY"}`, "amount", "required"},
		{"missing customer", `{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","amount":"1","currency":"CNY"}`, "customer", "required"},
		{"number invoice id", `{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":42,"customer":"C001","amount":"1","currency":"CNY"}`, "invoice", "string"},
		// amounts
		{"JSON number amount", invoice(`1250.50`, `"CNY"`), "amount", "must be a string"},
		{"12.", invoice(`"12."`, `"CNY"`), "amount", "not a plain decimal"},
		{".5", invoice(`".5"`, `"CNY"`), "amount", "not a plain decimal"},
		{"12,50", invoice(`"12,50"`, `"CNY"`), "amount", "not a plain decimal"},
		{"-5", invoice(`"-5"`, `"CNY"`), "amount", "not a plain decimal"},
		{"+5", invoice(`"+5"`, `"CNY"`), "amount", "not a plain decimal"},
		{"1e3", invoice(`"1e3"`, `"CNY"`), "amount", "not a plain decimal"},
		{"spaces", invoice(`" 12"`, `"CNY"`), "amount", "not a plain decimal"},
		{"empty amount", invoice(`""`, `"CNY"`), "amount", ""},
		{"0", invoice(`"0"`, `"CNY"`), "amount", "greater than zero"},
		{"0.00", invoice(`"0.00"`, `"CNY"`), "amount", "greater than zero"},
		{"10.000 CNY", invoice(`"10.000"`, `"CNY"`), "amount", "decimals"},
		{"100.0 JPY", invoice(`"100.0"`, `"JPY"`), "amount", "decimals"},
		{"unknown currency", invoice(`"10"`, `"XYZ"`), "currency", "not an active ISO 4217 currency code"},
		{"lowercase currency", invoice(`"10"`, `"cny"`), "currency", "not an active ISO 4217 currency code"},
		{"missing currency", `{` + inv + `,"amount":"10"}`, "currency", "required"},
		{"due impossible", `{` + inv + `,"amount":"10","currency":"CNY","due":"2026-02-30"}`, "due", "real calendar date"},
		// RegisterCustomer
		{"grade 0", regCust(`0`, `30`), "grade", "range"},
		{"grade 6", regCust(`6`, `30`), "grade", "range"},
		{"grade 2.5", regCust(`2.5`, `30`), "grade", "whole number"},
		{"grade 2e0", regCust(`2e0`, `30`), "grade", "whole number"},
		{"grade string", regCust(`"2"`, `30`), "grade", "whole number"},
		{"negative terms", regCust(`2`, `-1`), "terms_days", "range"},
		{"huge terms", regCust(`2`, `99999999999999999999999`), "terms_days", "range"},
		{"terms fraction", regCust(`2`, `30.5`), "terms_days", "whole number"},
		{"bad email", strings.Replace(regCust(`2`, `30`), `}`, `,"email":"nobody"}`, 1), "email", "email"},
		{"email two at", strings.Replace(regCust(`2`, `30`), `}`, `,"email":"a@b@c"}`, 1), "email", "email"},
		{"bad webhook", strings.Replace(regCust(`2`, `30`), `}`, `,"webhook":"ftp://x.example/"}`, 1), "webhook", "URL"},
		{"relative webhook", strings.Replace(regCust(`2`, `30`), `}`, `,"webhook":"/hook"}`, 1), "webhook", "URL"},
		{"empty name", `{"cmd":"RegisterCustomer","id":"c","on":"2026-01-05","customer":"C","name":" ","grade":1,"terms_days":1,"collector":"x"}`, "name", "empty"},
		// AssessCredit
		{"key missing indicator", `{"cmd":"AssessCredit","id":"a","on":"2026-01-06","customer":"C","key":{"annual_sales":"A","monthly_sales":"A","payment_method":"A"}}`, "key.payment_record", "required"},
		{"key extra", `{"cmd":"AssessCredit","id":"a","on":"2026-01-06","customer":"C","key":{"annual_sales":"A","monthly_sales":"A","payment_method":"A","payment_record":"A","x":"A"}}`, "key.x", "unknown field"},
		{"key bad rating", `{"cmd":"AssessCredit","id":"a","on":"2026-01-06","customer":"C","key":{"annual_sales":"D","monthly_sales":"A","payment_method":"A","payment_record":"A"}}`, "key.annual_sales", "rating"},
		{"key not object", `{"cmd":"AssessCredit","id":"a","on":"2026-01-06","customer":"C","key":"AAAA"}`, "key", "object"},
		{"other bad", `{"cmd":"AssessCredit","id":"a","on":"2026-01-06","customer":"C","key":{"annual_sales":"A","monthly_sales":"A","payment_method":"A","payment_record":"A"},"other":["A","a"]}`, "other[1]", "rating"},
		{"other not list", `{"cmd":"AssessCredit","id":"a","on":"2026-01-06","customer":"C","key":{"annual_sales":"A","monthly_sales":"A","payment_method":"A","payment_record":"A"},"other":"A"}`, "other", "list"},
		// RecordPayment allocations
		{"allocation missing invoice", payment(`[{"amount":"1"}]`), "allocations[0].invoice", "required"},
		{"allocation bad amount", payment(`[{"invoice":"I","amount":"1"},{"invoice":"J","amount":"1.005"}]`), "allocations[1].amount", "decimals"},
		{"allocation number amount", payment(`[{"invoice":"I","amount":1}]`), "allocations[0].amount", "must be a string"},
		{"allocation extra", payment(`[{"invoice":"I","amount":"1","note":"x"}]`), "allocations[0].note", "unknown field"},
		{"allocation not object", payment(`["I"]`), "allocations[0]", "object"},
		{"allocations not list", payment(`{"invoice":"I","amount":"1"}`), "allocations", "list"},
		// RecordPromise
		{"promise number", `{"cmd":"RecordPromise","id":"p","on":"2026-02-04","invoice":"I","promised":"2026-02-20","amount":250}`, "amount", "must be a string"},
		{"promise zero", `{"cmd":"RecordPromise","id":"p","on":"2026-02-04","invoice":"I","promised":"2026-02-20","amount":"0"}`, "amount", "greater than zero"},
		{"promise syntax", `{"cmd":"RecordPromise","id":"p","on":"2026-02-04","invoice":"I","promised":"2026-02-20","amount":"1,5"}`, "amount", "plain decimal"},
		{"promise bad date", `{"cmd":"RecordPromise","id":"p","on":"2026-02-04","invoice":"I","promised":"2026-13-01","amount":"1"}`, "promised", "date"},
		// WriteOff, RecordAction, disputes
		{"writeoff no reason", `{"cmd":"WriteOff","id":"w","on":"2026-09-01","invoice":"I"}`, "reason", "required"},
		{"writeoff bad reason", `{"cmd":"WriteOff","id":"w","on":"2026-09-01","invoice":"I","reason":"bored"}`, "reason", "write-off reason"},
		{"writeoff force string", `{"cmd":"WriteOff","id":"w","on":"2026-09-01","invoice":"I","reason":"other","force":"yes"}`, "force", "true or false"},
		{"dispute reason number", `{"cmd":"OpenDispute","id":"d","on":"2026-09-01","invoice":"I","reason":5}`, "reason", "string"},
		{"bad action", `{"cmd":"RecordAction","id":"r","on":"2026-02-06","customer":"C","action":"shout"}`, "action", "collection action"},
		{"missing action", `{"cmd":"RecordAction","id":"r","on":"2026-02-06","customer":"C"}`, "action", "required"},
		// price protection
		{"rate number", `{"cmd":"AgreePriceProtection","id":"pp","on":"2026-01-01","customer":"C","fund_rate":0.03}`, "fund_rate", "must be a string"},
		{"rate one", `{"cmd":"AgreePriceProtection","id":"pp","on":"2026-01-01","customer":"C","fund_rate":"1"}`, "fund_rate", "less than 1"},
		{"rate 7 decimals", `{"cmd":"AgreePriceProtection","id":"pp","on":"2026-01-01","customer":"C","fund_rate":"0.0000001"}`, "fund_rate", "decimals"},
		{"both reporters", `{"cmd":"ReportViolation","id":"v","on":"2026-02-10","violation":"V","customer":"C","reporter":"D","reporter_name":"Zhang","occurred_on":"2026-02-01"}`, "reporter", "not both"},
		{"no reporter", `{"cmd":"ReportViolation","id":"v","on":"2026-02-10","violation":"V","customer":"C","occurred_on":"2026-02-01"}`, "reporter", "required"},
		{"null reporters", `{"cmd":"ReportViolation","id":"v","on":"2026-02-10","violation":"V","customer":"C","reporter":null,"reporter_name":null,"occurred_on":"2026-02-01"}`, "reporter", "required"},
		{"missing occurred_on", `{"cmd":"ReportViolation","id":"v","on":"2026-02-10","violation":"V","customer":"C","reporter":"D"}`, "occurred_on", "required"},
		{"missing violation", `{"cmd":"ConfirmViolation","id":"v","on":"2026-02-10"}`, "violation", "required"},
		{"bad quarter", `{"cmd":"CloseQuarter","id":"q","on":"2026-04-01","quarter":"2026Q5"}`, "quarter", "quarter"},
		{"signed quarter", `{"cmd":"CloseQuarter","id":"q","on":"2026-04-01","quarter":"+026Q1"}`, "quarter", "quarter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd, hash, err := ParseCommand([]byte(tc.line))
			if err == nil {
				t.Fatalf("accepted: %s", show(cmd))
			}
			if cmd != nil || hash != "" {
				t.Errorf("refusal returned a command or hash")
			}
			var fe *domain.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *domain.FieldError", err, err)
			}
			if fe.Field != tc.field {
				t.Errorf("field %q, want %q (error %q)", fe.Field, tc.field, err)
			}
			if fe.Reason != domain.Invalid {
				t.Errorf("reason %q, want invalid", fe.Reason)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), tc.field+": ") {
				t.Errorf("error %q does not start with the field", err)
			}
		})
	}
}

func regCust(grade, terms string) string {
	return `{"cmd":"RegisterCustomer","id":"c","on":"2026-01-05","customer":"C","name":"N","grade":` + grade + `,"terms_days":` + terms + `,"collector":"x"}`
}

func payment(allocs string) string {
	return `{"cmd":"RecordPayment","id":"p","on":"2026-02-01","payment":"P","customer":"C","amount":"10","currency":"CNY","allocations":` + allocs + `}`
}

func TestErrorMessages(t *testing.T) {
	for line, want := range map[string]string{
		invoice(`"12."`, `"CNY"`):   `amount: "12." is not a plain decimal`,
		invoice(`"1"`, `"XYZ"`):     `currency: "XYZ" is not an active ISO 4217 currency code`,
		payment(`[{"amount":"1"}]`): `allocations[0].invoice: required`,
	} {
		_, _, err := ParseCommand([]byte(line))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %v, want prefix %q", err, want)
		}
	}
}

func hashOf(t *testing.T, line string) string {
	t.Helper()
	_, h, err := ParseCommand([]byte(line))
	if err != nil {
		t.Fatalf("ParseCommand(%s): %v", line, err)
	}
	return h
}

func TestHash(t *testing.T) {
	base := `{"cmd":"RecordPayment","id":"p1","on":"2026-02-01","payment":"PAY-1","customer":"C001","amount":"1000.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"600"}]}`
	h := hashOf(t, base)
	same := []string{
		// key order and whitespace
		"  {\"currency\" : \"CNY\",\n\t\"amount\":\"1000.00\", \"allocations\":[ {\"amount\":\"600\",\"invoice\":\"INV-1\"} ],\"customer\":\"C001\",\"payment\":\"PAY-1\",\"on\":\"2026-02-01\",\"id\":\"p1\",\"cmd\":\"RecordPayment\"}  ",
		// escapes that decode to the same string
		`{"cmd":"RecordPayment","id":"p\u0031","on":"2026-02-01","payment":"PAY-1","customer":"C001","amount":"1000.00","currency":"CNY","allocations":[{"invoice":"INV-1","amount":"600"}]}`,
	}
	for _, l := range same {
		if got := hashOf(t, l); got != h {
			t.Errorf("hash of %s differs", l)
		}
	}
	// explicit null optional = absent
	noAlloc := `{"cmd":"RecordPayment","id":"p1","on":"2026-02-01","payment":"PAY-1","customer":"C001","amount":"1000.00","currency":"CNY"}`
	nullAlloc := `{"cmd":"RecordPayment","id":"p1","on":"2026-02-01","payment":"PAY-1","customer":"C001","amount":"1000.00","currency":"CNY","allocations":null}`
	if hashOf(t, noAlloc) != hashOf(t, nullAlloc) {
		t.Errorf("null optional field changes the hash")
	}
	if hashOf(t, noAlloc) == h {
		t.Errorf("dropping allocations does not change the hash")
	}
	// any value change
	diff := []string{
		strings.Replace(base, `"1000.00"`, `"1000.0"`, 1),
		strings.Replace(base, `"1000.00"`, `"1000.01"`, 1),
		strings.Replace(base, `"p1"`, `"p2"`, 1),
		strings.Replace(base, `"2026-02-01"`, `"2026-02-02"`, 1),
		strings.Replace(base, `"CNY"`, `"USD"`, 1),
		strings.Replace(base, `"600"`, `"601"`, 1),
		strings.Replace(base, `"INV-1"`, `"INV-2"`, 1),
		strings.Replace(base, `"C001"`, `"C002"`, 1),
		strings.Replace(base, `[{"invoice":"INV-1","amount":"600"}]`, `[{"invoice":"INV-1","amount":"300"},{"invoice":"INV-1","amount":"300"}]`, 1),
	}
	seen := map[string]string{h: base}
	for _, l := range diff {
		g := hashOf(t, l)
		if prev, ok := seen[g]; ok {
			t.Errorf("same hash for\n%s\n%s", l, prev)
		}
		seen[g] = l
	}
	// integers and booleans
	r1 := regCust(`2`, `30`)
	if hashOf(t, r1) == hashOf(t, regCust(`3`, `30`)) {
		t.Errorf("grade change keeps the hash")
	}
	if hashOf(t, regCust(`2`, `0`)) != hashOf(t, regCust(`2`, `-0`)) {
		t.Errorf("-0 and 0 hash differently")
	}
	w := `{"cmd":"WriteOff","id":"w","on":"2026-09-01","invoice":"I","reason":"other","force":false}`
	if hashOf(t, w) == hashOf(t, strings.Replace(w, "false", "true", 1)) {
		t.Errorf("force change keeps the hash")
	}
	// every valid line hashes differently
	all := map[string]string{}
	for _, tc := range validLines {
		g := hashOf(t, tc.line)
		if prev, ok := all[g]; ok {
			t.Errorf("%s and %s share a hash", tc.name, prev)
		}
		all[g] = tc.name
	}
}
