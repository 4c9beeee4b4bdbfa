package web_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
)

// text strips tags and squeezes white space: what a person reads.
func text(html string) string {
	s := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(html, " ")
	s = strings.NewReplacer("&#43;", "+", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'", "&#34;", `"`).Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// section returns the element that starts at the first match of start (an opening
// tag's beginning, e.g. `<tr data-customer="HZ-001"`) up to its closing tag.
func section(t *testing.T, html, start, closeTag string) string {
	t.Helper()
	start = strings.ReplaceAll(start, "+", "&#43;") // as html/template writes it
	i := strings.Index(html, start)
	if i < 0 {
		t.Fatalf("no %s in the page", start)
	}
	j := strings.Index(html[i:], closeTag)
	if j < 0 {
		t.Fatalf("%s is not closed by %s", start, closeTag)
	}
	return html[i : i+j+len(closeTag)]
}

func wantText(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: want %q in\n%s", what, w, got)
		}
	}
}

func TestDashboardShowsTheAgeing(t *testing.T) {
	f := newFixture(t)
	page := f.page("/")

	// Bar charts: one per currency, each bar labelled with its amount as the report
	// gives it (minor digits of the currency).
	cny := section(t, page, `<figure class="chart" data-currency="CNY"`, "</figure>")
	wantText(t, "CNY caption", text(cny), "CNY outstanding 24020.50", "unapplied credit 0.00")
	for bucket, amount := range map[string]string{"current": "2000.00", "1-30": "3000.50", "31-60": "0.00",
		"61-90": "0.00", "91-180": "8000.00", "181+": "11020.00"} {
		bar := section(t, cny, `<g class="bar" data-bucket="`+bucket+`"`, "</g>")
		wantText(t, "CNY bar "+bucket, bar, `class="bar-amount">`+amount+`</text>`)
	}
	// The tallest bar fills the plot; the others are to scale.
	if h := barHeight(t, cny, "181+"); h != "180.0" {
		t.Errorf("181+ bar height %s, want 180.0 (the tallest)", h)
	}
	if h := barHeight(t, cny, "91-180"); h != "130.7" { // 8000/11020 × 180
		t.Errorf("91-180 bar height %s, want 130.7", h)
	}
	jpy := section(t, page, `<figure class="chart" data-currency="JPY"`, "</figure>")
	wantText(t, "JPY bar", section(t, jpy, `data-bucket="61-90"`, "</g>"), ">150000</text>")
	usd := section(t, page, `<figure class="chart" data-currency="USD"`, "</figure>")
	wantText(t, "USD caption", text(usd), "USD outstanding 1800.00", "unapplied credit -50.00")

	// The customer table, each customer linking to its statement.
	hz := section(t, page, `<tr data-customer="HZ-001" data-currency="CNY"`, "</tr>")
	wantText(t, "HZ-001 row", hz, `href="/customers/HZ-001"`)
	wantText(t, "HZ-001 row", text(hz), "CNY HZ-001 Hangzhou Xinda Electronics 0.00 3000.50 0.00 0.00 0.00 6520.00 9520.50 0.00")
	wantText(t, "JP-020 USD row", text(section(t, page, `<tr data-customer="JP-020" data-currency="USD"`, "</tr>")),
		"USD JP-020 Osaka Denki Shokai 0.00 0.00 0.00 0.00 0.00 0.00 0.00 -50.00")
	wantText(t, "JP-020 JPY row", text(section(t, page, `<tr data-customer="JP-020" data-currency="JPY"`, "</tr>")),
		"JPY JP-020 Osaka Denki Shokai 0 0 0 150000 0 0 150000 0")
	wantText(t, "CNY totals", text(section(t, page, `<tr data-totals="CNY"`, "</tr>")),
		"CNY Total 2000.00 3000.50 0.00 0.00 8000.00 11020.00 24020.50 0.00")
	wantText(t, "pager", text(page), "rows 1–6 of 6 · page 1 of 1")
	if strings.Contains(page, `rel="next"`) {
		t.Error("a single page has a next link")
	}
}

// flashOf decodes the flash cookie a POST set.
func flashOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == "arkeep_flash" {
			b, err := base64.RawURLEncoding.DecodeString(c.Value)
			if err != nil {
				t.Fatalf("flash cookie %q: %v", c.Value, err)
			}
			return string(b)
		}
	}
	t.Fatalf("POST %s set no flash", resp.Request.URL)
	return ""
}

func barHeight(t *testing.T, chart, bucket string) string {
	t.Helper()
	g := section(t, chart, `data-bucket="`+bucket+`"`, "</g>")
	m := regexp.MustCompile(`height="([0-9.]+)"`).FindStringSubmatch(g)
	if m == nil {
		t.Fatalf("bar %s has no height: %s", bucket, g)
	}
	return m[1]
}

