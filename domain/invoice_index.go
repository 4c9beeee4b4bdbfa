package domain

import (
	"slices"
	"strings"
	"sync"
)

// invoiceIndex keeps every invoice of the books sorted by invoice id, for reports that
// list invoices in id order (the bad-debt register). Sorting a million ids on every
// report would cost more than the report itself, so the order is kept up to date
// lazily: invoices recorded since the last call are sorted on their own and merged in.
// That includes the first call: new books note every invoice from the start, in the
// order it was recorded, which is nearly id order in most ledgers (invoice numbers
// are given as invoices are raised), and sorting a nearly sorted list is nearly
// linear. Sorting a million invoices gathered account by account took 2 s, which was
// the first report on fresh books; in recording order it takes 50 ms. Only restored
// books, whose invoices come account by account, are sorted whole.
//
// Folding happens under the owner's write lock, reports under its read lock, and
// several reports may run at once: the index has its own mutex, and a merge builds a
// new slice, so a slice handed out earlier is never changed under its reader.
type invoiceIndex struct {
	mu      sync.Mutex
	sorted  []*Invoice
	added   []*Invoice // recorded since sorted was built
	rebuild bool       // sorted must be built again from the accounts
}

func byInvoiceID(x, y *Invoice) int { return strings.Compare(x.ID, y.ID) }

// noteIssued is called by the fold for each invoice it records.
func (ix *invoiceIndex) noteIssued(inv *Invoice) {
	ix.mu.Lock()
	if !ix.rebuild {
		ix.added = append(ix.added, inv)
	}
	ix.mu.Unlock()
}

// drop removes the invoices of a customer whose account was dropped, in one pass and
// without a re-sort. sorted may be held by a reader, so it is filtered into a new
// slice; added is the index's own.
func (ix *invoiceIndex) drop(customer string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.rebuild {
		return
	}
	keep := func(inv *Invoice) bool { return inv.Customer() != customer }
	var sorted []*Invoice
	for i, inv := range ix.sorted {
		if !keep(inv) {
			if sorted == nil {
				sorted = make([]*Invoice, i, len(ix.sorted)-1)
				copy(sorted, ix.sorted[:i])
			}
			continue
		}
		if sorted != nil {
			sorted = append(sorted, inv)
		}
	}
	if sorted != nil {
		ix.sorted = sorted
	}
	added := ix.added[:0]
	for _, inv := range ix.added {
		if keep(inv) {
			added = append(added, inv)
		}
	}
	clear(ix.added[len(added):])
	ix.added = added
}

// SkipInvoiceIndex stops the books noting invoices as they are recorded, for books
// that never list them in id order (the ledger service's): that saves a pointer per
// invoice. InvoicesByID still works; its first call then sorts every invoice.
func (b *Books) SkipInvoiceIndex() {
	ix := &b.index
	ix.mu.Lock()
	ix.sorted, ix.added, ix.rebuild = nil, nil, true
	ix.mu.Unlock()
}

// InvoicesByID returns every invoice of the books in invoice id order. The slice is
// shared: callers must not change it.
func (b *Books) InvoicesByID() []*Invoice {
	ix := &b.index
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.rebuild {
		all := make([]*Invoice, 0, len(b.invoices))
		for _, a := range b.accounts {
			all = append(all, a.invoiceSeq...)
		}
		slices.SortFunc(all, byInvoiceID)
		ix.sorted, ix.added, ix.rebuild = all, nil, false
		return ix.sorted
	}
	if len(ix.added) == 0 {
		return ix.sorted
	}
	slices.SortFunc(ix.added, byInvoiceID)
	merged := make([]*Invoice, 0, len(ix.sorted)+len(ix.added))
	i, j := 0, 0
	for i < len(ix.sorted) && j < len(ix.added) {
		if ix.sorted[i].ID <= ix.added[j].ID {
			merged = append(merged, ix.sorted[i])
			i++
		} else {
			merged = append(merged, ix.added[j])
			j++
		}
	}
	merged = append(append(merged, ix.sorted[i:]...), ix.added[j:]...)
	ix.sorted, ix.added = merged, nil
	return ix.sorted
}
