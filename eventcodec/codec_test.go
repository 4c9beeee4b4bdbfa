package eventcodec

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

var update = flag.Bool("update", false, "rewrite docs/events/*.schema.json and testdata golden files")

func dec_(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var (
	d1  = domain.MustDate("2026-01-01")
	d2  = domain.MustDate("2026-02-28")
	d3  = domain.MustDate("2026-03-31")
	eur = domain.MustCurrency("EUR")
	jpy = domain.MustCurrency("JPY")
	kwd = domain.MustCurrency("KWD")
	q1  = mustQuarter("2026Q1")
)

func mustQuarter(s string) domain.Quarter {
	q, err := domain.ParseQuarter(s)
	if err != nil {
		panic(err)
	}
	return q
}

func allocations() []domain.Allocation {
	return []domain.Allocation{
		{Invoice: "I1", Amount: dec_("1000.25"), Explicit: true, Remaining: dec_("250.25")},
		{Invoice: "I2", Amount: dec_("0.01"), Explicit: false, Remaining: dec_("0")},
	}
}

// sampleEvents has one event of every type with every field set (checked by
// TestSampleEventsSetEveryField).
func sampleEvents() []domain.Event {
	return []domain.Event{
		domain.CustomerRegistered{On: d1, Customer: "C1", Name: "Acme \"Ltd\" <&>", Grade: 2,
			TermsDays: 30, Collector: "alice", Email: "ap@acme.example", Phone: "+86 21 5555 0000",
			Webhook: "https://acme.example/hook"},
		domain.CreditAssessed{On: d1, Key: domain.KeyIndicators{AnnualSales: domain.RatingA,
			MonthlySales: domain.RatingB, PaymentMethod: domain.RatingC, PaymentRecord: domain.RatingA},
			Other: []domain.Rating{domain.RatingA, domain.RatingB, domain.RatingC}, Grade: 4},
		domain.InvoiceIssued{On: d1, Invoice: "I1", Amount: dec_("1250.50"), Currency: eur, Due: d3,
			HasFund: true, FundRate: dec_("0.000001"),
			Applied: []domain.CreditApplication{{Source: "P0", Amount: dec_("100")},
				{Source: "rebate:2025Q4:EUR", Amount: dec_("0.5")}}},
		domain.PaymentRecorded{On: d2, Payment: "P1", Amount: dec_("1500.26"), Currency: eur,
			Allocations: allocations(),
			Recoveries:  []domain.Recovery{{Invoice: "I9", Amount: dec_("200")}},
			Unapplied:   dec_("300.00")},
		domain.CreditNoteIssued{On: d2, CreditNote: "CN1", Amount: dec_("99.999"), Currency: kwd,
			Invoice: "I1", Allocations: allocations(), Unapplied: dec_("0.123")},
		domain.ExtensionGranted{On: d2, Invoice: "I1", Due: d3, PreviousDue: d2},
		domain.DisputeOpened{On: d2, Invoice: "I1", Reason: "wrong quantity"},
		domain.DisputeResolved{On: d3, Invoice: "I1", Reason: "credit note issued"},
		domain.InvoiceWrittenOff{On: d3, Invoice: "I1", Amount: dec_("12345678901234567890.123456789"),
			Reason: domain.ReasonWilfulDefault, Forced: true},
		domain.InvoiceBecameDoubtful{On: d3, Invoice: "I1"},
		domain.PromiseRecorded{On: d2, Invoice: "I1", Promised: d3, Amount: dec_("5000")},
		domain.ActionRecorded{On: d2, Invoice: "I1", Action: domain.ActCall, Outcome: "promised",
			Note: "line one\nline two é 中文"},
		domain.ReminderSent{On: d2, Step: "I1:due_reminder:2026-02-28", Invoice: "I1",
			Action: domain.ActDueReminder, StepDate: d2, Channel: "email", Outcome: "sent"},
		domain.FundAgreed{On: d1, Rate: dec_("0.000001")},
		domain.ViolationReported{On: d2, Violation: "V1", Reporter: "C2", ReporterName: "Bob",
			OccurredOn: d1},
		domain.ViolationConfirmed{On: d3, Violation: "V1", Quarter: q1, ForfeitsNothing: true},
		domain.ViolationRejected{On: d3, Violation: "V2"},
		domain.FundRebated{On: d3, Quarter: q1, Currency: jpy, Amount: dec_("1200"),
			Allocations: allocations(), Unapplied: dec_("3")},
		domain.FundForfeited{On: d3, Quarter: q1, Currency: eur, Amount: dec_("17.35"),
			Violation: "V1", Reporter: "C2", ReporterName: "Bob"},
		domain.BountyAwarded{On: d3, Quarter: q1, Currency: eur, Amount: dec_("8.67"),
			Violator: "C3", Violation: "V1", Allocations: allocations(), Unapplied: dec_("1.5")},
		domain.QuarterClosed{On: d3, Quarter: q1},
	}
}

func sampleCommit() Commit {
	evs := sampleEvents()
	return Commit{Scope: ScopeAccount, Account: "C1", Commands: []CommandRecord{
		{ID: "cmd-1", Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			RecordedAt: time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC), Events: evs[:10]},
		{ID: "cmd-2", Hash: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
			RecordedAt: time.Date(2026, 11, 23, 18, 0, 0, 0, time.FixedZone("CST", 8*3600)),
			Events:     evs[10:]},
	}}
}