func TestDashboardAsOfAnEarlierDate(t *testing.T) {
	f := newFixture(t)
	// As of 2026-03-31 the quarter is not closed yet: INV-1001 owes 12000 − 5000, 50
	// days past due; INV-3001 (due 03-03) is 28 days; INV-3003 (due 02-04) is 55 days
	// and not yet written off; INV-2001 is current.
	page := f.page("/?as_of=2026-03-31")
	wantText(t, "as of", text(page), "As of end of day 2026-03-31")
	wantText(t, "picker", page, `<input type="date" name="as_of" value="2026-03-31" required>`)
	cny := section(t, page, `<figure class="chart" data-currency="CNY"`, "</figure>")
	wantText(t, "CNY caption", text(cny), "CNY outstanding 20500.00")
	wantText(t, "31-60 bar", section(t, cny, `data-bucket="31-60"`, "</g>"), ">8000.00</text>")
	if strings.Contains(page, `data-currency="USD"`) || strings.Contains(page, `data-currency="JPY"`) {
		t.Error("USD and JPY have nothing before July")
	}
	wantText(t, "SH-003", text(section(t, page, `<tr data-customer="SH-003"`, "</tr>")),
		"CNY SH-003 Shanghai Pudong Digital Mall 0.00 4500.00 1000.00 0.00 0.00 0.00 5500.00 0.00")

	if code, body := f.get("/?as_of=2026-02-30"); code != http.StatusBadRequest || !strings.Contains(body, "not a real calendar date") {
		t.Errorf("impossible as_of: status %d\n%s", code, text(body))
	}
	if code, _ := f.get("/?page=0"); code != http.StatusBadRequest {
		t.Errorf("page=0: status %d, want 400", code)
	}
}

func TestCustomerStatement(t *testing.T) {
	f := newFixture(t)
	page := f.page("/customers/HZ-001")
	all := text(page)
	wantText(t, "profile", all, "Hangzhou Xinda Electronics (HZ-001)", "Credit grade 1", "Terms 30 days",
		"Collector li.wei", "ar@xinda.example.cn")
	wantText(t, "balance", text(section(t, page, `<tr data-currency="CNY"`, "</tr>")), "CNY 9520.50 9520.50 0.00")
	wantText(t, "INV-1001", text(section(t, page, `<tr data-invoice="INV-1001"`, "</tr>")),
		"INV-1001 CNY 2026-01-10 2026-02-09 12000.00 6520.00 233 doubtful")
	wantText(t, "INV-1002", text(section(t, page, `<tr data-invoice="INV-1002"`, "</tr>")),
		"INV-1002 CNY 2026-08-20 2026-09-19 3000.50 3000.50 11")

	// The activity timeline: every dated fact, in date order, payments with their
	// allocations.
	tl := text(section(t, page, `<ol class="timeline">`, "</ol>"))
	order := []string{
		"2026-01-02 Registered",
		"2026-01-10 Invoice issued · INV-1001 12000.00 CNY due 2026-02-09, price-protection fund rate 0.02",
		"2026-02-05 Payment PAY-1 5000.00 CNY → INV-1001 5000.00",
		"2026-04-01 Fund returned (rebate:2026Q1:CNY) 240.00 CNY → INV-1001 240.00",
		"2026-04-01 Bounty awarded (bounty:2026Q1:NB-002:CNY) 240.00 CNY → INV-1001 240.00",
		"2026-08-10 Became doubtful · INV-1001 more than six months past due 2026-02-09",
		"2026-08-20 Invoice issued · INV-1002 3000.50 CNY",
	}
	at := 0
	for _, w := range order {
		i := strings.Index(tl[at:], w)
		if i < 0 {
			t.Fatalf("timeline: want %q after position %d in\n%s", w, at, tl)
		}
		at += i + len(w)
	}

	// Another customer: promise, action, dispute and write-off facts.
	us := text(f.page("/customers/US-010"))
	wantText(t, "US-010", us, "2026-09-10 Payment PAY-2 700.00 USD → INV-9001 700.00",
		"2026-09-12 Promise to pay · INV-9001 1800.00 USD by 2026-09-20 (broken)",
		"2026-09-22 Action: call · INV-9001 reached AP, promised by Friday",
		"2026-09-12 INV-9001 2026-09-20 1800.00 USD broken")
	sh := text(f.page("/customers/SH-003"))
	wantText(t, "SH-003", sh, "2026-08-10 Written off · INV-3003 1000.00 CNY reason bankruptcy",
		"2026-09-20 Dispute opened · INV-3002", "INV-3002 CNY 2026-09-15 2026-10-15 2000.00 2000.00 current disputed")
	jp := text(f.page("/customers/JP-020"))
	wantText(t, "JP-020", jp, "JPY 150000 150000 0", "USD 0.00 0.00 -50.00",
		"2026-09-25 Payment PAY-3 50.00 USD unapplied credit 50.00")

	// As of an earlier date the later facts are not there yet.
	early := text(f.page("/customers/HZ-001?as_of=2026-03-01"))
	wantText(t, "HZ-001 early", early, "INV-1001 CNY 2026-01-10 2026-02-09 12000.00 7000.00 20")
	if strings.Contains(early, "INV-1002") || strings.Contains(early, "Bounty") {
		t.Errorf("facts after 2026-03-01 shown as of 2026-03-01:\n%s", early)
	}

	if code, body := f.get("/customers/NOPE-9"); code != http.StatusNotFound || !strings.Contains(body, `No customer &#34;NOPE-9&#34;`) {
		t.Errorf("unknown customer: status %d\n%s", code, text(body))
	}
}

