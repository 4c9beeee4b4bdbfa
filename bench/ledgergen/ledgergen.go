// Package ledgergen generates valid Appendix A ledgers for load tests and benchmarks.
// It mirrors the engine's FIFO allocation so that every generated command is accepted.
package ledgergen

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"
)

type invoice struct {
	id     string
	issued int64 // cents
	left   int64 // cents outstanding, mirroring the engine's FIFO allocation
}

// book mirrors one customer's open invoices and credit in one currency, so that every
// generated command is valid: invoices are issued in due order, so FIFO is the queue.
type book struct {
	open   []*invoice
	credit int64
}

func (b *book) outstanding() int64 {
	var t int64
	for _, inv := range b.open {
		t += inv.left
	}
	return t
}

func (b *book) fifo(cents int64) {
	for _, inv := range b.open {
		take := min(inv.left, cents)
		inv.left -= take
		cents -= take
	}
	b.credit += cents
	b.compact()
}

func (b *book) compact() {
	k := 0
	for _, inv := range b.open {
		if inv.left > 0 {
			b.open[k] = inv
			k++
		}
	}
	b.open = b.open[:k]
}

// Customers is the default number of customers for a ledger of the given number of
// commands: one per hundred commands, at least 10.
func Customers(commands int) int { return max(10, commands/100) }

// Bytes is Generate's ledger in memory: commands valid commands for the given number
// of customers, as JSON Lines.
func Bytes(commands, customers int, seed uint64) []byte {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	Generate(w, commands, customers, seed)
	w.Flush()
	return buf.Bytes()
}

// Generate writes n valid commands for the given number of customers; the same seed
// writes the same ledger.
func Generate(w *bufio.Writer, n, customers int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	date := func() string { return day.Format(time.DateOnly) }
	written := 0
	emit := func(format string, args ...any) {
		fmt.Fprintf(w, format, args...)
		w.WriteByte('\n')
		written++
	}
	for c := 0; c < customers && written < n; c++ {
		emit(`{"cmd":"RegisterCustomer","id":"reg-%d","on":"%s","customer":"C%05d","name":"Dealer %d","grade":%d,"terms_days":30,"collector":"collector-%d"}`,
			c, date(), c, c, 1+r.IntN(5), c%20)
	}
	currencies := []string{"CNY", "CNY", "CNY", "USD", "EUR"}
	books := map[string]*book{}
	get := func(cust, cur string) *book {
		b := books[cust+cur]
		if b == nil {
			b = &book{}
			books[cust+cur] = b
		}
		return b
	}
	money := func(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }
	seq := 0
	for written < n {
		if r.IntN(200) == 0 && day.Before(time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC)) {
			day = day.AddDate(0, 0, 1)
		}
		seq++
		cust := fmt.Sprintf("C%05d", r.IntN(customers))
		cur := currencies[r.IntN(len(currencies))]
		b := get(cust, cur)
		switch k := r.IntN(10); {
		case k < 5: // invoice; unapplied credit is applied to it at issue
			cents := int64(1000 + r.IntN(5_000_000))
			inv := &invoice{id: fmt.Sprintf("INV-%08d", seq), issued: cents, left: cents}
			take := min(b.credit, cents)
			inv.left -= take
			b.credit -= take
			b.open = append(b.open, inv)
			b.compact()
			emit(`{"cmd":"IssueInvoice","id":"i-%d","on":"%s","invoice":"%s","customer":"%s","amount":"%s","currency":"%s"}`,
				seq, date(), inv.id, cust, money(cents), cur)
		case k < 9 && b.outstanding() > 200: // payment; a third name the newest invoice explicitly
			pay := 1 + r.Int64N(b.outstanding())
			newest := b.open[len(b.open)-1]
			if r.IntN(3) == 0 && newest.left >= 100 && pay > 100 {
				newest.left -= 100
				b.fifo(pay - 100)
				emit(`{"cmd":"RecordPayment","id":"p-%d","on":"%s","payment":"PAY-%08d","customer":"%s","amount":"%s","currency":"%s","allocations":[{"invoice":"%s","amount":"1.00"}]}`,
					seq, date(), seq, cust, money(pay), cur, newest.id)
			} else {
				b.fifo(pay)
				emit(`{"cmd":"RecordPayment","id":"p-%d","on":"%s","payment":"PAY-%08d","customer":"%s","amount":"%s","currency":"%s"}`,
					seq, date(), seq, cust, money(pay), cur)
			}
		default: // unlinked credit note
			cents := int64(100 * (1 + r.IntN(500)))
			b.fifo(cents)
			emit(`{"cmd":"IssueCreditNote","id":"cn-%d","on":"%s","credit_note":"CN-%08d","customer":"%s","amount":"%s","currency":"%s"}`,
				seq, date(), seq, cust, money(cents), cur)
		}
	}
}
