package projections

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// The ageing and bad-debt reports sum in int64 minor units, split the work over the
// CPUs and read invoices from the books' id index. These tests hold them to the plain
// definition: the same reports computed invoice by invoice with decimals, written
// below straight from SPEC's rules (the way the reports were first written).

// randomBooks decides random commands for a few customers in three currencies with 0,
// 2 and 3 minor digits: invoices (some with amounts far beyond int64 cents), FIFO and
// explicit payments, linked and unlinked credit notes, extensions, write-offs and
// recoveries, dated over two years. Refused commands are skipped.
func randomBooks(t *testing.T, seed uint64, commands int) (*domain.Books, []domain.Date) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	b := domain.NewBooks()
	currencies := []domain.Currency{domain.MustCurrency("CNY"), domain.MustCurrency("JPY"), domain.MustCurrency("KWD")}
	start := domain.MustDate("2025-01-01")
	var customers, invoices []string
	n := 0
	run := func(cust string, cmd domain.Command) {
		events, err := b.Account(cust).Decide(cmd, b)
		if err == nil {
			b.ApplyCommand(cust, domain.CommandMeta(cmd).ID, "h", events)
		}
	}
	amount := func(c domain.Currency) decimal.Decimal {
		units := decimal.New(int64(1+r.IntN(500000)), -c.Digits())
		if r.IntN(200) == 0 {
			units = units.Mul(decimal.New(1, 18)) // no int64 minor-unit form
		}
		return units
	}
	var dates []domain.Date
	for i := 0; i < commands; i++ {
		n++
		on := start.AddDays(i * 700 / commands)
		meta := domain.Meta{ID: fmt.Sprintf("c%d", n), On: on}
		if len(customers) == 0 || r.IntN(40) == 0 {
			id := fmt.Sprintf("C%03d", len(customers))
			customers = append(customers, id)
			run(id, &domain.RegisterCustomer{Meta: meta, Customer: id, Name: id, Grade: 1 + r.IntN(5), TermsDays: 30, Collector: "col"})
			continue
		}
		cust := customers[r.IntN(len(customers))]
		cur := currencies[r.IntN(len(currencies))]
		var inv string
		if len(invoices) > 0 {
			inv = invoices[r.IntN(len(invoices))]
		}
		owner, _ := b.InvoiceOwner(inv)
		switch k := r.IntN(20); {
		case k < 9:
			id := fmt.Sprintf("INV-%05d", r.IntN(100000)) // random, so ids are not in recording order
			if _, taken := b.InvoiceOwner(id); taken {
				continue // ids are unique across the books (the ledger service checks it)
			}
			run(cust, &domain.IssueInvoice{Meta: meta, Invoice: id, Customer: cust, Amount: amount(cur), Currency: cur, Due: domain.NoDate})
			if _, ok := b.InvoiceOwner(id); ok {
				invoices = append(invoices, id)
			}
		case k < 13:
			run(cust, &domain.RecordPayment{Meta: meta, Payment: fmt.Sprintf("P%d", n), Customer: cust, Amount: amount(cur), Currency: cur})
		case k < 15 && inv != "":
			c, _ := b.Account(owner).Invoice(inv)
			run(owner, &domain.RecordPayment{Meta: meta, Payment: fmt.Sprintf("P%d", n), Customer: owner, Amount: amount(c.Currency), Currency: c.Currency,
				Allocations: []domain.AllocationRequest{{Invoice: inv, Amount: decimal.New(int64(1+r.IntN(100000)), -c.Currency.Digits())}}})
		case k < 16 && inv != "":
			c, _ := b.Account(owner).Invoice(inv)
			run(owner, &domain.IssueCreditNote{Meta: meta, CreditNote: fmt.Sprintf("CN%d", n), Customer: owner,
				Amount: decimal.New(int64(1+r.IntN(100000)), -c.Currency.Digits()), Currency: c.Currency, Invoice: inv})
		case k < 17:
			run(cust, &domain.IssueCreditNote{Meta: meta, CreditNote: fmt.Sprintf("CN%d", n), Customer: cust, Amount: amount(cur), Currency: cur})
		case k < 18 && inv != "":
			run(owner, &domain.GrantExtension{Meta: meta, Invoice: inv, Due: on.AddDays(10 + r.IntN(200))})
		case k < 19 && inv != "":
			run(owner, &domain.WriteOff{Meta: meta, Invoice: inv, Reason: domain.ReasonUncollectable, Force: true})
		}
		if i%40 == 0 {
			dates = append(dates, on, on.AddDays(-1), on.AddDays(183))
		}
	}
	return b, append(dates, start.AddDays(-1), start.AddDays(800))
}

