package domain_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// dropFixture records, for a customer, invoices, a payment, a credit note and a
// violation, each with ids prefixed by tag.
func dropFixture(b *domain.Books, cust, tag string, invoices ...string) {
	cny := domain.MustCurrency("CNY")
	on := domain.MustDate("2026-01-10")
	b.ApplyCommand(cust, tag+"reg", "h", []domain.Event{domain.CustomerRegistered{On: on, Customer: cust, Name: cust, Grade: 2, TermsDays: 30}})
	for _, id := range invoices {
		b.ApplyCommand(cust, tag+id, "h", []domain.Event{domain.InvoiceIssued{On: on, Invoice: id,
			Amount: decimal.New(100, 0), Currency: cny, Due: domain.MustDate("2026-02-10")}})
	}
	b.ApplyCommand(cust, tag+"pay", "h", []domain.Event{domain.PaymentRecorded{On: on, Payment: tag + "P",
		Amount: decimal.New(5, 0), Currency: cny, Unapplied: decimal.New(5, 0)}})
	b.ApplyCommand(cust, tag+"cn", "h", []domain.Event{domain.CreditNoteIssued{On: on, CreditNote: tag + "CN",
		Amount: decimal.New(5, 0), Currency: cny, Unapplied: decimal.New(5, 0)}})
	b.ApplyCommand(cust, tag+"viol", "h", []domain.Event{domain.ViolationReported{On: on, Violation: tag + "V",
		Reporter: "X", OccurredOn: on}})
}

func indexIDs(b *domain.Books) string {
	var ids []string
	for _, inv := range b.InvoicesByID() {
		ids = append(ids, inv.ID)
	}
	return strings.Join(ids, ",")
}

func TestDropForgetsOnlyTheAccount(t *testing.T) {
	b := domain.NewBooks()
	dropFixture(b, "C1", "c1-", "I-5", "I-1")
	dropFixture(b, "C2", "c2-", "I-3", "I-2")
	if got := indexIDs(b); got != "I-1,I-2,I-3,I-5" {
		t.Fatalf("index %s", got)
	}
	before := slices.Clone(b.InvoicesByID())
	held := b.InvoicesByID()
	// Recorded after the index was built: pending until the next read.
	b.ApplyCommand("C1", "c1-late", "h", []domain.Event{domain.InvoiceIssued{On: domain.MustDate("2026-01-11"), Invoice: "I-0",
		Amount: decimal.New(1, 0), Currency: domain.MustCurrency("CNY"), Due: domain.MustDate("2026-02-11")}})
	b.ApplyCommand("C2", "c2-late", "h", []domain.Event{domain.InvoiceIssued{On: domain.MustDate("2026-01-11"), Invoice: "I-4",
		Amount: decimal.New(1, 0), Currency: domain.MustCurrency("CNY"), Due: domain.MustDate("2026-02-11")}})
	// An id of C1's that the books route to C2 stays C2's.
	b.ApplyCommand("C2", "c2-pay2", "h", []domain.Event{domain.PaymentRecorded{On: domain.MustDate("2026-01-12"), Payment: "c1-P",
		Amount: decimal.New(1, 0), Currency: domain.MustCurrency("CNY"), Unapplied: decimal.New(1, 0)}})

	b.Drop("C1")
	if _, ok := b.Existing("C1"); ok {
		t.Fatalf("C1 still in the books")
	}
	if got := indexIDs(b); got != "I-2,I-3,I-4" {
		t.Fatalf("index after Drop: %s", got)
	}
	if !slices.Equal(held, before) {
		t.Fatalf("Drop changed a slice handed out earlier")
	}
	for _, c := range []struct{ kind, id, owner string }{
		{"invoice", "I-1", ""}, {"invoice", "I-5", ""}, {"invoice", "I-0", ""}, {"invoice", "I-2", "C2"}, {"invoice", "I-4", "C2"},
		{"payment", "c1-P", "C2"}, {"payment", "c2-P", "C2"},
		{"credit_note", "c1-CN", ""}, {"credit_note", "c2-CN", "C2"},
		{"violation", "c1-V", ""}, {"violation", "c2-V", "C2"},
	} {
		if owner, _ := b.EntityOwner(c.kind, c.id); owner != c.owner {
			t.Errorf("%s %s owned by %q, want %q", c.kind, c.id, owner, c.owner)
		}
	}

	// Folded again, the account is back in the index and the routes.
	dropFixture(b, "C1", "c1-", "I-5", "I-1")
	if got := indexIDs(b); got != "I-1,I-2,I-3,I-4,I-5" {
		t.Fatalf("index after folding C1 again: %s", got)
	}
	if owner, _ := b.EntityOwner("violation", "c1-V"); owner != "C1" {
		t.Errorf("violation c1-V owned by %q after folding again", owner)
	}
	b.Drop("C2")
	b.Drop("nobody")
	if got := indexIDs(b); got != "I-1,I-5" {
		t.Fatalf("index after dropping C2: %s", got)
	}
}

func TestCommandLogThroughSnapshot(t *testing.T) {
	sum := sha256.Sum256([]byte("content"))
	hexHash := hex.EncodeToString(sum[:])
	other := sha256.Sum256([]byte("other content"))
	b := domain.NewBooks()
	dropFixture(b, "C1", "c1-", "I-1")
	b.ApplyCommand("C1", "cmd-hex", hexHash, nil)
	b.ApplyCommand("", "close-1", hexHash, nil)
	b.ApplyCommand("", "close-2", "process", nil)

	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(b.Snapshot()); err != nil {
		t.Fatal(err)
	}
	var s domain.Snapshot
	if err := gob.NewDecoder(&buf).Decode(&s); err != nil {
		t.Fatal(err)
	}
	r, err := domain.Restore(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, books := range []*domain.Books{b, r} {
		check := func(what string, seen bool, err error, wantSeen, wantRefused bool) {
			t.Helper()
			if seen != wantSeen || (err != nil) != wantRefused {
				t.Errorf("%s: seen %v, err %v; want seen %v, refused %v", what, seen, err, wantSeen, wantRefused)
			}
		}
		a := books.Account("C1")
		l := books.Ledger()
		seen, err := a.CheckCommand("cmd-hex", hexHash)
		check("account, same hex hash", seen, err, true, false)
		seen, err = a.CheckCommand("cmd-hex", hex.EncodeToString(other[:]))
		check("account, other hex hash", seen, err, true, true)
		seen, err = a.CheckCommand("c1-I-1", "h")
		check("account, short hash", seen, err, true, false)
		seen, err = a.CheckCommand("c1-I-1", "g")
		check("account, other short hash", seen, err, true, true)
		seen, err = l.CheckCommand("close-1", hexHash)
		check("ledger, same hex hash", seen, err, true, false)
		seen, err = l.CheckCommand("close-1", "process")
		check("ledger, other hash", seen, err, true, true)
		seen, err = l.CheckCommand("close-2", "process")
		check("ledger, same short hash", seen, err, true, false)
		seen, err = l.CheckCommand("close-3", "process")
		check("ledger, unknown id", seen, err, false, false)
	}
}
