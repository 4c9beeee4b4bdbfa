package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// scenario is a small ledger with something in every report, recorded by an admin.
func scenario(e *env) {
	e.t.Helper()
	e.record(preamble...)
	e.record(
		`{"cmd":"AgreePriceProtection","id":"s-1","on":"2026-01-15","customer":"P2","fund_rate":"0.02"}`,
		`{"cmd":"IssueInvoice","id":"s-2","on":"2026-01-20","invoice":"F1","customer":"P2","amount":"1000.00","currency":"CNY"}`,
		`{"cmd":"IssueInvoice","id":"s-3","on":"2026-01-20","invoice":"F2","customer":"P2","amount":"250.00","currency":"USD"}`,
		`{"cmd":"RecordPayment","id":"s-4","on":"2026-02-10","payment":"SP1","customer":"P1","amount":"400.00","currency":"CNY","allocations":[{"invoice":"X1","amount":"400.00"}]}`,
		`{"cmd":"WriteOff","id":"s-5","on":"2026-02-10","invoice":"X4","reason":"bankruptcy"}`,
	)
	for i := 3; i <= 7; i++ {
		e.record(
			fmt.Sprintf(`{"cmd":"RegisterCustomer","id":"s-r%d","on":"2024-12-01","customer":"P%d","name":"Customer %d","grade":%d,"terms_days":30,"collector":"ann"}`, i, i, i, i%5+1),
			fmt.Sprintf(`{"cmd":"AgreePriceProtection","id":"s-a%d","on":"2026-01-01","customer":"P%d","fund_rate":"0.0%d"}`, i, i, i),
			fmt.Sprintf(`{"cmd":"IssueInvoice","id":"s-i%d","on":"2026-01-%02d","invoice":"Q%d","customer":"P%d","amount":"%d.00","currency":"CNY"}`, i, i, i, i, 100*i),
		)
	}
}