func TestReportsEqualTheirDefinition(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		books, dates := randomBooks(t, seed, 2000)
		if len(books.InvoicesByID()) < 500 {
			t.Fatalf("seed %d: only %d invoices recorded; the generator is not exercising the reports", seed, len(books.InvoicesByID()))
		}
		bk, _ := NewBuckets([]int{15, 45, 400})
		for _, d := range dates {
			for _, basis := range []Basis{BasisDue, BasisIssue} {
				wantAgeing := referenceAgeing(books, d, basis, bk)
				assertSameJSON(t, fmt.Sprintf("seed %d ageing %s %s", seed, d, basis), Ageing(books, d, basis, bk), wantAgeing)
				// Both from one scan: the same two reports.
				ageing, badDebt := AgeingAndBadDebt(books, d, basis, bk)
				assertSameJSON(t, fmt.Sprintf("seed %d both: ageing %s %s", seed, d, basis), ageing, wantAgeing)
				assertSameJSON(t, fmt.Sprintf("seed %d both: baddebt %s %s", seed, d, basis), badDebt, referenceBadDebt(books, d))
			}
			assertSameJSON(t, fmt.Sprintf("seed %d baddebt %s", seed, d), BadDebt(books, d), referenceBadDebt(books, d))
		}
	}
}

// TestReportsSplitOverCPUs makes the books large enough for the reports to run in
// parts and checks the parts join into the one-pass result.
func TestReportsSplitOverCPUs(t *testing.T) {
	books, _ := randomBooks(t, 9, 20000)
	if n := len(books.InvoicesByID()); n < 8192 {
		t.Fatalf("%d invoices: too few to split", n)
	}
	d := domain.MustDate("2026-10-01")
	assertSameJSON(t, "ageing", Ageing(books, d, BasisDue, DefaultBuckets()), referenceAgeing(books, d, BasisDue, DefaultBuckets()))
	assertSameJSON(t, "baddebt", BadDebt(books, d), referenceBadDebt(books, d))
	ageing, badDebt := AgeingAndBadDebt(books, d, BasisDue, DefaultBuckets())
	assertSameJSON(t, "both: ageing", ageing, referenceAgeing(books, d, BasisDue, DefaultBuckets()))
	assertSameJSON(t, "both: baddebt", badDebt, referenceBadDebt(books, d))
}

// TestBadDebtSummariesAreTheRegisters: the metrics' summaries (no rows, from the scan
// the ageing shares) give each currency's totals and row counts as the full register
// does, on books small enough for one part and large enough to be split over the CPUs.
func TestBadDebtSummariesAreTheRegisters(t *testing.T) {
	for _, tc := range []struct {
		seed          uint64
		commands, nth int // every nth date is checked
	}{{1, 2000, 1}, {9, 20000, 10}} {
		books, dates := randomBooks(t, tc.seed, tc.commands)
		for i, d := range dates {
			if i%tc.nth != 0 {
				continue
			}
			var want []BadDebtSummary
			for _, c := range BadDebt(books, d).Currencies {
				want = append(want, BadDebtSummary{Currency: c.Currency, Doubtful: c.Doubtful.Len(), WrittenOff: len(c.WrittenOff), Totals: c.Totals})
			}
			ageing, summaries := AgeingAndBadDebtSummaries(books, d, BasisDue, DefaultBuckets())
			assertSameJSON(t, fmt.Sprintf("seed %d both: summaries %s", tc.seed, d), summaries, append([]BadDebtSummary{}, want...))
			assertSameJSON(t, fmt.Sprintf("seed %d both: ageing %s", tc.seed, d), ageing, Ageing(books, d, BasisDue, DefaultBuckets()))
		}
	}
}

