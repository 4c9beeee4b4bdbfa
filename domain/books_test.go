package domain_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
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

// throughSnapshot restores books from their snapshot, encoded and decoded as the
// snapshot store does (gob).
func throughSnapshot(t *testing.T, b *domain.Books) *domain.Books {
	t.Helper()
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
	return r
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

	r := throughSnapshot(t, b)
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

// describeInvoices writes every fact the books hold about their invoices, in id order,
// read through the exported view (amounts, history, as-of values).
func describeInvoices(b *domain.Books) string {
	var s strings.Builder
	days := []domain.Date{domain.MustDate("2026-01-09"), domain.MustDate("2026-01-20"), domain.MustDate("2026-03-01"), domain.MustDate("2026-12-31")}
	for _, inv := range b.InvoicesByID() {
		fmt.Fprintf(&s, "%s %s %s amount %s outstanding %s open %v disputed %v due %s settled %s\n", inv.ID, inv.Customer(), inv.Currency,
			inv.Amount(), inv.Outstanding(), inv.Open(), inv.Disputed(), inv.CurrentDue(), inv.SettledOn())
		fmt.Fprintf(&s, "  apps %v\n  extensions %v disputes %v written off %v recoveries %v\n",
			inv.Apps, inv.Extensions(), inv.Disputes(), inv.WrittenOff(), inv.Recoveries())
		for _, d := range days {
			m, ok := inv.OutstandingMinorAsOf(d)
			fmt.Fprintf(&s, "  %s: outstanding %s (minor %d %v) recovered %s\n", d, inv.OutstandingAsOf(d), m, ok, inv.RecoveredAsOf(d))
		}
	}
	return s.String()
}

// Invoices keep amounts in minor units where they can and their rare history behind a
// pointer: the fold, the as-of reads and a snapshot round trip must give exact amounts
// either way, also for amounts with no int64 minor-unit form.
func TestInvoicesThroughSnapshot(t *testing.T) {
	cny, kwd := domain.MustCurrency("CNY"), domain.MustCurrency("KWD")
	d := domain.MustDate
	m := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	on := d("2026-01-10")
	b := domain.NewBooks()
	b.ApplyCommand("C1", "reg", "h", []domain.Event{domain.CustomerRegistered{On: on, Customer: "C1", Name: "C1", Grade: 2, TermsDays: 30}})
	issue := func(id, amount string, cur domain.Currency) {
		b.ApplyCommand("C1", "i"+id, "h", []domain.Event{domain.InvoiceIssued{On: on, Invoice: id, Amount: m(amount), Currency: cur, Due: d("2026-02-09")}})
	}
	issue("I-1", "100", cny)
	issue("I-2", "100000000000000000000.00", cny) // no int64 form in cents
	issue("I-3", "12.345", kwd)
	issue("I-4", "5.5", cny)
	b.ApplyCommand("C1", "p1", "h", []domain.Event{domain.PaymentRecorded{On: d("2026-01-20"), Payment: "P1", Amount: m("30.01"), Currency: cny,
		Allocations: []domain.Allocation{{Invoice: "I-1", Amount: m("30"), Explicit: true}, {Invoice: "I-2", Amount: m("0.01"), Explicit: true}}, Unapplied: decimal.Zero}})
	b.ApplyCommand("C1", "x1", "h", []domain.Event{domain.ExtensionGranted{On: d("2026-02-01"), Invoice: "I-1", Due: d("2026-03-09"), PreviousDue: d("2026-02-09")}})
	b.ApplyCommand("C1", "d1", "h", []domain.Event{domain.DisputeOpened{On: d("2026-02-02"), Invoice: "I-1", Reason: "r"}})
	b.ApplyCommand("C1", "d2", "h", []domain.Event{domain.DisputeResolved{On: d("2026-02-05"), Invoice: "I-1", Reason: "r"}})
	b.ApplyCommand("C1", "w1", "h", []domain.Event{domain.InvoiceWrittenOff{On: d("2026-02-20"), Invoice: "I-3", Amount: m("12.345"), Reason: domain.ReasonBankruptcy}})
	b.ApplyCommand("C1", "p2", "h", []domain.Event{domain.PaymentRecorded{On: d("2026-03-01"), Payment: "P2", Amount: m("2.000"), Currency: kwd,
		Recoveries: []domain.Recovery{{Invoice: "I-3", Amount: m("2.000")}}, Unapplied: decimal.Zero}})
	b.ApplyCommand("C1", "cn1", "h", []domain.Event{domain.CreditNoteIssued{On: d("2026-01-20"), CreditNote: "CN1", Invoice: "I-4", Amount: m("0.25"), Currency: cny}})

	invoice := func(id string) *domain.Invoice {
		inv, ok := b.Account("C1").Invoice(id)
		if !ok {
			t.Fatalf("no invoice %s", id)
		}
		return inv
	}
	for id, want := range map[string]string{"I-1": "70", "I-2": "99999999999999999999.99", "I-3": "0", "I-4": "5.25"} {
		if got := invoice(id).Outstanding(); !got.Equal(m(want)) {
			t.Errorf("%s outstanding %s, want %s", id, got, want)
		}
	}
	if inv := invoice("I-2"); inv.OutstandingAsOf(d("2026-01-19")).String() != "100000000000000000000" {
		t.Errorf("I-2 before its payment: %s", inv.OutstandingAsOf(d("2026-01-19")))
	}
	if inv := invoice("I-3"); inv.WrittenOff() == nil || !inv.RecoveredAsOf(d("2026-03-01")).Equal(m("2")) || inv.Customer() != "C1" {
		t.Errorf("I-3: written off %v, recovered %s, customer %q", inv.WrittenOff(), inv.RecoveredAsOf(d("2026-03-01")), inv.Customer())
	}
	if inv := invoice("I-1"); len(inv.Extensions()) != 1 || len(inv.Disputes()) != 2 || inv.CurrentDue() != d("2026-03-09") {
		t.Errorf("I-1: extensions %v, disputes %v", inv.Extensions(), inv.Disputes())
	}

	r := throughSnapshot(t, b)
	if want, got := describeInvoices(b), describeInvoices(r); got != want {
		t.Errorf("restored books differ:\n%s\nwant:\n%s", got, want)
	}
}

// Every account of the books, made by a command, after a drop or by a restore, has a
// slot of its own below Slots, and its invoices report it: the reports sum into
// arrays indexed by it.
func TestAccountSlotsAreDistinct(t *testing.T) {
	b := domain.NewBooks()
	dropFixture(b, "C1", "a", "I1", "I2")
	dropFixture(b, "C2", "a", "I3")
	b.Drop("C1")
	dropFixture(b, "C1", "b", "I1")
	dropFixture(b, "C3", "a", "I4")
	for name, books := range map[string]*domain.Books{"books": b, "restored": throughSnapshot(t, b)} {
		seen := map[int]string{}
		for _, a := range books.Accounts() {
			s := a.Slot()
			if s < 0 || s >= books.Slots() {
				t.Fatalf("%s: %s has slot %d, want below %d", name, a.ID(), s, books.Slots())
			}
			if other, ok := seen[s]; ok {
				t.Fatalf("%s: %s and %s share slot %d", name, a.ID(), other, s)
			}
			seen[s] = a.ID()
			for _, inv := range a.Invoices() {
				if inv.AccountSlot() != s {
					t.Fatalf("%s: invoice %s says slot %d, its account has %d", name, inv.ID, inv.AccountSlot(), s)
				}
			}
		}
		if len(seen) != 3 {
			t.Fatalf("%s: %d accounts, want 3", name, len(seen))
		}
	}
}

// TestAccountsFollowTheBooks: the kept list of accounts changes as accounts are
// registered, created unregistered, dropped and restored, and a list handed out
// earlier is not changed under its holder.
func TestAccountsFollowTheBooks(t *testing.T) {
	ids := func(as []*domain.Account) string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID())
		}
		return strings.Join(out, ",")
	}
	want := func(b *domain.Books, w string) {
		t.Helper()
		if got := ids(b.Accounts()); got != w {
			t.Fatalf("Accounts() = %q, want %q", got, w)
		}
	}
	b := domain.NewBooks()
	want(b, "")
	dropFixture(b, "M", "m-", "I1")
	want(b, "M")
	held := b.Accounts()
	dropFixture(b, "C", "c-", "I2")
	dropFixture(b, "X", "x-")
	want(b, "C,M,X")
	b.Account("unregistered") // an account with no registration is not listed
	want(b, "C,M,X")
	if got := ids(held); got != "M" {
		t.Fatalf("a list handed out earlier changed to %q", got)
	}
	b.Drop("M")
	want(b, "C,X")
	want(throughSnapshot(t, b), "C,X")
	dropFixture(b, "M", "m2-", "I3")
	want(b, "C,M,X")
}