func TestReportsAsViewer(t *testing.T) {
	e := newEnv(t, nil)
	scenario(e)

	ag := e.report("/api/v1/reports/ageing?as_of=2026-02-20")
	hasKeys(t, "ageing", ag, "as_of", "basis", "buckets", "currencies")
	hasKeys(t, "ageing currency", path(t, ag, "currencies", 0), "currency", "customers", "totals")
	hasKeys(t, "ageing customer", path(t, ag, "currencies", 0, "customers", 0), "customer", "buckets", "total", "unapplied_credit")
	hasKeys(t, "ageing totals", path(t, ag, "currencies", 0, "totals"), "buckets", "total", "unapplied_credit")
	if b, _ := json.Marshal(path(t, ag, "buckets")); string(b) != `["current","1-30","31-60","61-90","91-180","181+"]` {
		t.Errorf("buckets %s", b)
	}

	bd := e.report("/api/v1/reports/baddebt?as_of=2026-08-20")
	hasKeys(t, "baddebt", bd, "as_of", "currencies")
	cny := path(t, bd, "currencies", 0)
	hasKeys(t, "baddebt currency", cny, "currency", "doubtful", "written_off", "totals")
	hasKeys(t, "doubtful row", path(t, cny, "doubtful", 0), "invoice", "customer", "due", "doubtful_since", "outstanding")
	hasKeys(t, "written_off row", path(t, cny, "written_off", 0), "invoice", "customer", "on", "amount", "reason", "recovered")
	hasKeys(t, "baddebt totals", path(t, cny, "totals"), "doubtful", "written_off", "recovered")

	fund := e.report("/api/v1/reports/fund?as_of=2026-03-31")
	hasKeys(t, "fund", fund, "as_of", "funds")
	row := path(t, fund, "funds", 0)
	hasKeys(t, "fund row", row, "customer", "quarter", "currency", "accrued", "status", "rebated", "forfeited", "bounty_to")
	if path(t, row, "customer") != "P2" || path(t, row, "quarter") != "2026Q1" || path(t, row, "accrued") != "20.00" || path(t, row, "bounty_to") != nil {
		t.Errorf("fund row %v", row)
	}

	sc := e.report("/api/v1/reports/schedule?as_of=2026-02-20")
	hasKeys(t, "schedule", sc, "as_of", "steps")
	hasKeys(t, "step", path(t, sc, "steps", 0), "invoice", "customer", "action", "date", "kind", "status")

	wl := e.report("/api/v1/reports/worklist?as_of=2026-02-20&collector=ann")
	hasKeys(t, "worklist", wl, "collector", "on", "contacts")
	hasKeys(t, "contact", path(t, wl, "contacts", 0), "customer", "priority", "tasks")
	hasKeys(t, "task", path(t, wl, "contacts", 0, "tasks", 0), "invoice", "action", "date")

	kpi := e.report("/api/v1/reports/kpi?from=2026-01-01&to=2026-02-28")
	hasKeys(t, "kpi", kpi, "from", "to", "months")
	m := path(t, kpi, "months", 0)
	hasKeys(t, "kpi month", m, "month", "from", "to", "days", "collectors", "total")
	hasKeys(t, "kpi currency", path(t, m, "total", "currencies", 0), "currency", "credit_sales", "ending_receivables", "collected",
		"fell_due", "overdue", "doubtful", "reminders", "dso", "collection_rate", "overdue_share", "doubtful_share", "reminders_per_1000")

	// CSV too, and every role above viewer reads reports.
	r := e.get(clerkToken, "/api/v1/reports/fund?as_of=2026-03-31&format=csv")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(string(r.body), "customer,quarter,currency,accrued,status,rebated,forfeited,bounty_to\nP2,2026Q1,CNY,20.00,open") {
		t.Errorf("fund csv: %d %q", r.status, r.body)
	}
	if r := e.get(adminToken, "/api/v1/reports/kpi?from=2026-01-01&to=2026-01-31&format=csv"); r.status != http.StatusOK {
		t.Errorf("kpi csv as admin: %d %s", r.status, r.body)
	}
	if r := e.get("", "/api/v1/reports/ageing"); r.status != http.StatusUnauthorized {
		t.Errorf("report without token: %d", r.status)
	}

	for _, c := range []struct{ path, field string }{
		{"/api/v1/reports/nope", "name"},
		{"/api/v1/reports/ageing?as_of=2026-13-01", "as_of"},
		{"/api/v1/reports/ageing?basis=sideways", "basis"},
		{"/api/v1/reports/worklist", "collector"},
		{"/api/v1/reports/kpi?to=2026-01-31", "from"},
		{"/api/v1/reports/kpi?from=2026-02-01&to=2026-01-31", "to"},
		{"/api/v1/reports/fund?known_at=yesterday", "known_at"},
	} {
		wantProblem(t, e.get(viewerToken, c.path), http.StatusBadRequest, c.field)
	}
}

// TestReadYourWrites: once a command request answers, the live reports reflect it.
func TestReadYourWrites(t *testing.T) {
	e := newEnv(t, nil)
	e.record(preamble...)
	for i := 1; i <= 8; i++ {
		wantRecorded(t, e.post(clerkToken, fmt.Sprintf(
			`{"cmd":"IssueInvoice","id":"ryw-%d","on":"2026-03-02","invoice":"RYW%d","customer":"P2","amount":"%d.00","currency":"USD"}`, i, i, i)))
		ag := e.report("/api/v1/reports/ageing?as_of=2026-03-02")
		want := fmt.Sprintf("%d.00", i*(i+1)/2)
		found := false
		for _, c := range path(t, ag, "currencies").([]any) {
			if path(t, c, "currency") == "USD" {
				found = true
				if got := path(t, c, "customers", 0, "total"); got != want {
					t.Fatalf("after invoice %d the ageing shows %v, want %s", i, got, want)
				}
			}
		}
		if !found {
			t.Fatalf("after invoice %d the ageing has no USD", i)
		}
	}
}

