package csvimport_test

import (
	"strings"
	"testing"

	"github.com/arkeep/arkeep/csvimport"
	"github.com/arkeep/arkeep/domain"
)

const erpMapping = `
# A semicolon-separated export with day-first dates and a currency column.
delimiter: ";"
date_layout: "02.01.2006"
columns:
  customer: Kunde
  name: Name
  invoice: Rechnung
  issued: Datum
  due: Faellig
  amount: Betrag
  currency: Waehrung
  settled: Bezahlt am
  disputed: Strittig
disputed_values:
  true_values: [ja]
  false_values: [nein, ""]
customers:
  grade: 2
  collector: mia
  terms_days: 45
  terms_from_first_invoice: true
ids:
  prefix: erp
  payment_prefix: Z-
`

const erpCSV = "Kunde;Name;Rechnung;Datum;Faellig;Betrag;Waehrung;Bezahlt am;Strittig;Notiz\n" +
	"K1;Kunde Eins;R-1;15.03.2026;;1250.50;EUR;;nein;\"offen; bitte mahnen\"\n" +
	"K2;Zwei GmbH;R-3;02.03.2026;16.03.2026;100000;JPY;16.03.2026;;\n" +
	"K1;Kunde Eins;R-2;01.03.2026;31.03.2026;99.00;EUR;20.03.2026;JA;\n" +
	"K3;Drei;R-4;05.03.2026;;10;JPY;;nein;\n"

// TestCustomMapping imports a hand-written export with a YAML mapping: delimiter,
// date layout, currency column, customer defaults with terms from the first invoice,
// dispute flags and id prefixes.
func TestCustomMapping(t *testing.T) {
	m, err := csvimport.ParseMapping([]byte(erpMapping))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := csvimport.Translate(strings.NewReader(erpCSV), m)
	if err != nil {
		t.Fatal(err)
	}
	wantJSONL := strings.Join([]string{
		`{"cmd":"RegisterCustomer","id":"erp:K1:register","on":"2026-03-01","customer":"K1","name":"Kunde Eins","grade":2,"terms_days":30,"collector":"mia"}`,
		`{"cmd":"IssueInvoice","id":"erp:R-1:issue","on":"2026-03-15","invoice":"R-1","customer":"K1","amount":"1250.50","currency":"EUR"}`,
		`{"cmd":"RegisterCustomer","id":"erp:K2:register","on":"2026-03-02","customer":"K2","name":"Zwei GmbH","grade":2,"terms_days":14,"collector":"mia"}`,
		`{"cmd":"IssueInvoice","id":"erp:R-3:issue","on":"2026-03-02","invoice":"R-3","customer":"K2","amount":"100000","currency":"JPY","due":"2026-03-16"}`,
		`{"cmd":"RecordPayment","id":"erp:R-3:pay","on":"2026-03-16","payment":"Z-R-3","customer":"K2","amount":"100000","currency":"JPY","allocations":[{"invoice":"R-3","amount":"100000"}]}`,
		`{"cmd":"IssueInvoice","id":"erp:R-2:issue","on":"2026-03-01","invoice":"R-2","customer":"K1","amount":"99.00","currency":"EUR","due":"2026-03-31"}`,
		`{"cmd":"OpenDispute","id":"erp:R-2:open-dispute","on":"2026-03-01","invoice":"R-2"}`,
		`{"cmd":"ResolveDispute","id":"erp:R-2:resolve-dispute","on":"2026-03-20","invoice":"R-2"}`,
		`{"cmd":"RecordPayment","id":"erp:R-2:pay","on":"2026-03-20","payment":"Z-R-2","customer":"K1","amount":"99.00","currency":"EUR","allocations":[{"invoice":"R-2","amount":"99.00"}]}`,
		// K3's earliest invoice has no due date: the fixed terms apply.
		`{"cmd":"RegisterCustomer","id":"erp:K3:register","on":"2026-03-05","customer":"K3","name":"Drei","grade":2,"terms_days":45,"collector":"mia"}`,
		`{"cmd":"IssueInvoice","id":"erp:R-4:issue","on":"2026-03-05","invoice":"R-4","customer":"K3","amount":"10","currency":"JPY"}`,
	}, "\n") + "\n"
	if got := string(tr.JSONL()); got != wantJSONL {
		t.Fatalf("JSONL:\n%s\nwant:\n%s", got, wantJSONL)
	}
	for jl, csvLine := range map[int]int{1: 2, 2: 2, 3: 3, 5: 3, 6: 4, 9: 4, 11: 5} {
		if got, _ := tr.CSVLine(jl); got != csvLine {
			t.Errorf("CSVLine(%d) = %d, want %d", jl, got, csvLine)
		}
	}

	e := newEnv(t)
	st, refs := e.importCSV(erpCSV, m)
	if len(refs) > 0 || st.Commands.Recorded != 11 || st.Rows != 4 {
		t.Fatalf("%+v\n%s", st, refusalText(refs))
	}
	b := e.books()
	k1, _ := b.Existing("K1")
	if p := k1.Profile(); p.Name != "Kunde Eins" || p.TermsDays != 30 || p.Collector != "mia" || k1.GradeOn(p.RegisteredOn) != 2 {
		t.Errorf("K1 profile %+v", p)
	}
	r1, _ := k1.Invoice("R-1")
	if r1.Due != domain.MustDate("2026-04-14") || r1.Outstanding().String() != "1250.5" || r1.Currency.Code() != "EUR" {
		t.Errorf("R-1: due %s (want issue + 30 days terms), outstanding %s %s", r1.Due, r1.Outstanding(), r1.Currency.Code())
	}
	r2, _ := k1.Invoice("R-2")
	if r2.Disputed() || len(r2.Disputes()) != 2 || r2.Outstanding().IsPositive() || !r2.DisputedOn(domain.MustDate("2026-03-19")) {
		t.Errorf("R-2: disputes %+v, outstanding %s", r2.Disputes(), r2.Outstanding())
	}
	k3, _ := b.Existing("K3")
	if r4, _ := k3.Invoice("R-4"); r4.Due != domain.MustDate("2026-04-19") {
		t.Errorf("R-4 due %s, want 2026-04-19 (45 days terms)", r4.Due)
	}
	if st2, refs2 := e.importCSV(erpCSV, m); len(refs2) > 0 || st2.Commands.Recorded != 0 {
		t.Fatalf("re-import recorded %+v\n%s", st2, refusalText(refs2))
	}
}

