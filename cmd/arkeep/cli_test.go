package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/projections"
)

// cliResult is what one run of the binary's entry point produced.
type cliResult struct {
	code           int
	stdout, stderr string
}

// arkeep runs the command line in-process against real embedded JetStream stores.
func arkeep(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}

func (r cliResult) String() string {
	return "exit " + strconv.Itoa(r.code) + "\n--- stdout:\n" + r.stdout + "--- stderr:\n" + r.stderr
}

// cliEnv is a data directory and a batch file in a temp dir.
func cliEnv(t *testing.T) (dir string) {
	t.Helper()
	t.Setenv("ARKEEP_NATS", "")
	t.Setenv("ARKEEP_DATA", "")
	return t.TempDir()
}

func writeFile(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var goodLines = []string{
	`{"cmd":"RegisterCustomer","id":"r1","on":"2026-01-02","customer":"C1","name":"One","grade":2,"terms_days":30,"collector":"wang"}`,
	`{"cmd":"AgreePriceProtection","id":"a1","on":"2026-01-03","customer":"C1","fund_rate":"0.02"}`,
	`{"cmd":"IssueInvoice","id":"i1","on":"2026-02-01","invoice":"INV-1","customer":"C1","amount":"1000.00","currency":"CNY"}`,
	`{"cmd":"RecordPayment","id":"p1","on":"2026-02-10","payment":"PAY-1","customer":"C1","amount":"250.00","currency":"CNY"}`,
	`{"cmd":"IssueInvoice","id":"i2","on":"2026-02-01","invoice":"INV-2","customer":"C1","amount":"5000","currency":"JPY"}`,
	`{"cmd":"WriteOff","id":"w1","on":"2026-03-01","invoice":"INV-2","reason":"bankruptcy","force":true}`,
}

func TestCLIImportBadLineExits1(t *testing.T) {
	dir := cliEnv(t)
	data := filepath.Join(dir, "data")
	file := writeFile(t, dir, "batch.jsonl",
		goodLines[0],
		goodLines[2],
		`{"cmd":"IssueInvoice","id":"bad","on":"2026-02-01","invoice":"INV-9","customer":"C1","amount":"10.000","currency":"CNY"}`,
		``,
		goodLines[3])
	r := arkeep(t, "", "import", "--data", data, "--quiet", file)
	if r.code != 1 {
		t.Fatalf("import with one bad line: %s\nwant exit 1", r)
	}
	if !strings.Contains(r.stderr, "line 3:") || !strings.Contains(r.stderr, "amount") {
		t.Errorf("stderr does not report line 3 and its field:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "line 5:") || strings.Contains(r.stderr, "line 1:") {
		t.Errorf("good lines reported as refused:\n%s", r.stderr)
	}
	for _, want := range []string{"lines 5", "commands 3", "recorded 3", "refused 1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary %q lacks %q", r.stdout, want)
		}
	}

	// Flags after the file work; the same good lines again record nothing.
	clean := writeFile(t, dir, "clean.jsonl", goodLines[0], goodLines[2], goodLines[3])
	r = arkeep(t, "", "import", clean, "--data", data, "--quiet")
	if r.code != 0 {
		t.Fatalf("import FILE --data DIR: %s\nwant exit 0", r)
	}
	if !strings.Contains(r.stdout, "recorded 0") || !strings.Contains(r.stdout, "already recorded 3") {
		t.Errorf("re-import summary %q, want 0 recorded and 3 already recorded", r.stdout)
	}

	// Standard input.
	r = arkeep(t, strings.Join(goodLines[1:], "\n")+"\n", "import", "--quiet", "--data", data, "-")
	if r.code != 0 || !strings.Contains(r.stdout, "recorded 3") {
		t.Errorf("import - (stdin): %s\nwant exit 0 and 3 recorded", r)
	}

	// A missing file is an error, not a usage error.
	r = arkeep(t, "", "import", "--data", data, filepath.Join(dir, "nope.jsonl"))
	if r.code != 1 || r.stderr == "" {
		t.Errorf("import of a missing file: %s\nwant exit 1 and a message", r)
	}
}