// TestKnownAtBeforeBackDatedPayment: a report known at an instant before a back-dated
// payment was recorded shows the books without it; one known after, with it.
func TestKnownAtBeforeBackDatedPayment(t *testing.T) {
	e := newEnv(t, nil)
	e.record(
		`{"cmd":"RegisterCustomer","id":"k-1","on":"2026-01-01","customer":"K","name":"Kite","grade":2,"terms_days":30,"collector":"ann"}`,
		`{"cmd":"IssueInvoice","id":"k-2","on":"2026-03-01","invoice":"K1","customer":"K","amount":"1000.00","currency":"CNY","due":"2026-03-03"}`,
	)
	time.Sleep(5 * time.Millisecond)
	before := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	// Recorded now, dated 2026-03-05.
	wantRecorded(t, e.post(clerkToken, `{"cmd":"RecordPayment","id":"k-3","on":"2026-03-05","payment":"KP","customer":"K","amount":"400.00","currency":"CNY"}`))
	after := time.Now().UTC()

	ageing := func(q string) (buckets map[string]any, total any) {
		t.Helper()
		ag := e.report("/api/v1/reports/ageing?" + q)
		c := path(t, ag, "currencies", 0, "customers", 0)
		return path(t, c, "buckets").(map[string]any), path(t, c, "total")
	}
	knownAt := func(at time.Time) string { return url.QueryEscape(at.Format(time.RFC3339Nano)) }

	// As of 2026-03-10 (K1 is 7 days overdue): before the payment was known, 1000.00;
	// after, and live, 600.00.
	b, total := ageing("as_of=2026-03-10&known_at=" + knownAt(before))
	if total != "1000.00" || b["1-30"] != "1000.00" || b["current"] != "0.00" {
		t.Errorf("known before the payment: total %v buckets %v, want 1000.00 in 1-30", total, b)
	}
	b, total = ageing("as_of=2026-03-10&known_at=" + knownAt(after))
	if total != "600.00" || b["1-30"] != "600.00" {
		t.Errorf("known after the payment: total %v buckets %v, want 600.00 in 1-30", total, b)
	}
	if _, total = ageing("as_of=2026-03-10"); total != "600.00" {
		t.Errorf("live: total %v, want 600.00", total)
	}
	// The payment counts from its own date: as of the day before it, even the live
	// books show 1000.00.
	if _, total = ageing("as_of=2026-03-04"); total != "1000.00" {
		t.Errorf("live as of 2026-03-04: total %v, want 1000.00", total)
	}
	// Known before the invoice itself: nothing at all.
	ag := e.report("/api/v1/reports/ageing?as_of=2026-03-10&known_at=" + knownAt(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)))
	if n := len(path(t, ag, "currencies").([]any)); n != 0 {
		t.Errorf("known in 2020: %d currencies", n)
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t, nil)
	scenario(e)

	// Without limit: the Appendix A object, no next_page_token.
	full := e.report("/api/v1/reports/ageing?as_of=2026-02-20")
	if _, ok := full["next_page_token"]; ok {
		t.Fatal("next_page_token without limit")
	}
	type row struct{ cur, cust string }
	var want []row
	totals := map[string]any{}
	for _, c := range path(t, full, "currencies").([]any) {
		totals[path(t, c, "currency").(string)] = path(t, c, "totals")
		for _, cu := range path(t, c, "customers").([]any) {
			want = append(want, row{path(t, c, "currency").(string), path(t, cu, "customer").(string)})
		}
	}
	if len(want) < 5 {
		t.Fatalf("the scenario has too few ageing rows: %v", want)
	}

	var got []row
	next, pages := "", 0
	for {
		p := "/api/v1/reports/ageing?as_of=2026-02-20&limit=2"
		if next != "" {
			p = "/api/v1/reports/ageing?as_of=2026-02-20&page_token=" + url.QueryEscape(next)
		}
		page := e.report(p)
		pages++
		hasKeys(t, "ageing page", page, "as_of", "basis", "buckets", "currencies", "next_page_token")
		n := 0
		for _, c := range path(t, page, "currencies").([]any) {
			cur := path(t, c, "currency").(string)
			if !reflect.DeepEqual(path(t, c, "totals"), totals[cur]) {
				t.Errorf("page totals of %s differ from the whole currency's", cur)
			}
			for _, cu := range path(t, c, "customers").([]any) {
				got = append(got, row{cur, path(t, cu, "customer").(string)})
				n++
			}
		}
		if n > 2 {
			t.Fatalf("page of %d rows with limit 2", n)
		}
		if page["next_page_token"] == nil {
			break
		}
		next = page["next_page_token"].(string)
		if pages > 20 {
			t.Fatal("pagination does not end")
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("pages give %v, want %v", got, want)
	}
	if pages != (len(want)+1)/2 {
		t.Errorf("%d pages for %d rows", pages, len(want))
	}

	// Every paginated list, in pages of 2, gives the whole list.
	lists := []struct {
		path string
		list func(map[string]any) []any
	}{
		{"/api/v1/reports/schedule?as_of=2026-02-20", func(m map[string]any) []any { return m["steps"].([]any) }},
		{"/api/v1/reports/fund?as_of=2026-03-31", func(m map[string]any) []any { return m["funds"].([]any) }},
		{"/api/v1/reports/worklist?as_of=2026-02-20&collector=ann", func(m map[string]any) []any { return m["contacts"].([]any) }},
		{"/api/v1/reports/baddebt?as_of=2026-08-20", func(m map[string]any) []any {
			var out []any
			for _, c := range m["currencies"].([]any) {
				out = append(out, c.(map[string]any)["doubtful"].([]any)...)
				out = append(out, c.(map[string]any)["written_off"].([]any)...)
			}
			return out
		}},
	}
	for _, l := range lists {
		all := l.list(e.report(l.path))
		if len(all) < 3 {
			t.Fatalf("%s: %d items: too few to page", l.path, len(all))
		}
		var paged []any
		p := l.path + "&limit=2"
		for i := 0; ; i++ {
			page := e.report(p)
			items := l.list(page)
			if len(items) > 2 {
				t.Fatalf("%s: %d items on a page of 2", l.path, len(items))
			}
			paged = append(paged, items...)
			tok, _ := page["next_page_token"].(string)
			if tok == "" {
				break
			}
			p = l.path + "&page_token=" + url.QueryEscape(tok)
			if i > 100 {
				t.Fatalf("%s: pagination does not end", l.path)
			}
		}
		if !reflect.DeepEqual(paged, all) {
			t.Errorf("%s: pages give %d items, the whole list %d", l.path, len(paged), len(all))
		}
	}

	// CSV pages carry the token in a header.
	r := e.get(viewerToken, "/api/v1/reports/schedule?as_of=2026-02-20&limit=1&format=csv")
	if r.status != http.StatusOK || r.header.Get("X-Next-Page-Token") == "" || strings.Count(string(r.body), "\n") != 2 {
		t.Errorf("csv page: %d %q %q", r.status, r.header.Get("X-Next-Page-Token"), r.body)
	}

	// Bad requests.
	first := e.report("/api/v1/reports/schedule?as_of=2026-02-20&limit=1")
	tok := url.QueryEscape(first["next_page_token"].(string))
	for _, c := range []struct{ path, field string }{
		{"/api/v1/reports/schedule?limit=0", "limit"},
		{"/api/v1/reports/schedule?limit=1001", "limit"},
		{"/api/v1/reports/schedule?limit=ten", "limit"},
		{"/api/v1/reports/schedule?page_token=garbage", "page_token"},
		{"/api/v1/reports/schedule?as_of=2026-02-21&page_token=" + tok, "page_token"},
		{"/api/v1/reports/fund?as_of=2026-02-20&page_token=" + tok, "page_token"},
		{"/api/v1/reports/kpi?from=2026-01-01&to=2026-01-31&limit=5", "limit"},
	} {
		wantProblem(t, e.get(viewerToken, c.path), http.StatusBadRequest, c.field)
	}
}
