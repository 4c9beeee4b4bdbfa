package projections

import "github.com/arkeep/arkeep/domain"

// scanSpec says what one scan over the invoices gathers.
type scanSpec struct {
	asOf  domain.Date
	basis Basis   // ageing
	bk    Buckets // ageing
	age   bool    // the ageing's sums
	bad   bool    // the bad-debt register's sums and counts
	rows  bool    // and its rows
}

// reportScan is what one part of the invoices gives the reports.
type reportScan struct {
	age *ageScan     // when spec.age
	bad *badDebtPart // when spec.bad
}

// scanInvoices reads the books' invoices in id order once, split over the CPUs in
// contiguous parts (inParts), for the ageing, the bad-debt register or both. Both at
// once is what the metrics ask for on every scrape, and the daily report files once a
// day: an invoice is read from memory once, and what it owes is worked out once, for
// both reports. With a million invoices, reading them was most of either report.
func scanInvoices(books *domain.Books, invoices []*domain.Invoice, q scanSpec) []reportScan {
	slots, n := books.Slots(), len(q.bk.names)
	return inParts(len(invoices), func(lo, hi int) reportScan {
		var r reportScan
		if q.age {
			r.age = newAgeScan(slots, n)
		}
		if q.bad {
			r.bad = newBadDebtPart()
		}
		for i := lo; i < hi; i++ {
			inv := invoices[i]
			if !inv.IssuedBy(q.asOf) {
				continue
			}
			if inv.WrittenOffBy(q.asOf) {
				if q.bad {
					r.bad.writtenOff(inv, q.asOf, q.rows)
				}
				continue // it owes nothing from its write-off on (Invoice.OutstandingAsOf)
			}
			out := owedAsOf(inv, q.asOf)
			if !out.positive() {
				continue
			}
			due := inv.DueAsOf(q.asOf)
			if q.age {
				from := due
				if q.basis == BasisIssue {
					from = inv.Issued
				}
				r.age.add(inv.AccountSlot(), inv.Currency, q.bk.index(int(q.asOf-from)), out)
			}
			// The six-month rule, as domain.Invoice.DoubtfulOn.
			if q.bad && q.asOf >= dueDateOf(due).doubtfulSince {
				r.bad.doubtful(i, hi, inv, due, out, q.rows)
			}
		}
		return r
	})
}

// AgeingAndBadDebt is Ageing and BadDebt as of the same day, from one scan of the
// invoices.
func AgeingAndBadDebt(books *domain.Books, asOf domain.Date, basis Basis, bk Buckets) (AgeingReport, BadDebtReport) {
	q := scanSpec{asOf: asOf, basis: basis, bk: bk, age: true, bad: true, rows: true}
	invoices := books.InvoicesByID()
	parts := scanInvoices(books, invoices, q)
	return ageingReport(books, parts, q), badDebtReport(invoices, parts, asOf)
}

// AgeingAndBadDebtSummaries is Ageing and BadDebtSummaries as of the same day, from
// one scan of the invoices: what the metrics read on every scrape.
func AgeingAndBadDebtSummaries(books *domain.Books, asOf domain.Date, basis Basis, bk Buckets) (AgeingReport, []BadDebtSummary) {
	q := scanSpec{asOf: asOf, basis: basis, bk: bk, age: true, bad: true}
	parts := scanInvoices(books, books.InvoicesByID(), q)
	return ageingReport(books, parts, q), badDebtSummaries(parts)
}