// domainEventTypes reads the Type* constants of domain/events.go, so a new event
// type without a codec fails the tests.
func domainEventTypes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "domain", "events.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "Type") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					continue
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				types = append(types, v)
			}
		}
	}
	return types
}

func TestEveryDomainTypeCovered(t *testing.T) {
	want := domainEventTypes(t)
	if len(want) != 21 {
		t.Errorf("domain declares %d event types, expected 21: %v", len(want), want)
	}
	var samples []string
	for _, e := range sampleEvents() {
		samples = append(samples, e.Type())
	}
	for _, typ := range want {
		if !slices.Contains(knownTypes, typ) {
			t.Errorf("%s is not in knownTypes / decodeData", typ)
		}
		if !slices.Contains(samples, typ) {
			t.Errorf("%s has no sample event", typ)
		}
		if _, ok := wireTypes[typ]; !ok {
			t.Errorf("%s has no entry in wireTypes (schemas)", typ)
		}
	}
	if len(knownTypes) != len(want) || len(samples) != len(want) || len(wireTypes) != len(want) {
		t.Errorf("knownTypes %d, samples %d, wireTypes %d, domain %d",
			len(knownTypes), len(samples), len(wireTypes), len(want))
	}
}

func TestSampleEventsSetEveryField(t *testing.T) {
	for _, e := range sampleEvents() {
		v := reflect.ValueOf(e)
		for i := range v.NumField() {
			f := v.Field(i)
			if f.IsZero() || (f.Kind() == reflect.Slice && f.Len() == 0) {
				t.Errorf("%s: sample leaves %s unset", e.Type(), v.Type().Field(i).Name)
			}
		}
	}
}