func TestMappingErrors(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown key":     {"date_layout: x\ncurrency: USD\ncolumn:\n  customer: a\n", "field column not found"},
		"no currency":     {"date_layout: x\ncolumns: {customer: a, invoice: b, issued: c, amount: d}\n", "currency: set a fixed currency"},
		"both currencies": {"date_layout: x\ncurrency: USD\ncolumns: {customer: a, invoice: b, issued: c, amount: d, currency: e}\n", "not both"},
		"bad currency":    {"date_layout: x\ncurrency: XXY\ncolumns: {customer: a, invoice: b, issued: c, amount: d}\n", "ISO 4217"},
		"no amount":       {"date_layout: x\ncurrency: USD\ncolumns: {customer: a, invoice: b, issued: c}\n", "columns.amount: required"},
		"no layout":       {"currency: USD\ncolumns: {customer: a, invoice: b, issued: c, amount: d}\n", "date_layout: required"},
		"bad grade":       {"date_layout: x\ncurrency: USD\ncolumns: {customer: a, invoice: b, issued: c, amount: d}\ncustomers: {grade: 7}\n", "customers.grade"},
		"terms need due":  {"date_layout: x\ncurrency: USD\ncolumns: {customer: a, invoice: b, issued: c, amount: d}\ncustomers: {terms_from_first_invoice: true}\n", "needs columns.due"},
		"delimiter":       {"delimiter: ';;'\ndate_layout: x\ncurrency: USD\ncolumns: {customer: a, invoice: b, issued: c, amount: d}\n", "delimiter"},
		"empty":           {"", "empty"},
	} {
		_, err := csvimport.ParseMapping([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, tc.want)
		}
	}
	if _, err := csvimport.Preset("sap"); err == nil || !strings.Contains(err.Error(), "ibm-ar") {
		t.Errorf("Preset(sap) = %v", err)
	}
}
