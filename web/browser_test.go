package web_test

// The end-to-end test drives a real headless Chromium through the pages, as a person
// would click through them. It uses github.com/chromedp/chromedp: a well-kept, pure-Go
// driver for the Chrome DevTools Protocol, so the test needs no WebDriver server,
// Node or Selenium — only a Chromium binary (Debian's package: apt-get install
// chromium). Without /usr/bin/chromium the test skips; CI installs it.

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// screenshotPath is where the dashboard's screenshot is written, for a person to look at.
const screenshotPath = "/tmp/arkeep-dashboard.png"

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s not found (install Debian's chromium package: apt-get install -y chromium)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 45*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func TestBrowserClickThrough(t *testing.T) {
	ctx := newBrowser(t)
	f := newFixture(t)
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	textOf := func(sel string) string {
		t.Helper()
		read := chromedp.Text(chromedp.CSS(sel))
		if strings.Contains(sel, "text.bar-amount") {
			read = chromedp.TextContent(chromedp.CSS(sel)) // SVG text has no innerText
		}
		s, err := chromedp.Run(ctx, read)
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}

	// The dashboard: a bar chart per currency, labelled with the amounts.
	run("open the dashboard", chromedp.Navigate(f.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`figure.chart[data-currency="CNY"] svg`)))
	if got := textOf(`figure.chart[data-currency="CNY"] g[data-bucket="181+"] text.bar-amount`); got != "11020.00" {
		t.Errorf("CNY 181+ bar label %q, want 11020.00", got)
	}
	if got := textOf(`figure.chart[data-currency="JPY"] g[data-bucket="61-90"] text.bar-amount`); got != "150000" {
		t.Errorf("JPY 61-90 bar label %q, want 150000", got)
	}
	if bars := count(`figure.chart[data-currency="CNY"] g.bar rect`); bars != 6 {
		t.Errorf("%d CNY bars, want 6", bars)
	}
	if got := textOf(`tr[data-customer="HZ-001"][data-currency="CNY"]`); !strings.Contains(got, "HZ-001 Hangzhou Xinda Electronics 0.00 3000.50 0.00 0.00 0.00 6520.00 9520.50") {
		t.Errorf("HZ-001 row reads %q", got)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(screenshotPath, png, 0o644); err != nil {
		t.Errorf("write the screenshot: %v", err)
	}

	// The page follows new events without a reload: a payment recorded elsewhere
	// shows up in NB-002's row.
	run("mark the page", chromedp.Evaluate[chromedp.Void](`window.sameDocument = true; undefined`))
	f.exec(`{"cmd":"RecordPayment","id":"p-browser","on":"2026-09-30","payment":"PAY-B","customer":"NB-002","amount":"1000.00","currency":"CNY"}`)
	f.waitLive(func(b *domain.Books) bool { _, ok := b.EntityOwner("payment", "PAY-B"); return ok })
	pos, _, _ := f.live.Position()
	// The page has settled once its <main> is the one computed at the final position.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`document.getElementById("main").dataset.seq === "`+strconv.FormatUint(pos, 10)+`" && `+
			`document.querySelector('tr[data-customer="NB-002"] td.total').textContent === "7000.00" && window.sameDocument === true`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the dashboard did not update itself after a payment: %v", err)
	}

	// Drill down: the customer's statement.
	run("open the statement", chromedp.Click(chromedp.CSS(`tr[data-customer="HZ-001"][data-currency="CNY"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`table.open-items`)))
	if got := textOf("h1"); got != "Hangzhou Xinda Electronics (HZ-001)" {
		t.Errorf("statement title %q", got)
	}
	if got := textOf(`tr[data-invoice="INV-1001"]`); !strings.Contains(got, "12000.00 6520.00 233 doubtful") {
		t.Errorf("INV-1001 reads %q", got)
	}
	if got := textOf(`ol.timeline`); !strings.Contains(got, "Payment PAY-1 5000.00 CNY → INV-1001 5000.00") {
		t.Errorf("timeline reads %q", got)
	}

	// The worklist: from the navigation, then the collector.
	run("open the worklists", chromedp.Click(chromedp.CSS(`nav a[href="/worklist"]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.collectors`)))
	run("open zhang.min's worklist", chromedp.Click(chromedp.CSS(`ul.collectors a[href="/worklist?collector=zhang.min"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.contact[data-customer="US-010"]`)))
	task := `section.contact[data-customer="US-010"] tr.task[data-invoice="INV-9001"][data-action="visit"]`
	before := count("tr.task")
	run("click Done", chromedp.Click(chromedp.CSS(task+` button`)), chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)))
	if got := textOf(`.flash-ok`); got != "Done: visit for US-010, invoice INV-9001 (recorded on 2026-09-30)." {
		t.Errorf("flash reads %q", got)
	}
	after, gone := count("tr.task"), count(task)
	if after != before-1 || gone != 0 {
		t.Errorf("after Done: %d tasks (was %d), the visit task listed %d times", after, before, gone)
	}
}