// TestAgeingSumsPastInt64 gives one customer enough of the largest amounts that still
// have an int64 minor-unit form for one bucket's sum to pass int64 cents within a part
// of the scan: the sum goes on exactly.
func TestAgeingSumsPastInt64(t *testing.T) {
	b := domain.NewBooks()
	cny := domain.MustCurrency("CNY")
	on := domain.MustDate("2026-01-05")
	b.ApplyCommand("C1", "reg", "h", []domain.Event{domain.CustomerRegistered{On: on, Customer: "C1", Name: "C1", Grade: 1, TermsDays: 30, Collector: "col"}})
	most := decimal.RequireFromString("9999999999999.99") // 15 digits: the largest with a minor-unit form
	if _, ok := domain.MinorUnits(most, cny); !ok {
		t.Fatal("the amount has no minor-unit form: the test would not reach the int64 sums")
	}
	for i := range 20000 { // 10,000 a part at most: over 9.2e18 cents in either part
		b.ApplyCommand("C1", fmt.Sprint("i", i), "h", []domain.Event{domain.InvoiceIssued{On: on, Invoice: fmt.Sprintf("INV%05d", i),
			Amount: most, Currency: cny, Due: on.AddDays(30)}})
	}
	d := domain.MustDate("2026-03-01")
	got := Ageing(b, d, BasisDue, DefaultBuckets())
	assertSameJSON(t, "ageing", got, referenceAgeing(b, d, BasisDue, DefaultBuckets()))
	if total := got.Currencies[0].Totals.Total; total != "199999999999999800.00" {
		t.Fatalf("total %s", total)
	}
}

func assertSameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) == string(w) {
		return
	}
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	from := max(0, i-300)
	t.Fatalf("%s differs from its definition at byte %d:\n got …%s\nwant …%s", what, i, g[from:min(len(g), i+200)], w[from:min(len(w), i+200)])
}

func TestFormatMinorIsFormatMoney(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	values := []int64{0, 1, -1, 9, 10, 99, 100, -100, 12345, -5, 1 << 62, -(1 << 62), 9223372036854775807, -9223372036854775808}
	for i := 0; i < 2000; i++ {
		values = append(values, r.Int64N(1_000_000_000)-500_000_000)
	}
	for _, c := range []string{"JPY", "CNY", "KWD", "CLF"} {
		cur := domain.MustCurrency(c)
		for _, v := range values {
			want := domain.FormatMoney(decimal.New(v, -cur.Digits()), cur)
			if got := formatMinor(v, cur.Digits()); got != want {
				t.Fatalf("formatMinor(%d, %s) = %q, want %q", v, c, got, want)
			}
		}
	}
}

func TestMoneyKeepsWhatDoesNotFitInt64(t *testing.T) {
	cny := domain.MustCurrency("CNY")
	var m money
	big := decimal.RequireFromString("92233720368547758.07") // int64 max in cents
	want := decimal.Zero
	for _, s := range []string{"1.10", "3", "0.5", "123456789012345678901234.99"} {
		d := decimal.RequireFromString(s)
		m.add(d, cny)
		want = want.Add(d)
	}
	for i := 0; i < 3; i++ { // overflows the int64 part
		m.add(big, cny)
		want = want.Add(big)
	}
	if got := m.format(cny); got != domain.FormatMoney(want, cny) {
		t.Fatalf("sum %s, want %s", got, domain.FormatMoney(want, cny))
	}
	var n money
	n.add(decimal.RequireFromString("0.001"), cny) // finer than the currency: kept exactly
	n.add(decimal.RequireFromString("-0.001"), cny)
	if !n.isZero(cny) || n.format(cny) != "0.00" {
		t.Fatalf("0.001 - 0.001 = %s", n.format(cny))
	}
}