// equalNorm is reflect.DeepEqual with decimals compared by value (1250.50 == 1250.5)
// and nil slices equal to empty ones.
func equalNorm(a, b reflect.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == reflect.TypeFor[decimal.Decimal]() {
		return a.Interface().(decimal.Decimal).Equal(b.Interface().(decimal.Decimal))
	}
	switch a.Kind() {
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalNorm(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalNorm(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				return reflect.DeepEqual(a.Interface(), b.Interface())
			}
		}
		for i := range a.NumField() {
			if !equalNorm(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

func TestEventRoundTrip(t *testing.T) {
	for _, e := range sampleEvents() {
		t.Run(e.Type(), func(t *testing.T) {
			raw, err := EncodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeEvent(raw)
			if err != nil {
				t.Fatalf("%v\n%s", err, raw)
			}
			if !equalNorm(reflect.ValueOf(e), reflect.ValueOf(got)) {
				t.Errorf("round trip changed the event\n in: %#v\nout: %#v\n%s", e, got, raw)
			}
			again, err := EncodeEvent(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, again) {
				t.Errorf("re-encoding differs\n%s\n%s", raw, again)
			}
			// Every data field is written (omitempty only drops what is unset).
			var env struct {
				Data map[string]json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(raw, &env); err != nil {
				t.Fatal(err)
			}
			if want := reflect.TypeOf(e).NumField() - 1; len(env.Data) != want {
				t.Errorf("data has %d fields, event has %d besides On: %s", len(env.Data), want, raw)
			}
		})
	}
}

// roundTrip encodes and decodes a commit, failing the test on either error.
func roundTrip(t *testing.T, c Commit) ([]byte, Commit) {
	t.Helper()
	raw, err := EncodeCommit(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeCommit(raw)
	if err != nil {
		t.Fatal(err)
	}
	return raw, got
}

func TestCommitRoundTrip(t *testing.T) {
	c := sampleCommit()
	raw, got := roundTrip(t, c)
	// RecordedAt comes back in UTC.
	c.Commands[1].RecordedAt = c.Commands[1].RecordedAt.UTC()
	if !equalNorm(reflect.ValueOf(c), reflect.ValueOf(got)) {
		t.Errorf("round trip changed the commit\n in: %#v\nout: %#v", c, got)
	}
	if got.Commands[1].RecordedAt.Location() != time.UTC {
		t.Errorf("recorded_at location %v", got.Commands[1].RecordedAt.Location())
	}
	again, err := EncodeCommit(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, again) {
		t.Errorf("re-encoding differs\n%s\n%s", raw, again)
	}

	ledger := Commit{Scope: ScopeLedger, Commands: []CommandRecord{{ID: "close-2026Q1", Hash: "ab",
		RecordedAt: time.Unix(0, 0).UTC(), Events: []domain.Event{domain.QuarterClosed{On: d3, Quarter: q1}}}}}
	raw, err = EncodeCommit(ledger)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(`"account"`)) {
		t.Errorf("ledger commit names an account: %s", raw)
	}
	got, err = DecodeCommit(raw)
	if err != nil || !equalNorm(reflect.ValueOf(ledger), reflect.ValueOf(got)) {
		t.Errorf("ledger round trip: %v\n%#v", err, got)
	}
}

func TestDecimalsExact(t *testing.T) {
	cases := []struct {
		typ, data, field, want string
	}{
		{domain.TypeInvoiceIssued, `{"invoice":"I1","amount":"1250.50","currency":"EUR","due":"2026-03-31","has_fund":true,"fund_rate":"0.000001"}`, "Amount", "1250.5"},
		{domain.TypeInvoiceIssued, `{"invoice":"I1","amount":"1250.50","currency":"EUR","due":"2026-03-31","has_fund":true,"fund_rate":"0.000001"}`, "FundRate", "0.000001"},
		{domain.TypeFundAgreed, `{"rate":"0.000001"}`, "Rate", "0.000001"},
		{domain.TypeInvoiceWrittenOff, `{"invoice":"I1","amount":"98765432109876543210.000000001","reason":"other","forced":false}`, "Amount", "98765432109876543210.000000001"},
		{domain.TypePromiseRecorded, `{"invoice":"I1","promised":"2026-03-31","amount":"0.1"}`, "Amount", "0.1"},
	}
	for _, c := range cases {
		raw := json.RawMessage(`{"type":"` + c.typ + `","on":"2026-01-01","data":` + c.data + `}`)
		e, err := DecodeEvent(raw)
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		got := reflect.ValueOf(e).FieldByName(c.field).Interface().(decimal.Decimal)
		if !got.Equal(dec_(c.want)) || got.String() != c.want {
			t.Errorf("%s.%s = %s, want exactly %s", c.typ, c.field, got, c.want)
		}
	}
	// 0.1 + 0.2 stays 0.3 after a round trip: nothing went through a float.
	e, _ := DecodeEvent(json.RawMessage(`{"type":"fund.agreed.v1","on":"2026-01-01","data":{"rate":"0.1"}}`))
	if sum := e.(domain.FundAgreed).Rate.Add(dec_("0.2")); sum.String() != "0.3" {
		t.Errorf("0.1+0.2 = %s", sum)
	}
}

// TestEncodeEventExact pins the envelope and one event's data byte for byte.
func TestEncodeEventExact(t *testing.T) {
	raw, err := EncodeEvent(domain.InvoiceIssued{On: d1, Invoice: "I1", Amount: dec_("1250.50"),
		Currency: eur, Due: d3, FundRate: dec_("0")})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"invoice.issued.v1","on":"2026-01-01","data":{"invoice":"I1","amount":"1250.5","currency":"EUR","due":"2026-03-31","has_fund":false,"fund_rate":"0"}}`
	if string(raw) != want {
		t.Errorf("got  %s\nwant %s", raw, want)
	}
}

// TestGoldenCommit pins the exact bytes of a commit holding every event type with
// every field set: renaming a field or a type breaks it.
func TestGoldenCommit(t *testing.T) {
	raw, err := EncodeCommit(sampleCommit())
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", "commit.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("encoded commit differs from %s: stored field names and types must never change "+
			"(a new shape is a new type version with an upcaster)\ngot:\n%s", path, pretty.Bytes())
	}
	// The golden bytes decode to the sample: old stored data stays readable.
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(compact.Bytes(), raw) {
		t.Errorf("compact golden differs from the encoding")
	}
	got, err := DecodeCommit(want)
	if err != nil {
		t.Fatal(err)
	}
	c := sampleCommit()
	c.Commands[1].RecordedAt = c.Commands[1].RecordedAt.UTC()
	if !equalNorm(reflect.ValueOf(c), reflect.ValueOf(got)) {
		t.Errorf("golden commit decodes to\n%#v", got)
	}
}

func ev(typ, on, data string) json.RawMessage {
	return json.RawMessage(`{"type":"` + typ + `","on":"` + on + `","data":` + data + `}`)
}

const invoiceData = `{"invoice":"I1","amount":"%A","currency":"%C","due":"%D","has_fund":false,"fund_rate":"0"}`

func invoice(amount, currency, due string) string {
	return strings.NewReplacer("%A", amount, "%C", currency, "%D", due).Replace(invoiceData)
}

func TestDecodeErrors(t *testing.T) {
	good := invoice("10", "EUR", "2026-03-31")
	alloc := `{"payment":"P1","amount":"10","currency":"EUR","unapplied":"0","allocations":[` +
		`{"invoice":"I1","amount":"5","explicit":true,"remaining":"0"},` +
		`{"invoice":"I2","amount":"5e0","explicit":false,"remaining":"0"}]}`
	cases := []struct {
		name string
		raw  json.RawMessage
		want []string
	}{
		{"unknown type", ev("x.v9", "2026-01-01", `{}`), []string{"unknown event type x.v9"}},
		{"unknown version", ev("invoice.issued.v9", "2026-01-01", good),
			[]string{"unknown event type invoice.issued.v9", "reads invoice.issued.v1"}},
		{"empty type", ev("", "2026-01-01", `{}`), []string{"unknown event type"}},
		{"bad currency", ev(domain.TypeInvoiceIssued, "2026-01-01", invoice("10", "XXX", "2026-03-31")),
			[]string{"invoice.issued.v1", "currency", `"XXX"`}},
		{"lower-case currency", ev(domain.TypeFundForfeited, "2026-01-01",
			`{"quarter":"2026Q1","currency":"eur","amount":"1","violation":"V1"}`),
			[]string{"fund.forfeited.v1", "currency", `"eur"`}},
		{"missing currency", ev(domain.TypeInvoiceIssued, "2026-01-01",
			`{"invoice":"I1","amount":"10","due":"2026-03-31","has_fund":false,"fund_rate":"0"}`),
			[]string{"invoice.issued.v1", "currency"}},
		{"bad on", ev(domain.TypeInvoiceIssued, "2026-02-30", good), []string{"invoice.issued.v1", "on", "2026-02-30"}},
		{"bad due", ev(domain.TypeInvoiceIssued, "2026-01-01", invoice("10", "EUR", "2026/03/31")),
			[]string{"invoice.issued.v1", "due", "2026/03/31"}},
		{"missing due", ev(domain.TypeInvoiceIssued, "2026-01-01", invoice("10", "EUR", "")),
			[]string{"invoice.issued.v1", "due", "missing date"}},
		{"bad optional date", ev(domain.TypeExtensionGranted, "2026-01-01",
			`{"invoice":"I1","due":"2026-03-31","previous_due":"2026-13-01"}`),
			[]string{"extension.granted.v1", "previous_due"}},
		{"amount with exponent", ev(domain.TypeInvoiceIssued, "2026-01-01", invoice("1e3", "EUR", "2026-03-31")),
			[]string{"invoice.issued.v1", "amount", `"1e3"`}},
		{"amount with comma", ev(domain.TypeInvoiceIssued, "2026-01-01", invoice("12,50", "EUR", "2026-03-31")),
			[]string{"invoice.issued.v1", "amount", `"12,50"`}},
		{"amount not a number", ev(domain.TypeInvoiceIssued, "2026-01-01", invoice("ten", "EUR", "2026-03-31")),
			[]string{"invoice.issued.v1", "amount"}},
		{"amount as JSON number", ev(domain.TypeFundAgreed, "2026-01-01", `{"rate":0.1}`),
			[]string{"fund.agreed.v1", "data"}},
		{"missing amount", ev(domain.TypeFundAgreed, "2026-01-01", `{}`),
			[]string{"fund.agreed.v1", "rate", "missing amount"}},
		{"bad allocation amount", ev(domain.TypePaymentRecorded, "2026-01-01", alloc),
			[]string{"payment.recorded.v1", "allocations[1].amount", `"5e0"`}},
		{"bad quarter", ev(domain.TypeQuarterClosed, "2026-01-01", `{"quarter":"2026Q5"}`),
			[]string{"quarter.closed.v1", "quarter"}},
		{"bad action", ev(domain.TypeActionRecorded, "2026-01-01", `{"action":"shout"}`),
			[]string{"action.recorded.v1", "action", "shout"}},
		{"bad reason", ev(domain.TypeInvoiceWrittenOff, "2026-01-01",
			`{"invoice":"I1","amount":"1","reason":"bored","forced":false}`),
			[]string{"invoice.written_off.v1", "reason", "bored"}},
		{"bad rating", ev(domain.TypeCreditAssessed, "2026-01-01",
			`{"key":{"annual_sales":"A","monthly_sales":"A","payment_method":"A","payment_record":"A"},"other":["A","D"],"grade":1}`),
			[]string{"credit.assessed.v1", "other[1]", `"D"`}},
		{"missing key rating", ev(domain.TypeCreditAssessed, "2026-01-01", `{"grade":1}`),
			[]string{"credit.assessed.v1", "key.annual_sales"}},
		{"missing data", json.RawMessage(`{"type":"fund.agreed.v1","on":"2026-01-01"}`),
			[]string{"fund.agreed.v1", "missing data"}},
		{"data not an object", ev(domain.TypeFundAgreed, "2026-01-01", `[]`), []string{"fund.agreed.v1", "data"}},
		{"not JSON", json.RawMessage(`{"type":`), []string{"eventcodec"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := DecodeEvent(c.raw)
			if err == nil {
				t.Fatalf("decoded %#v, want an error", e)
			}
			if e != nil {
				t.Errorf("returned an event with the error: %#v", e)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	_, err := DecodeEvent(ev("x.v9", "2026-01-01", `{}`))
	if !errors.Is(err, ErrUnknownEventType) {
		t.Errorf("unknown type error %v is not ErrUnknownEventType", err)
	}
}

func TestDecodeCommitErrors(t *testing.T) {
	okEvent := string(ev(domain.TypeFundAgreed, "2026-01-01", `{"rate":"0.1"}`))
	cmd := func(recordedAt, event string) string {
		return `{"id":"c1","hash":"ab","recorded_at":"` + recordedAt + `","events":[` + event + `]}`
	}
	cases := []struct {
		name, raw string
		want      []string
	}{
		{"unknown version", `{"v":2,"scope":"account","account":"C1","commands":[]}`, []string{"version 2"}},
		{"no version", `{"scope":"account","account":"C1","commands":[]}`, []string{"version 0"}},
		{"unknown scope", `{"v":1,"scope":"world","commands":[]}`, []string{"scope", "world"}},
		{"account scope without account", `{"v":1,"scope":"account","commands":[]}`, []string{"account"}},
		{"ledger scope with account", `{"v":1,"scope":"ledger","account":"C1","commands":[]}`, []string{"ledger", "C1"}},
		{"bad recorded_at", `{"v":1,"scope":"account","account":"C1","commands":[` + cmd("yesterday", okEvent) + `]}`,
			[]string{`command "c1"`, "recorded_at"}},
		{"bad event", `{"v":1,"scope":"account","account":"C1","commands":[` +
			cmd("2026-01-01T00:00:00Z", okEvent+","+string(ev("x.v9", "2026-01-01", `{}`))) + `]}`,
			[]string{`command "c1" event 1`, "unknown event type x.v9"}},
		{"not JSON", `[1,2]`, []string{"commit"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeCommit([]byte(c.raw))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := DecodeCommit([]byte(`{"v":1,"scope":"account","account":"C1","commands":[` +
		cmd("2026-01-01T08:00:00.5+08:00", okEvent) + `]}`)); err != nil {
		t.Errorf("RFC 3339 time with an offset: %v", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	cases := []struct {
		name string
		e    domain.Event
		want []string
	}{
		{"nil", nil, []string{"nil event"}},
		{"pointer", &domain.FundAgreed{On: d1}, []string{"fund.agreed.v1", "*domain.FundAgreed"}},
		{"no date", domain.FundAgreed{On: domain.NoDate}, []string{"fund.agreed.v1", "on"}},
		{"year 10000", domain.FundAgreed{On: domain.NewDate(10000, 1, 1)}, []string{"fund.agreed.v1", "on", "0000-9999"}},
		{"optional date out of range", domain.ExtensionGranted{On: d1, Due: d2, PreviousDue: domain.NoDate + 1},
			[]string{"extension.granted.v1", "previous_due"}},
		{"zero currency", domain.InvoiceIssued{On: d1, Due: d2}, []string{"invoice.issued.v1", "currency"}},
		{"no due", domain.InvoiceIssued{On: d1, Currency: eur, Due: domain.NoDate}, []string{"invoice.issued.v1", "due"}},
		{"zero quarter", domain.QuarterClosed{On: d1}, []string{"quarter.closed.v1", "quarter"}},
		{"zero action", domain.ActionRecorded{On: d1}, []string{"action.recorded.v1", "action"}},
		{"zero reason", domain.InvoiceWrittenOff{On: d1}, []string{"invoice.written_off.v1", "reason"}},
		{"zero rating", domain.CreditAssessed{On: d1}, []string{"credit.assessed.v1", "key.annual_sales"}},
		{"bad other rating", domain.CreditAssessed{On: d1, Key: domain.KeyIndicators{AnnualSales: 'A',
			MonthlySales: 'A', PaymentMethod: 'A', PaymentRecord: 'A'}, Other: []domain.Rating{'Z'}},
			[]string{"credit.assessed.v1", "other"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := EncodeEvent(c.e)
			if err == nil {
				t.Fatalf("encoded %s, want an error", raw)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, err := EncodeCommit(Commit{Scope: ScopeAccount, Account: "C1",
				Commands: []CommandRecord{{ID: "c1", Events: []domain.Event{c.e}}}}); err == nil {
				t.Error("EncodeCommit accepted it")
			}
		})
	}
	if _, err := EncodeCommit(Commit{Scope: "account"}); err == nil {
		t.Error("account scope without account encoded")
	}
	if _, err := EncodeCommit(Commit{Scope: "ledger", Account: "C1"}); err == nil {
		t.Error("ledger scope with account encoded")
	}
	if _, err := EncodeCommit(Commit{Scope: "Account", Account: "C1"}); err == nil {
		t.Error("unknown scope encoded")
	}
}

// Optional fields are omitted when unset; required ones (amounts, bools) stay.
func TestOmitEmpty(t *testing.T) {
	raw, err := EncodeEvent(domain.ReminderSent{On: d1, Step: "s", Action: domain.ActNotice,
		StepDate: domain.NoDate})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"reminder.sent.v1","on":"2026-01-01","data":{"step":"s","action":"notice"}}`; string(raw) != want {
		t.Errorf("got  %s\nwant %s", raw, want)
	}
	e, err := DecodeEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	if e.(domain.ReminderSent).StepDate != domain.NoDate {
		t.Errorf("absent step_date decoded as %v", e.(domain.ReminderSent).StepDate)
	}
	raw, err = EncodeEvent(domain.PaymentRecorded{On: d1, Payment: "P1", Currency: eur})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"payment.recorded.v1","on":"2026-01-01","data":{"payment":"P1","amount":"0","currency":"EUR","unapplied":"0"}}`; string(raw) != want {
		t.Errorf("got  %s\nwant %s", raw, want)
	}
}

// withUpcaster registers a fake upcaster for one test (the unexported hook).
func withUpcaster(t *testing.T, old string, up Upcaster) {
	t.Helper()
	if _, ok := upcasters[old]; ok {
		t.Fatalf("upcaster for %s already registered", old)
	}
	upcasters[old] = up
	t.Cleanup(func() { delete(upcasters, old) })
}

func TestUpcasters(t *testing.T) {
	if len(upcasters) != 0 {
		t.Fatalf("expected no production upcasters yet, have %d", len(upcasters))
	}
	// A fake old version: fund.agreed.v0 stored the rate as a percentage string
	// under "percent".
	withUpcaster(t, "fund.agreed.v0", func(data json.RawMessage) (string, json.RawMessage, error) {
		var old struct {
			Percent string `json:"percent"`
		}
		if err := json.Unmarshal(data, &old); err != nil {
			return "", nil, err
		}
		p, err := decimal.NewFromString(old.Percent)
		if err != nil {
			return "", nil, err
		}
		newData, err := json.Marshal(wireFundAgreed{Rate: p.Shift(-2).String()})
		return "fund.agreed.v0b", newData, err
	})
	// Chained: v0 -> v0b -> v1.
	withUpcaster(t, "fund.agreed.v0b", func(data json.RawMessage) (string, json.RawMessage, error) {
		return domain.TypeFundAgreed, data, nil
	})
	e, err := DecodeEvent(ev("fund.agreed.v0", "2026-01-01", `{"percent":"0.5"}`))
	if err != nil {
		t.Fatal(err)
	}
	if fa, ok := e.(domain.FundAgreed); !ok || fa.Rate.String() != "0.005" || fa.On != d1 {
		t.Errorf("upcast decoded to %#v", e)
	}
	// Through a commit as well.
	c, err := DecodeCommit([]byte(`{"v":1,"scope":"account","account":"C1","commands":[{"id":"c","hash":"h",` +
		`"recorded_at":"2026-01-01T00:00:00Z","events":[` + string(ev("fund.agreed.v0", "2026-01-01", `{"percent":"1"}`)) + `]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Commands[0].Events[0].(domain.FundAgreed).Rate.String(); r != "0.01" {
		t.Errorf("rate %s", r)
	}
	// An upcaster's error names the old type.
	_, err = DecodeEvent(ev("fund.agreed.v0", "2026-01-01", `{"percent":"lots"}`))
	if err == nil || !strings.Contains(err.Error(), "upcasting fund.agreed.v0") {
		t.Errorf("error %v", err)
	}
	// A cycle is an error, not a hang.
	withUpcaster(t, "loop.v1", func(data json.RawMessage) (string, json.RawMessage, error) {
		return "loop.v1", data, nil
	})
	if _, err := DecodeEvent(ev("loop.v1", "2026-01-01", `{}`)); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
}

func TestIsPlainDecimal(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "1250.50": true, "0.000001": true, "-12.3": true,
		"": false, "-": false, ".5": false, "5.": false, "+5": false, "1e3": false,
		" 1": false, "1 ": false, "1.2.3": false, "--1": false, "0x10": false, "NaN": false,
	} {
		if got := isPlainDecimal(s); got != want {
			t.Errorf("isPlainDecimal(%q) = %v", s, got)
		}
	}
}

// BenchmarkDecodeCommit decodes a commit of every event type (sample), and one such as
// an import writes (import: 30 commands of invoices, payments with allocations and
// credit notes), with DecodeCommit's fast path (scan) and without it (unmarshal), so
// that the two compare in one run.
func BenchmarkDecodeCommit(b *testing.B) {
	for _, c := range []struct {
		name   string
		commit Commit
	}{{"sample", sampleCommit()}, {"import", importCommit()}} {
		raw, err := EncodeCommit(c.commit)
		if err != nil {
			b.Fatal(err)
		}
		for _, fast := range []bool{true, false} {
			name := c.name + "/unmarshal"
			if fast {
				name = c.name + "/scan"
			}
			b.Run(name, func(b *testing.B) {
				fastDecode = fast
				defer func() { fastDecode = true }()
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := DecodeCommit(raw); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// importCommit is one account's commit of 30 commands as an import groups them.
func importCommit() Commit {
	cny := domain.MustCurrency("CNY")
	on := domain.MustDate("2026-03-02")
	c := Commit{Scope: ScopeAccount, Account: "C00042"}
	for i := range 30 {
		var e domain.Event
		switch i % 3 {
		case 0:
			e = domain.InvoiceIssued{On: on, Invoice: fmt.Sprintf("INV-%08d", i), Amount: dec_("12345.67"), Currency: cny, Due: on.AddDays(30)}
		case 1:
			e = domain.PaymentRecorded{On: on, Payment: fmt.Sprintf("PAY-%08d", i), Amount: dec_("2000.00"), Currency: cny,
				Allocations: []domain.Allocation{
					{Invoice: "INV-00000000", Amount: dec_("1.00"), Explicit: true, Remaining: dec_("12344.67")},
					{Invoice: "INV-00000003", Amount: dec_("1999.00"), Remaining: dec_("10346.67")}},
				Unapplied: decimal.Zero}
		default:
			e = domain.CreditNoteIssued{On: on, CreditNote: fmt.Sprintf("CN-%08d", i), Amount: dec_("300.00"), Currency: cny,
				Allocations: []domain.Allocation{{Invoice: "INV-00000003", Amount: dec_("300.00"), Remaining: dec_("10046.67")}},
				Unapplied:   decimal.Zero}
		}
		c.Commands = append(c.Commands, CommandRecord{ID: fmt.Sprintf("i-%d", i), Hash: fmt.Sprintf("%064x", i),
			RecordedAt: time.Date(2026, 12, 3, 3, 0, 0, i, time.UTC), Events: []domain.Event{e}})
	}
	return c
}

func BenchmarkEncodeCommit(b *testing.B) {
	c := sampleCommit()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeCommit(c); err != nil {
			b.Fatal(err)
		}
	}
}

// A group commit's commands usually share one instant, which EncodeCommit prints
// once; each command must still come back with its own.
func TestCommitKeepsEachCommandsInstant(t *testing.T) {
	t1 := time.Date(2026, 11, 23, 10, 0, 0, 5, time.UTC)
	t2 := t1.Add(time.Nanosecond)
	ats := []time.Time{t1, t1.In(time.FixedZone("CST", 8*3600)), t2, t2, t1}
	c := Commit{Scope: ScopeAccount, Account: "C1"}
	for i, at := range ats {
		c.Commands = append(c.Commands, CommandRecord{ID: fmt.Sprint("c", i), Hash: "h", RecordedAt: at,
			Events: []domain.Event{domain.DisputeOpened{On: d3, Invoice: "INV-1", Reason: "r"}}})
	}
	_, got := roundTrip(t, c)
	for i, at := range ats {
		if !got.Commands[i].RecordedAt.Equal(at) {
			t.Errorf("command %d recorded at %v, want %v", i, got.Commands[i].RecordedAt, at)
		}
	}
}

// The fast path reads the strings it only parses as slices of the caller's bytes;
// nothing decoded may keep one, or reusing the buffer would change the commit.
func TestDecodedCommitKeepsNothingOfItsBytes(t *testing.T) {
	for _, c := range []Commit{sampleCommit(), importCommit()} {
		raw, err := EncodeCommit(c)
		if err != nil {
			t.Fatal(err)
		}
		want, err := DecodeCommit(bytes.Clone(raw))
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeCommit(raw)
		if err != nil {
			t.Fatal(err)
		}
		for i := range raw {
			raw[i] = '7'
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("commit of %s changed with the bytes it was decoded from:\n%#v", c.Account, got)
		}
	}
}
