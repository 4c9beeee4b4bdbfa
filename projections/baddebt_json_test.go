package projections

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// TestDoubtfulRowsPrintAsPlainRows: a doubtful row prints its five members as
// encoding/json prints a struct of five strings, for ids with every kind of text JSON
// must escape, with and without HTML escaping, indented or not, and an empty register
// prints [] (the reports' other lists are never null either).
func TestDoubtfulRowsPrintAsPlainRows(t *testing.T) {
	ids := []string{"plain", `q"uote`, `back\slash`, "<b>&amp;</b>", "line\u2028sep\u2029", "tab\tnew\nline\x01\x1f",
		"é中文😀", "bad\xffutf8", "\x7f", strings.Repeat("long-", 30)}
	books := domain.NewBooks()
	on := domain.MustDate("2025-01-01")
	cny := domain.MustCurrency("CNY")
	for i, id := range ids {
		cust := "C-" + id
		books.ApplyCommand(cust, "reg", "h", []domain.Event{domain.CustomerRegistered{On: on, Customer: cust, Name: cust, Grade: 1, TermsDays: 30, Collector: "col"}})
		books.ApplyCommand(cust, "inv"+id, "h", []domain.Event{domain.InvoiceIssued{On: on, Invoice: "I-" + id,
			Amount: decimal.New(int64(100+i), -2), Currency: cny, Due: on.AddDays(30)}})
	}
	rep := BadDebt(books, domain.MustDate("2026-01-01"))
	if len(rep.Currencies) != 1 || rep.Currencies[0].Doubtful.Len() != len(ids) {
		t.Fatalf("want %d doubtful rows in one currency, got %+v", len(ids), rep.Currencies)
	}
	var plain []refDoubtfulRow
	for r := range rep.Currencies[0].Doubtful.All() {
		plain = append(plain, refDoubtfulRow{Invoice: r.Invoice(), Customer: r.Customer(), Due: r.Due(),
			DoubtfulSince: r.DoubtfulSince(), Outstanding: r.Outstanding()})
	}
	// Rows are in invoice id order: byte order, so "I-<b>…" comes first.
	if want := (refDoubtfulRow{Invoice: `I-q"uote`, Customer: `C-q"uote`, Due: "2025-01-31", DoubtfulSince: "2025-08-01",
		Outstanding: "1.01"}); !slices.Contains(plain, want) {
		t.Fatalf("no row reads %+v: %+v", want, plain)
	}
	for _, html := range []bool{true, false} {
		for _, indent := range []string{"", "  "} {
			encode := func(v any) string {
				var buf bytes.Buffer
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(html)
				enc.SetIndent("", indent)
				if err := enc.Encode(v); err != nil {
					t.Fatal(err)
				}
				return buf.String()
			}
			if got, want := encode(rep.Currencies[0].Doubtful), encode(plain); got != want {
				t.Errorf("html %v indent %q:\n got %s\nwant %s", html, indent, got, want)
			}
			if got, want := encode(rep.Currencies[0].Doubtful.At(1)), encode(plain[1]); got != want {
				t.Errorf("one row, html %v indent %q:\n got %s\nwant %s", html, indent, got, want)
			}
			if got := encode(DoubtfulRows{}); got != "[]\n" {
				t.Errorf("no rows print %q, want []", got)
			}
		}
	}
}

// TestDoubtfulRowsAcrossRuns: a register large enough to be scanned in parts keeps
// its rows in one run per part; reading a row, a slice or all of them gives the rows
// in order across the runs, as a plain list would.
func TestDoubtfulRowsAcrossRuns(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3)) // three parts, whatever the machine
	books := domain.NewBooks()
	on := domain.MustDate("2025-01-01")
	cny, usd := domain.MustCurrency("CNY"), domain.MustCurrency("USD")
	for c := range 3 {
		cust := fmt.Sprint("C", c)
		books.ApplyCommand(cust, "reg", "h", []domain.Event{domain.CustomerRegistered{On: on, Customer: cust, Name: cust, Grade: 1, TermsDays: 30, Collector: "col"}})
	}
	for i := range 9000 {
		cur := cny
		if i%7 == 0 {
			cur = usd // a second currency, so that a part holds runs of both
		}
		books.ApplyCommand(fmt.Sprint("C", i%3), fmt.Sprint("inv", i), "h", []domain.Event{domain.InvoiceIssued{On: on.AddDays(i % 50),
			Invoice: fmt.Sprintf("I%05d", i), Amount: decimal.New(int64(100+i), -2), Currency: cur, Due: on.AddDays(30 + i%50)}})
	}
	rep := BadDebt(books, domain.MustDate("2026-06-01"))
	for _, c := range rep.Currencies {
		rows := c.Doubtful
		if len(rows.runs) != 3 {
			t.Fatalf("%s: %d runs, want one per part (3)", c.Currency, len(rows.runs))
		}
		var plain []DoubtfulRow
		for r := range rows.All() {
			plain = append(plain, r)
		}
		if len(plain) != rows.Len() || rows.Len() < 1000 {
			t.Fatalf("%s: All gave %d rows, Len %d", c.Currency, len(plain), rows.Len())
		}
		for i, r := range plain {
			if got := rows.At(i); got != r {
				t.Fatalf("%s: At(%d) = %+v, All gave %+v", c.Currency, i, got, r)
			}
			if i > 0 && plain[i-1].Invoice() >= r.Invoice() {
				t.Fatalf("%s: row %d (%s) after %s: not in invoice order", c.Currency, i, r.Invoice(), plain[i-1].Invoice())
			}
			want := fmt.Sprintf("%s %s", r.Invoice()[1:], r.Outstanding())
			var n int
			fmt.Sscanf(r.Invoice()[1:], "%d", &n)
			if want != fmt.Sprintf("%05d %s", n, decimal.New(int64(100+n), -2).StringFixed(2)) {
				t.Fatalf("%s: row %d reads %q", c.Currency, i, want)
			}
		}
		first := len(rows.runs[0].recs)
		for _, w := range [][2]int{{0, 0}, {0, rows.Len()}, {first - 2, first + 3}, {first, first + 1}, {first - 1, first}, {1, rows.Len() - 1}, {rows.Len(), rows.Len()}} {
			got, err := json.Marshal(rows.Slice(w[0], w[1]))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(append([]DoubtfulRow{}, plain[w[0]:w[1]]...))
			if string(got) != string(want) {
				t.Fatalf("%s: Slice(%d, %d):\n got %.300s\nwant %.300s", c.Currency, w[0], w[1], got, want)
			}
			if n := rows.Slice(w[0], w[1]).Len(); n != w[1]-w[0] {
				t.Fatalf("%s: Slice(%d, %d) has %d rows", c.Currency, w[0], w[1], n)
			}
		}
	}
}