// importGood records goodLines into a fresh data directory.
func importGood(t *testing.T) string {
	t.Helper()
	dir := cliEnv(t)
	data := filepath.Join(dir, "data")
	r := arkeep(t, "", "import", "--data", data, "--quiet", writeFile(t, dir, "good.jsonl", goodLines...))
	if r.code != 0 {
		t.Fatalf("import: %s", r)
	}
	return data
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func wantKeys(t *testing.T, what string, v any, want ...string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, want an object", what, v)
	}
	sort.Strings(want)
	if got := keys(m); !reflect.DeepEqual(got, want) {
		t.Errorf("%s keys %v, want %v", what, got, want)
	}
	return m
}

func list(t *testing.T, what string, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		t.Fatalf("%s is %v, want a non-empty list", what, v)
	}
	return l
}

func TestCLIReportAgeingJSON(t *testing.T) {
	data := importGood(t)
	// Flags before and after the report name.
	for _, args := range [][]string{
		{"report", "ageing", "--as-of", "2026-03-31", "--format", "json", "--data", data},
		{"report", "--data", data, "--format", "json", "ageing", "--as-of", "2026-03-31"},
	} {
		r := arkeep(t, "", args...)
		if r.code != 0 {
			t.Fatalf("%v: %s", args, r)
		}
		var doc any
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("%v: output is not JSON: %v\n%s", args, err, r.stdout)
		}
		top := wantKeys(t, "report", doc, "as_of", "basis", "buckets", "currencies")
		if top["as_of"] != "2026-03-31" || top["basis"] != "due" {
			t.Errorf("as_of %v basis %v", top["as_of"], top["basis"])
		}
		buckets := list(t, "buckets", top["buckets"])
		wantBuckets := []any{"current", "1-30", "31-60", "61-90", "91-180", "181+"}
		if !reflect.DeepEqual(buckets, wantBuckets) {
			t.Errorf("buckets %v, want %v", buckets, wantBuckets)
		}
		curs := list(t, "currencies", top["currencies"])
		// JPY is written off: only CNY is left.
		if len(curs) != 1 {
			t.Fatalf("currencies %v, want CNY only", curs)
		}
		cur := wantKeys(t, "currency", curs[0], "currency", "customers", "totals")
		if cur["currency"] != "CNY" {
			t.Errorf("currency %v", cur["currency"])
		}
		row := wantKeys(t, "customer row", list(t, "customers", cur["customers"])[0], "customer", "buckets", "total", "unapplied_credit")
		if row["customer"] != "C1" || row["total"] != "750.00" || row["unapplied_credit"] != "0.00" {
			t.Errorf("row %v, want C1 with 750.00", row)
		}
		b := wantKeys(t, "row buckets", row["buckets"], "current", "1-30", "31-60", "61-90", "91-180", "181+")
		if b["1-30"] != "750.00" || b["current"] != "0.00" {
			t.Errorf("row buckets %v, want 750.00 in 1-30 (due 2026-03-03)", b)
		}
		tot := wantKeys(t, "totals", cur["totals"], "buckets", "total", "unapplied_credit")
		if tot["total"] != "750.00" {
			t.Errorf("totals %v", tot)
		}
		// Bucket keys are in bucket order in the bytes too.
		if i, j := strings.Index(r.stdout, `"current"`), strings.Index(r.stdout, `"181+"`); i < 0 || j < i {
			t.Errorf("bucket keys out of order")
		}
	}

	// --basis issue and custom buckets.
	r := arkeep(t, "", "report", "ageing", "--as-of", "2026-03-31", "--format", "json", "--basis", "issue", "--buckets", "45,90", "--data", data)
	if r.code != 0 {
		t.Fatalf("ageing --basis issue: %s", r)
	}
	var rep struct {
		Basis      string
		Buckets    []string
		Currencies []struct {
			Customers []struct{ Buckets map[string]string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Basis != "issue" || strings.Join(rep.Buckets, ",") != "current,1-45,46-90,91+" {
		t.Errorf("basis %q buckets %v", rep.Basis, rep.Buckets)
	}
	if len(rep.Currencies) == 1 && rep.Currencies[0].Customers[0].Buckets["46-90"] != "750.00" {
		t.Errorf("issued 2026-02-01, 58 days by 2026-03-31: %v, want 750.00 in 46-90", rep.Currencies[0].Customers[0].Buckets)
	}
}

func TestCLIReportBadDebtAndFundJSON(t *testing.T) {
	data := importGood(t)
	r := arkeep(t, "", "report", "baddebt", "--as-of", "2026-03-31", "--format", "json", "--data", data)
	if r.code != 0 {
		t.Fatalf("baddebt: %s", r)
	}
	var doc any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("baddebt output is not JSON: %v", err)
	}
	top := wantKeys(t, "baddebt", doc, "as_of", "currencies")
	cur := wantKeys(t, "baddebt currency", list(t, "currencies", top["currencies"])[0], "currency", "doubtful", "written_off", "totals")
	wo := wantKeys(t, "written_off row", list(t, "written_off", cur["written_off"])[0], "invoice", "customer", "on", "amount", "reason", "recovered")
	if wo["invoice"] != "INV-2" || wo["amount"] != "5000" || wo["reason"] != "bankruptcy" || wo["recovered"] != "0" {
		t.Errorf("write-off row %v", wo)
	}
	wantKeys(t, "baddebt totals", cur["totals"], "doubtful", "written_off", "recovered")

	r = arkeep(t, "", "report", "fund", "--as-of", "2026-03-31", "--format", "json", "--data", data)
	if r.code != 0 {
		t.Fatalf("fund: %s", r)
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("fund output is not JSON: %v", err)
	}
	top = wantKeys(t, "fund", doc, "as_of", "funds")
	funds := list(t, "funds", top["funds"])
	// CNY 1000.00 × 0.02 and JPY 5000 × 0.02 in 2026Q1.
	if len(funds) != 2 {
		t.Fatalf("funds %v, want 2", funds)
	}
	f := wantKeys(t, "fund row", funds[0], "customer", "quarter", "currency", "accrued", "status", "rebated", "forfeited", "bounty_to")
	if f["currency"] != "CNY" || f["accrued"] != "20.00" || f["status"] != "open" || f["bounty_to"] != nil {
		t.Errorf("fund row %v", f)
	}
}

func TestCLIReportCSVAndTable(t *testing.T) {
	data := importGood(t)
	r := arkeep(t, "", "report", "ageing", "--as-of", "2026-03-31", "--format", "csv", "--data", data)
	if r.code != 0 {
		t.Fatalf("csv: %s", r)
	}
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatalf("csv output does not parse: %v\n%s", err, r.stdout)
	}
	if len(recs) < 3 || strings.Join(recs[0], ",") != "currency,customer,current,1-30,31-60,61-90,91-180,181+,total,unapplied_credit" {
		t.Fatalf("csv: %v", recs)
	}
	if strings.Join(recs[1], ",") != "CNY,C1,0.00,750.00,0.00,0.00,0.00,0.00,750.00,0.00" {
		t.Errorf("csv row %v", recs[1])
	}
	for _, name := range []string{"ageing", "baddebt", "fund"} {
		r = arkeep(t, "", "report", name, "--as-of", "2026-03-31", "--data", data) // table is the default
		if r.code != 0 || !strings.Contains(r.stdout, name+" as of 2026-03-31") || len(strings.Split(strings.TrimSpace(r.stdout), "\n")) < 3 {
			t.Errorf("table %s: %s", name, r)
		}
		r = arkeep(t, "", "report", name, "--as-of", "2026-03-31", "--format", "csv", "--data", data)
		if r.code != 0 || len(strings.Split(strings.TrimSpace(r.stdout), "\n")) < 2 {
			t.Errorf("csv %s: %s", name, r)
		}
	}
}

