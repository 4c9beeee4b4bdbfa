package projections

import (
	"bytes"
	"encoding/json"
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
	if len(rep.Currencies) != 1 || len(rep.Currencies[0].Doubtful) != len(ids) {
		t.Fatalf("want %d doubtful rows in one currency, got %+v", len(ids), rep.Currencies)
	}
	var plain []refDoubtfulRow
	for _, r := range rep.Currencies[0].Doubtful {
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
			if got, want := encode(rep.Currencies[0].Doubtful[1]), encode(plain[1]); got != want {
				t.Errorf("one row, html %v indent %q:\n got %s\nwant %s", html, indent, got, want)
			}
			if got := encode(DoubtfulRows(nil)); got != "[]\n" {
				t.Errorf("no rows print %q, want []", got)
			}
		}
	}
}