func TestInvoicesByIDFollowsTheBooks(t *testing.T) {
	// New books note each invoice as it is recorded; books told to skip that (the
	// ledger service's) sort them all on the first call.
	for _, skip := range []bool{false, true} {
		books, _ := randomBooks(t, 5, 2000)
		if skip {
			books.SkipInvoiceIndex()
		}
		check := func(when string) {
			t.Helper()
			var want []string
			for _, a := range books.Accounts() {
				for _, inv := range a.Invoices() {
					want = append(want, inv.ID)
				}
			}
			sort.Strings(want)
			var got []string
			for _, inv := range books.InvoicesByID() {
				got = append(got, inv.ID)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("skip %v, %s: index has %d invoices, books %d, or the order differs", skip, when, len(got), len(want))
			}
		}
		check("built")
		cny := domain.MustCurrency("CNY")
		for i := 0; i < 50; i++ { // merged in after the first build
			id := fmt.Sprintf("INV-%05d-new", (i*7919)%100000)
			books.ApplyCommand("C000", "late"+id, "h", []domain.Event{domain.InvoiceIssued{On: domain.MustDate("2027-01-01"), Invoice: id,
				Amount: decimal.New(100, 0), Currency: cny, Due: domain.MustDate("2027-02-01")}})
		}
		check("after new invoices")
		books.Drop("C001")
		check("after a dropped account")
	}
}

// referenceAgeing is the ageing report computed from its definition, invoice by
// invoice with decimals.
func referenceAgeing(books *domain.Books, asOf domain.Date, basis Basis, bk Buckets) AgeingReport {
	type sums struct {
		cur       domain.Currency
		buckets   []decimal.Decimal
		unapplied decimal.Decimal
	}
	newSums := func(c domain.Currency) *sums {
		s := &sums{cur: c, buckets: make([]decimal.Decimal, len(bk.names)), unapplied: decimal.Zero}
		for i := range s.buckets {
			s.buckets[i] = decimal.Zero
		}
		return s
	}
	total := func(s *sums) decimal.Decimal {
		t := decimal.Zero
		for _, b := range s.buckets {
			t = t.Add(b)
		}
		return t
	}
	format := func(vals []decimal.Decimal, c domain.Currency) AmountMap {
		m := AmountMap{Keys: bk.names}
		for _, v := range vals {
			m.Values = append(m.Values, domain.FormatMoney(v, c))
		}
		return m
	}
	perCur := map[string][]AgeingRow{}
	totals := map[string]*sums{}
	for _, a := range books.Accounts() {
		acct := map[string]*sums{}
		get := func(c domain.Currency) *sums {
			if acct[c.Code()] == nil {
				acct[c.Code()] = newSums(c)
			}
			return acct[c.Code()]
		}
		for _, inv := range a.Invoices() {
			out := inv.OutstandingAsOf(asOf)
			if !inv.IssuedBy(asOf) || !out.IsPositive() {
				continue
			}
			from := inv.DueAsOf(asOf)
			if basis == BasisIssue {
				from = inv.Issued
			}
			s := get(inv.Currency)
			i := bk.index(int(asOf - from))
			s.buckets[i] = s.buckets[i].Add(out)
		}
		for _, l := range a.Lots() {
			if l.On > asOf {
				continue
			}
			u := l.Amount // less every use effective by asOf
			for _, use := range l.Uses {
				if use.On <= asOf {
					u = u.Sub(use.Amount)
				}
			}
			if !u.IsZero() {
				s := get(l.Currency)
				s.unapplied = s.unapplied.Add(u)
			}
		}
		for code, s := range acct {
			if total(s).IsZero() && s.unapplied.IsZero() {
				continue
			}
			if totals[code] == nil {
				totals[code] = newSums(s.cur)
			}
			t := totals[code]
			for i := range s.buckets {
				t.buckets[i] = t.buckets[i].Add(s.buckets[i])
			}
			t.unapplied = t.unapplied.Add(s.unapplied)
			perCur[code] = append(perCur[code], AgeingRow{Customer: a.ID(), Buckets: format(s.buckets, s.cur),
				Total: domain.FormatMoney(total(s), s.cur), UnappliedCredit: domain.FormatMoney(s.unapplied.Neg(), s.cur)})
		}
	}
	rep := AgeingReport{AsOf: asOf.String(), Basis: string(basis), Buckets: bk.names, Currencies: []AgeingCurrency{}}
	for _, code := range slices.Sorted(maps.Keys(perCur)) {
		t := totals[code]
		rep.Currencies = append(rep.Currencies, AgeingCurrency{Currency: code, Customers: perCur[code],
			Totals: AgeingTotals{Buckets: format(t.buckets, t.cur), Total: domain.FormatMoney(total(t), t.cur),
				UnappliedCredit: domain.FormatMoney(t.unapplied.Neg(), t.cur)}})
	}
	return rep
}