func TestBadDebtRegister(t *testing.T) {
	f := newFixture(t)
	page := f.page("/baddebt")
	cny := section(t, page, `<section class="currency" data-currency="CNY"`, "</section>")
	wantText(t, "totals", text(section(t, cny, `<table class="num totals">`, "</table>")),
		"Doubtful Written off Recovered 11020.00 1000.00 0.00")
	wantText(t, "INV-1001", text(section(t, cny, `<tr data-invoice="INV-1001"`, "</tr>")),
		"INV-1001 HZ-001 Hangzhou Xinda Electronics 2026-02-09 2026-08-10 6520.00")
	wantText(t, "INV-3001", text(section(t, cny, `<tr data-invoice="INV-3001"`, "</tr>")),
		"INV-3001 SH-003 Shanghai Pudong Digital Mall 2026-03-03 2026-09-04 4500.00")
	wantText(t, "INV-3003", text(section(t, cny, `<tr data-invoice="INV-3003"`, "</tr>")),
		"INV-3003 SH-003 Shanghai Pudong Digital Mall 2026-08-10 bankruptcy 1000.00 0.00")
	if strings.Contains(page, `data-currency="USD"`) {
		t.Error("USD has no bad debt")
	}
	// Before the six months are up, nothing is doubtful.
	wantText(t, "early", text(f.page("/baddebt?as_of=2026-08-01")), "No doubtful invoices and no write-offs.")
}

func TestFundStatement(t *testing.T) {
	f := newFixture(t)
	page := f.page("/funds")
	for _, tc := range []struct{ sel, want string }{
		{`<tr data-customer="HZ-001" data-quarter="2026Q1" data-currency="CNY"`, "HZ-001 Hangzhou Xinda Electronics 2026Q1 CNY 240.00 rebated 240.00 0.00"},
		{`<tr data-customer="HZ-001" data-quarter="2026Q3" data-currency="CNY"`, "2026Q3 CNY 60.01 open 0.00 0.00"},
		{`<tr data-customer="NB-002" data-quarter="2026Q1" data-currency="CNY"`, "NB-002 Ningbo Haitong Trading 2026Q1 CNY 240.00 forfeited 0.00 240.00 HZ-001"},
	} {
		wantText(t, tc.sel, text(section(t, page, tc.sel, "</tr>")), tc.want)
	}
	// Before the close, NB-002's fund is already forfeited (confirmed violation) and
	// HZ-001's is still open.
	early := f.page("/funds?as_of=2026-03-31")
	wantText(t, "early HZ-001", text(section(t, early, `<tr data-customer="HZ-001" data-quarter="2026Q1"`, "</tr>")), "240.00 open 0.00 0.00")
	wantText(t, "early NB-002", text(section(t, early, `<tr data-customer="NB-002" data-quarter="2026Q1"`, "</tr>")), "240.00 forfeited 0.00 240.00")
}