func TestCLIUsage(t *testing.T) {
	dir := cliEnv(t)
	data := filepath.Join(dir, "data")
	for _, tc := range []struct {
		args []string
		code int
		out  string // expected in stdout or stderr
	}{
		{[]string{"--help"}, 0, "Usage"},
		{[]string{"help"}, 0, "Usage"},
		{[]string{"import", "--help"}, 0, "Usage: arkeep import"},
		{[]string{"report", "--help"}, 0, "Usage: arkeep report"},
		{nil, 2, "Usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"report", "nope", "--as-of", "2026-03-31", "--data", data}, 2, "unknown report"},
		{[]string{"report", "ageing", "--as-of", "2026-02-30", "--data", data}, 2, "--as-of"},
		{[]string{"report", "ageing", "--format", "xml", "--data", data}, 2, "--format"},
		{[]string{"report", "ageing", "--basis", "paid", "--data", data}, 2, "--basis"},
		{[]string{"report", "ageing", "--buckets", "60,30", "--data", data}, 2, "--buckets"},
		{[]string{"report", "--data", data}, 2, "NAME"},
		{[]string{"import", "--data", data}, 2, "FILE"},
	} {
		r := arkeep(t, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.out) {
			t.Errorf("arkeep %v: %s\nwant exit %d mentioning %q", tc.args, r, tc.code, tc.out)
		}
	}
}

// A flag that does not exist is a bad invocation: exit 2, like every other usage error
// ("exitUsage is the exit code for bad invocations; refused input lines exit 1"), so a
// script cannot mistake it for refused input lines.
func TestCLIUnknownFlagIsUsageError(t *testing.T) {
	dir := cliEnv(t)
	for _, args := range [][]string{
		{"import", "--no-such-flag", filepath.Join(dir, "x.jsonl")},
		{"report", "ageing", "--no-such-flag"},
		{"events", "--no-such-flag"},
	} {
		r := arkeep(t, "", args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "no-such-flag") {
			t.Errorf("arkeep %v: %s\nwant exit %d", args, r, exitUsage)
		}
	}
}

// A policy file that cannot be read or parsed is a usage error naming the flag it came
// with.
func TestCLIPolicyErrorsNameTheFlag(t *testing.T) {
	dir := cliEnv(t)
	data := filepath.Join(dir, "data")
	good := writeFile(t, dir, "good.json",
		`{"version":"v2","grades":{"1":["0i:notice"],"2":["0:visit"],"3":["+1:call"],"4":["-1:call"],"5":["+3:escalate"]}}`)
	bad := writeFile(t, dir, "bad.json", `{`)
	missing := filepath.Join(dir, "missing.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--data", data, "--policy", bad, "--from", "2026-01-01", "--to", "2026-01-02"}, "--policy " + bad},
		{[]string{"simulate", "--data", data, "--policy", missing, "--from", "2026-01-01", "--to", "2026-01-02"}, "--policy: "},
		{[]string{"simulate", "--data", data, "--policy", good, "--current", missing, "--from", "2026-01-01", "--to", "2026-01-02"}, "--current: "},
		{[]string{"simulate", "--data", data, "--policy", good, "--current", bad, "--from", "2026-01-01", "--to", "2026-01-02"}, "--current " + bad},
		{[]string{"report", "schedule", "--data", data, "--policy", missing}, "--policy: "},
	} {
		r := arkeep(t, "", c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("arkeep %v: %s\nwant exit %d naming %q", c.args, r, exitUsage, c.want)
		}
	}
}

// The top-level usage lists every report a Request can name and the CSV import.
func TestCLIUsageListsReportsAndCSV(t *testing.T) {
	r := arkeep(t, "", "help")
	for _, want := range append([]string{"--map", "--preset", "FILE.csv"}, projections.ReportNames...) {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("usage does not mention %q:\n%s", want, r.stdout)
		}
	}
}