// The reference register's own types, with every text a string of its own: the
// register's rows refer to their invoices instead (DoubtfulRow), and the reference
// must not share that.
type (
	refBadDebtReport struct {
		AsOf       string               `json:"as_of"`
		Currencies []refBadDebtCurrency `json:"currencies"`
	}
	refBadDebtCurrency struct {
		Currency   string           `json:"currency"`
		Doubtful   []refDoubtfulRow `json:"doubtful"`
		WrittenOff []WrittenOffRow  `json:"written_off"`
		Totals     BadDebtTotals    `json:"totals"`
	}
	refDoubtfulRow struct {
		Invoice       string `json:"invoice"`
		Customer      string `json:"customer"`
		Due           string `json:"due"`
		DoubtfulSince string `json:"doubtful_since"`
		Outstanding   string `json:"outstanding"`
	}
)

// referenceBadDebt is the bad-debt register computed from its definition.
func referenceBadDebt(books *domain.Books, asOf domain.Date) refBadDebtReport {
	type sums struct {
		cur                          domain.Currency
		doubtful, written, recovered decimal.Decimal
		doubtfulRows                 []refDoubtfulRow
		writtenRows                  []WrittenOffRow
	}
	per := map[string]*sums{}
	get := func(c domain.Currency) *sums {
		if per[c.Code()] == nil {
			per[c.Code()] = &sums{cur: c, doubtful: decimal.Zero, written: decimal.Zero, recovered: decimal.Zero,
				doubtfulRows: []refDoubtfulRow{}, writtenRows: []WrittenOffRow{}}
		}
		return per[c.Code()]
	}
	for _, a := range books.Accounts() {
		for _, inv := range a.Invoices() {
			if !inv.IssuedBy(asOf) {
				continue
			}
			if inv.WrittenOffBy(asOf) {
				s := get(inv.Currency)
				rec := inv.RecoveredAsOf(asOf)
				s.written = s.written.Add(inv.WrittenOff().Amount)
				s.recovered = s.recovered.Add(rec)
				s.writtenRows = append(s.writtenRows, WrittenOffRow{Invoice: inv.ID, Customer: a.ID(), On: inv.WrittenOff().On.String(),
					Amount: domain.FormatMoney(inv.WrittenOff().Amount, inv.Currency), Reason: inv.WrittenOff().Reason.String(),
					Recovered: domain.FormatMoney(rec, inv.Currency)})
				continue
			}
			if inv.DoubtfulOn(asOf) {
				s := get(inv.Currency)
				out := inv.OutstandingAsOf(asOf)
				s.doubtful = s.doubtful.Add(out)
				s.doubtfulRows = append(s.doubtfulRows, refDoubtfulRow{Invoice: inv.ID, Customer: a.ID(),
					Due: inv.DueAsOf(asOf).String(), DoubtfulSince: inv.DoubtfulSince(asOf).String(),
					Outstanding: domain.FormatMoney(out, inv.Currency)})
			}
		}
	}
	rep := refBadDebtReport{AsOf: asOf.String(), Currencies: []refBadDebtCurrency{}}
	for _, code := range slices.Sorted(maps.Keys(per)) {
		s := per[code]
		sort.Slice(s.doubtfulRows, func(i, j int) bool { return s.doubtfulRows[i].Invoice < s.doubtfulRows[j].Invoice })
		sort.Slice(s.writtenRows, func(i, j int) bool { return s.writtenRows[i].Invoice < s.writtenRows[j].Invoice })
		rep.Currencies = append(rep.Currencies, refBadDebtCurrency{Currency: code, Doubtful: s.doubtfulRows,
			WrittenOff: s.writtenRows, Totals: BadDebtTotals{Doubtful: domain.FormatMoney(s.doubtful, s.cur),
				WrittenOff: domain.FormatMoney(s.written, s.cur), Recovered: domain.FormatMoney(s.recovered, s.cur)}})
	}
	return rep
}