func TestWorklistDoneRecordsOnce(t *testing.T) {
	f := newFixture(t)
	idx := text(f.page("/worklist"))
	wantText(t, "collectors", idx, "li.wei 3 customers", "zhang.min 2 customers")

	page := f.page("/worklist?collector=zhang.min")
	wantText(t, "day", text(page), "Working day 2026-09-30 · 2 contacts")
	us := section(t, page, `<section class="contact" data-customer="US-010"`, "</section>")
	wantText(t, "US-010", text(us), "1 US-010 Pacific Gadgets Inc.", "2026-08-31 INV-9001 visit", "2026-09-21 INV-9001 call", "2026-09-30 INV-9001 direct_demand")
	wantText(t, "SH-003", text(section(t, page, `<section class="contact" data-customer="SH-003"`, "</section>")),
		"2 SH-003", "2026-09-04 INV-3001 bad_debt_review")

	task := section(t, us, `<tr class="task" data-invoice="INV-9001" data-action="call"`, "</tr>")
	form := url.Values{}
	for _, m := range regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(task, -1) {
		form.Set(m[1], m[2])
	}
	if len(form.Get("nonce")) != 32 || form.Get("customer") != "US-010" || form.Get("date") != "2026-09-21" {
		t.Fatalf("Done form fields: %v", form)
	}
	// A double click: the same form twice. It records one action.
	var cookies []*http.Cookie
	for range 2 {
		resp := f.post("/worklist/done", form)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/worklist?collector=zhang.min" {
			t.Fatalf("POST done: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		cookies = resp.Cookies()
	}
	calls := 0
	f.live.View(func(b *domain.Books) {
		a, _ := b.Existing("US-010")
		for _, act := range a.Actions() {
			if act.Outcome == "done via web" {
				calls++
				if act.Action.String() != "call" || act.Invoice != "INV-9001" || act.On != today {
					t.Errorf("recorded %+v", act)
				}
			}
		}
	})
	if calls != 1 {
		t.Errorf("%d actions recorded from a double click, want 1", calls)
	}

	// The redirect target shows the flash once, and the task is gone.
	req, _ := http.NewRequest("GET", f.srv.URL+"/worklist?collector=zhang.min", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	wantText(t, "flash", text(body), "Done: call for US-010, invoice INV-9001 (recorded on 2026-09-30).")
	us = section(t, body, `<section class="contact" data-customer="US-010"`, "</section>")
	if strings.Contains(us, `data-action="call"`) {
		t.Errorf("the call task is still listed:\n%s", text(us))
	}
	wantText(t, "remaining", text(us), "2026-08-31 INV-9001 visit", "2026-09-30 INV-9001 direct_demand")
	if strings.Contains(text(f.page("/worklist?collector=zhang.min")), "Done:") {
		t.Error("the flash is shown twice")
	}

	// A form without a valid nonce records nothing and says so.
	bad := url.Values{"collector": {"zhang.min"}, "customer": {"US-010"}, "invoice": {"INV-9001"}, "action": {"visit"}, "nonce": {"x"}}
	wantText(t, "bad nonce", flashOf(t, f.post("/worklist/done", bad)), "Not recorded: the form has no valid nonce")
	// A refused command (unknown invoice) is reported, not recorded.
	refused := url.Values{"collector": {"zhang.min"}, "customer": {"US-010"}, "invoice": {"INV-NOPE"}, "action": {"visit"},
		"nonce": {"0123456789abcdef0123456789abcdef"}}
	wantText(t, "refused", flashOf(t, f.post("/worklist/done", refused)), "Not recorded:", "INV-NOPE")
	f.live.View(func(b *domain.Books) {
		a, _ := b.Existing("US-010")
		if n := len(a.Actions()); n != 2 { // a-1 from the ledger and the web's call
			t.Errorf("%d actions after the refused posts, want 2", n)
		}
	})

	// A POST from another site is refused before anything is recorded.
	req, _ = http.NewRequest("POST", f.srv.URL+"/worklist/done", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: status %d, want 403", resp.StatusCode)
	}
}

func TestChangeEventsFollowTheProjection(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	seq, _, _ := f.live.Position()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/events/changes?since="+itoa(seq), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: ") {
				events <- sc.Text()
			}
		}
		close(events)
	}()
	select {
	case e := <-events:
		t.Fatalf("event %q before anything changed", e)
	case <-time.After(200 * time.Millisecond):
	}
	f.exec(`{"cmd":"RecordPayment","id":"p-live","on":"2026-09-30","payment":"PAY-LIVE","customer":"NB-002","amount":"1000.00","currency":"CNY"}`)
	select {
	case e := <-events:
		if e != "event: change" {
			t.Fatalf("got %q", e)
		}
	case <-ctx.Done():
		t.Fatal("no change event after a commit")
	}
	// The page now shows the payment.
	wantText(t, "NB-002", text(section(t, f.page("/"), `<tr data-customer="NB-002"`, "</tr>")), "7000.00")

	// A client whose page is older than the projection hears at once.
	req, _ = http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/events/changes", nil)
	req.Header.Set("Last-Event-ID", itoa(seq))
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	sc := bufio.NewScanner(resp2.Body)
	for sc.Scan() {
		if sc.Text() == "event: change" {
			return
		}
	}
	t.Fatal("a stale client got no change event")
}