// TestUnappliedAsOfBeforeAndAfterTheLastUse: a payment left unapplied and used in full
// by a later invoice is unapplied before that use and spent from it, in the books that
// recorded it and in books restored from their snapshot.
func TestUnappliedAsOfBeforeAndAfterTheLastUse(t *testing.T) {
	cny := domain.MustCurrency("CNY")
	paid, used := domain.MustDate("2026-01-10"), domain.MustDate("2026-03-01")
	b := domain.NewBooks()
	b.ApplyCommand("C", "reg", "h", []domain.Event{domain.CustomerRegistered{On: paid, Customer: "C", Name: "C", Grade: 1, TermsDays: 30}})
	b.ApplyCommand("C", "pay", "h", []domain.Event{domain.PaymentRecorded{On: paid, Payment: "P",
		Amount: decimal.New(100, 0), Currency: cny, Unapplied: decimal.New(100, 0)}})
	b.ApplyCommand("C", "inv", "h", []domain.Event{domain.InvoiceIssued{On: used, Invoice: "I", Amount: decimal.New(300, 0),
		Currency: cny, Due: used.AddDays(30), Applied: []domain.CreditApplication{{Source: "P", Amount: decimal.New(100, 0)}}}})
	for name, books := range map[string]*domain.Books{"recorded": b, "restored": throughSnapshot(t, b)} {
		lots := books.Accounts()[0].Lots()
		if len(lots) != 1 {
			t.Fatalf("%s: %d lots, want 1", name, len(lots))
		}
		for _, c := range []struct {
			on   domain.Date
			want string
		}{{paid.AddDays(-1), "0"}, {paid, "100"}, {used.AddDays(-1), "100"}, {used, "0"}, {used.AddDays(400), "0"}} {
			if got := lots[0].UnappliedAsOf(c.on); got.String() != c.want {
				t.Errorf("%s: unapplied as of %s = %s, want %s", name, c.on, got, c.want)
			}
		}
	}
}