func TestPrintStylesheetAndStatic(t *testing.T) {
	f := newFixture(t)
	css := f.page("/static/style.css")
	wantText(t, "print css", css, "@media print", "break-inside: avoid", "thead { display: table-header-group; }")
	js := f.page("/static/live.js")
	wantText(t, "live.js", js, `new EventSource("/events/changes`)
	resp, err := http.Get(f.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if code, _ := f.get("/nope"); code != http.StatusNotFound {
		t.Errorf("unknown page: %d", code)
	}
}

func TestDashboardPaginatesCustomers(t *testing.T) {
	f := newFixture(t)
	// 205 more customers, each with 1.00 EUR of unapplied credit: 211 rows in all,
	// ordered CNY (3), EUR (205), JPY (1), USD (2).
	for i := range 205 {
		id := fmt.Sprintf("P-%03d", i)
		f.exec(fmt.Sprintf(`{"cmd":"RegisterCustomer","id":"reg","on":"2026-01-02","customer":%q,"name":"Dealer %d","grade":3,"terms_days":30,"collector":"bulk"}`, id, i))
		f.exec(fmt.Sprintf(`{"cmd":"RecordPayment","id":"pay","on":"2026-09-01","payment":"PAY-%s","customer":%q,"amount":"1.00","currency":"EUR"}`, id, id))
	}
	f.waitLive(func(b *domain.Books) bool {
		a, ok := b.Existing("P-204")
		return ok && len(a.Lots()) == 1
	})

	first := f.page("/")
	if n := strings.Count(first, "<tr data-customer="); n != 200 {
		t.Errorf("page 1 has %d customer rows, want 200", n)
	}
	wantText(t, "page 1", text(first), "rows 1–200 of 211 · page 1 of 2")
	wantText(t, "page 1", first, `href="/?page=2" rel="next"`, `<tr data-customer="P-196" data-currency="EUR"`)
	if strings.Contains(first, `data-customer="P-197"`) {
		t.Error("P-197 is on page 1")
	}
	second := f.page("/?page=2")
	if n := strings.Count(second, "<tr data-customer="); n != 11 {
		t.Errorf("page 2 has %d customer rows, want 11", n)
	}
	wantText(t, "page 2", text(second), "rows 201–211 of 211 · page 2 of 2")
	wantText(t, "P-204", text(section(t, second, `<tr data-customer="P-204"`, "</tr>")),
		"EUR P-204 Dealer 204 0.00 0.00 0.00 0.00 0.00 0.00 0.00 -1.00")
	// Every page carries the charts and the currency totals.
	wantText(t, "EUR totals", text(section(t, second, `<tr data-totals="EUR"`, "</tr>")), "EUR Total 0.00 0.00 0.00 0.00 0.00 0.00 0.00 -205.00")
	wantText(t, "CNY chart", text(section(t, second, `<figure class="chart" data-currency="CNY"`, "</figure>")), "CNY outstanding 24020.50")
	// A page past the end shows the last one; as_of is kept in the links.
	last := f.page("/?page=9")
	wantText(t, "page 9", text(last), "page 2 of 2")
	wantText(t, "page 9 P-204", text(section(t, last, `<tr data-customer="P-204"`, "</tr>")), "EUR P-204 Dealer 204")
	wantText(t, "as_of kept", f.page("/?as_of=2026-09-30"), `href="/?page=2&amp;as_of=2026-09-30" rel="next"`)
}

// A page past the end shows the last page whole: its rows and their customers' names
// (the names were once looked up for the requested page, not the one shown).
func TestDashboardPagePastTheEndShowsNames(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/?page=999", "/?page=2&as_of=2026-09-30"} {
		page := f.page(path)
		wantText(t, path+" pager", text(page), "rows 1–6 of 6 · page 1 of 1")
		if n := strings.Count(page, "<tr data-customer="); n != 6 {
			t.Errorf("%s: %d customer rows, want 6", path, n)
		}
		wantText(t, path+" HZ-001", text(section(t, page, `<tr data-customer="HZ-001" data-currency="CNY"`, "</tr>")),
			"CNY HZ-001 Hangzhou Xinda Electronics 0.00 3000.50")
		wantText(t, path+" US-010", text(section(t, page, `<tr data-customer="US-010" data-currency="USD"`, "</tr>")),
			"USD US-010 Pacific Gadgets Inc. 0.00 1800.00")
		if strings.Contains(page, `<span class="name"></span>`) {
			t.Errorf("%s: a row without its customer's name", path)
		}
	}
}
