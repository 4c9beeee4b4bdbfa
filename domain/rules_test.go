package domain_test

// Given/when/then tests of the domain rules (SPEC sections 1-5, 7, 8). Expected
// values are written from the SPEC text, not from what the code does.
//
// Every helper here is prefixed "gw" so that it cannot collide with the helpers of
// other test files of this package.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

// gwWorld is a set of books that steps are decided against and applied to, the way
// the ledger service does it: decide against the books as recorded, then apply.
type gwWorld struct {
	t     *testing.T
	books *domain.Books
	n     int
}

// gwFact is a recorded command of one customer, given as its events.
type gwFact struct {
	cust   string
	events []domain.Event
}

// gwEvents names already-decided events of a customer ("" = ledger scope).
func gwEvents(cust string, events ...domain.Event) gwFact { return gwFact{cust, events} }

// gwGiven builds books from recorded events.
func gwGiven(t *testing.T, facts ...gwFact) *gwWorld {
	t.Helper()
	w := &gwWorld{t: t, books: domain.NewBooks()}
	for _, f := range facts {
		w.record(f.cust, "", f.events)
	}
	return w
}

// gwCustomers registers customers (grade 1, 30 days terms) on 2025-12-01.
func gwCustomers(t *testing.T, ids ...string) *gwWorld {
	t.Helper()
	var facts []gwFact
	for _, id := range ids {
		facts = append(facts, gwEvents(id, gwRegistered(id, "2025-12-01", 1, 30)))
	}
	return gwGiven(t, facts...)
}

func gwRegistered(id, on string, grade, terms int) domain.CustomerRegistered {
	return domain.CustomerRegistered{On: gwD(on), Customer: id, Name: "Name of " + id,
		Grade: grade, TermsDays: terms, Collector: "collector-1"}
}

func (w *gwWorld) record(cust, id string, events []domain.Event) {
	w.n++
	if id == "" {
		id = fmt.Sprintf("gw-cmd-%d", w.n)
	}
	w.books.ApplyCommand(cust, id, fmt.Sprintf("gw-hash-%d", w.n), events)
}

// gwResult is the outcome of a "when" step.
type gwResult struct {
	t      *testing.T
	events []domain.Event
	err    error
}

// when decides a command for a customer against the books as recorded and, if it is
// accepted, applies its events so that later steps see them.
func (w *gwWorld) when(cust string, cmd domain.Command) gwResult {
	w.t.Helper()
	events, err := w.books.Account(cust).Decide(cmd, w.books)
	if err == nil {
		w.record(cust, domain.CommandMeta(cmd).ID, events)
	}
	return gwResult{t: w.t, events: events, err: err}
}

// given decides and applies commands that must be accepted (setup steps).
func (w *gwWorld) given(cust string, cmds ...domain.Command) *gwWorld {
	w.t.Helper()
	for _, c := range cmds {
		if r := w.when(cust, c); r.err != nil {
			w.t.Fatalf("given %T for %s: refused: %v", c, cust, r.err)
		}
	}
	return w
}

// ok asserts that the command was accepted and returns its events.
func (r gwResult) ok() []domain.Event {
	r.t.Helper()
	if r.err != nil {
		r.t.Fatalf("refused, want accepted: %v", r.err)
	}
	return r.events
}

// refused asserts that the command was refused with a FieldError naming field ("" =
// any field) and returns it.
func (r gwResult) refused(field string) *domain.FieldError {
	r.t.Helper()
	if r.err == nil {
		r.t.Fatalf("accepted with events %+v, want refused (field %q)", r.events, field)
		return nil
	}
	fe, ok := domain.Refusal(r.err)
	if !ok {
		r.t.Fatalf("refused with %v, want a FieldError", r.err)
		return nil
	}
	if field != "" && fe.Field != field {
		r.t.Errorf("refused on field %q (%v), want field %q", fe.Field, r.err, field)
	}
	return fe
}

// gwClose is what closing a quarter recorded.
type gwClose struct {
	err      error
	ledger   []domain.Event
	accounts map[string][]domain.Event // per violator/customer: rebates and forfeits
	bounties map[string][]domain.Event // per reporter customer
}

// closeQuarter runs CloseQuarter the way the ledger service does: the ledger scope
// decides the close, then every account with funds in the quarter settles them, then
// every forfeit to a customer reporter is credited to that reporter.
func (w *gwWorld) closeQuarter(quarter, on string) gwClose {
	w.t.Helper()
	q := gwQ(quarter)
	c := &domain.CloseQuarter{Meta: domain.Meta{ID: "close-" + quarter, On: gwD(on)}, Quarter: q}
	out := gwClose{accounts: map[string][]domain.Event{}, bounties: map[string][]domain.Event{}}
	events, err := w.books.Ledger().DecideClose(c)
	if err != nil {
		out.err = err
		return out
	}
	out.ledger = events
	w.record("", c.ID, events)
	closeOn := w.books.Ledger().ClosedQuarters()[q]
	type bounty struct {
		violator string
		f        domain.FundForfeited
	}
	var bounties []bounty
	for _, a := range w.books.Accounts() {
		if !a.HasFundsIn(q) {
			continue
		}
		evs := a.DecideClose(q, closeOn)
		out.accounts[a.ID()] = evs
		w.record(a.ID(), "arkeep:close:"+quarter, evs)
		for _, e := range evs {
			if f, ok := e.(domain.FundForfeited); ok && f.Reporter != "" {
				bounties = append(bounties, bounty{a.ID(), f})
			}
		}
	}
	for _, b := range bounties {
		evs := w.books.Account(b.f.Reporter).DecideBounty(b.f, b.violator)
		out.bounties[b.f.Reporter] = append(out.bounties[b.f.Reporter], evs...)
		w.record(b.f.Reporter, "arkeep:"+domain.BountyID(q, b.violator, b.f.Currency), evs)
	}
	return out
}

func (w *gwWorld) account(cust string) *domain.Account {
	w.t.Helper()
	a, ok := w.books.Existing(cust)
	if !ok {
		w.t.Fatalf("customer %s is not registered", cust)
	}
	return a
}

func (w *gwWorld) invoice(id string) *domain.Invoice {
	w.t.Helper()
	cust, ok := w.books.InvoiceOwner(id)
	if !ok {
		w.t.Fatalf("invoice %s does not exist", id)
	}
	inv, _ := w.books.Account(cust).Invoice(id)
	return inv
}

func (w *gwWorld) lot(cust, id string) *domain.CreditLot {
	w.t.Helper()
	for _, l := range w.account(cust).Lots() {
		if l.ID == id {
			return l
		}
	}
	w.t.Fatalf("customer %s has no credit lot %s", cust, id)
	return nil
}

// then: outstanding of invoices as of a date ("INV-1=70.00").
func (w *gwWorld) thenOutstanding(asOf string, want ...string) {
	w.t.Helper()
	for _, kv := range want {
		id, amount, _ := strings.Cut(kv, "=")
		gwEq(w.t, fmt.Sprintf("outstanding of %s as of %s", id, asOf), w.invoice(id).OutstandingAsOf(gwD(asOf)), amount)
	}
}

// then: a lot's unapplied credit as of a date.
func (w *gwWorld) thenUnapplied(cust, lot, asOf, want string) {
	w.t.Helper()
	gwEq(w.t, fmt.Sprintf("unapplied credit of %s/%s as of %s", cust, lot, asOf), w.lot(cust, lot).UnappliedAsOf(gwD(asOf)), want)
}

// ---------------------------------------------------------------------------
// Small helpers: values and commands
// ---------------------------------------------------------------------------

func gwD(s string) domain.Date { return domain.MustDate(s) }

func gwM(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func gwQ(s string) domain.Quarter {
	q, err := domain.ParseQuarter(s)
	if err != nil {
		panic(err)
	}
	return q
}

func gwCur(code string) domain.Currency { return domain.MustCurrency(code) }

func gwEq(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(gwM(want)) {
		t.Errorf("%s = %s, want %s", what, got.String(), want)
	}
}

// gwNorm normalises "INV-1=100.00" lines so that amounts compare as numbers.
func gwNorm(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		if ok {
			if d, err := decimal.NewFromString(v); err == nil {
				v = d.String()
			}
		}
		out[i] = k + "=" + v
	}
	return out
}

func gwSame(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := gwNorm(got), gwNorm(want)
	if strings.Join(g, ", ") != strings.Join(w, ", ") {
		t.Errorf("%s:\n got  [%s]\n want [%s]", what, strings.Join(g, ", "), strings.Join(w, ", "))
	}
}

func gwAllocLines(allocs []domain.Allocation) []string {
	var out []string
	for _, a := range allocs {
		out = append(out, a.Invoice+"="+a.Amount.String())
	}
	return out
}

// gwOnly returns the single event of type T among events.
func gwOnly[T domain.Event](t *testing.T, events []domain.Event) T {
	t.Helper()
	var found []T
	for _, e := range events {
		if x, ok := e.(T); ok {
			found = append(found, x)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("want exactly one %T among %+v, got %d", zero, events, len(found))
		return zero
	}
	return found[0]
}

var gwSeq int

func gwMeta(on string) domain.Meta {
	gwSeq++
	return domain.Meta{ID: fmt.Sprintf("gw-%d", gwSeq), On: gwD(on)}
}

func gwRegister(cust, on string, grade, terms int) *domain.RegisterCustomer {
	return &domain.RegisterCustomer{Meta: gwMeta(on), Customer: cust, Name: "Name of " + cust,
		Grade: grade, TermsDays: terms, Collector: "collector-1"}
}

// gwInvoice issues an invoice with the default due date (issue + terms).
func gwInvoice(id, cust, on, amount, cur string) *domain.IssueInvoice {
	return &domain.IssueInvoice{Meta: gwMeta(on), Invoice: id, Customer: cust,
		Amount: gwM(amount), Currency: gwCur(cur), Due: domain.NoDate}
}

// gwInvoiceDue issues an invoice with an explicit due date.
func gwInvoiceDue(id, cust, on, due, amount, cur string) *domain.IssueInvoice {
	c := gwInvoice(id, cust, on, amount, cur)
	c.Due = gwD(due)
	return c
}

// gwPay records a payment; lines are explicit allocations "INV-1=50.00".
func gwPay(id, cust, on, amount, cur string, lines ...string) *domain.RecordPayment {
	c := &domain.RecordPayment{Meta: gwMeta(on), Payment: id, Customer: cust, Amount: gwM(amount), Currency: gwCur(cur)}
	for _, l := range lines {
		inv, amt, _ := strings.Cut(l, "=")
		c.Allocations = append(c.Allocations, domain.AllocationRequest{Invoice: inv, Amount: gwM(amt)})
	}
	return c
}

// gwCredit issues a credit note, linked when invoice is not "".
func gwCredit(id, cust, on, amount, cur, invoice string) *domain.IssueCreditNote {
	return &domain.IssueCreditNote{Meta: gwMeta(on), CreditNote: id, Customer: cust,
		Amount: gwM(amount), Currency: gwCur(cur), Invoice: invoice}
}

func gwExtend(invoice, on, due string) *domain.GrantExtension {
	return &domain.GrantExtension{Meta: gwMeta(on), Invoice: invoice, Due: gwD(due)}
}

func gwDispute(invoice, on string) *domain.OpenDispute {
	return &domain.OpenDispute{Meta: gwMeta(on), Invoice: invoice, Reason: "quality"}
}

func gwResolve(invoice, on string) *domain.ResolveDispute {
	return &domain.ResolveDispute{Meta: gwMeta(on), Invoice: invoice}
}

func gwWriteOff(invoice, on string, force bool) *domain.WriteOff {
	return &domain.WriteOff{Meta: gwMeta(on), Invoice: invoice, Reason: domain.ReasonUncollectable, Force: force}
}

func gwRatings(s string) []domain.Rating {
	var out []domain.Rating
	for _, c := range s {
		out = append(out, domain.Rating(c))
	}
	return out
}

func gwKey(s string) domain.KeyIndicators {
	r := gwRatings(s)
	return domain.KeyIndicators{AnnualSales: r[0], MonthlySales: r[1], PaymentMethod: r[2], PaymentRecord: r[3]}
}

// gwAssess assesses credit: key "AABA" (annual sales, monthly sales, payment method,
// payment record), other "ABC...".
func gwAssess(cust, on, key, other string) *domain.AssessCredit {
	return &domain.AssessCredit{Meta: gwMeta(on), Customer: cust, Key: gwKey(key), Other: gwRatings(other)}
}

// ---------------------------------------------------------------------------
// Section 1: money
// ---------------------------------------------------------------------------

func TestParseAmountAcceptsPlainDigitsWithinMinorDigits(t *testing.T) {
	cases := []struct{ in, cur, want string }{
		{"1250.50", "CNY", "1250.5"},
		{"1", "CNY", "1"},
		{"0.01", "CNY", "0.01"},
		{"10.00", "CNY", "10"},
		{"10.0", "CNY", "10"},
		{"311", "JPY", "311"},
		{"1.500", "KWD", "1.5"},
		{"0.001", "KWD", "0.001"},
		{"1.0001", "CLF", "1.0001"},
	}
	for _, c := range cases {
		t.Run(c.in+"_"+c.cur, func(t *testing.T) {
			got, err := domain.ParseAmount(c.in, gwCur(c.cur))
			if err != nil {
				t.Fatalf("ParseAmount(%q, %s) refused: %v", c.in, c.cur, err)
			}
			gwEq(t, "amount", got, c.want)
		})
	}
}

func TestParseAmountRefusesMalformedZeroAndTooManyDecimals(t *testing.T) {
	cases := []struct{ in, cur, why string }{
		{"12.", "CNY", "point without decimals"},
		{".5", "CNY", "point without integer part"},
		{"12,50", "CNY", "comma"},
		{"-1", "CNY", "sign"},
		{"+1", "CNY", "sign"},
		{"1e3", "CNY", "exponent"},
		{"1E3", "CNY", "exponent"},
		{"0", "CNY", "zero"},
		{"0.00", "CNY", "zero"},
		{"000", "JPY", "zero"},
		{"10.000", "CNY", "decimals counted as written: CNY has 2"},
		{"0.001", "CNY", "CNY has 2"},
		{"100.0", "JPY", "JPY has 0"},
		{"1.0001", "KWD", "KWD has 3"},
		{"", "CNY", "empty"},
		{" 1", "CNY", "space"},
		{"1 ", "CNY", "space"},
		{"1.2.3", "CNY", "two points"},
		{"0x10", "CNY", "hex"},
		{"1_000", "CNY", "underscore"},
		{"Infinity", "CNY", "not digits"},
		{"NaN", "CNY", "not digits"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q_%s", c.in, c.cur), func(t *testing.T) {
			if got, err := domain.ParseAmount(c.in, gwCur(c.cur)); err == nil {
				t.Errorf("ParseAmount(%q, %s) = %s, want refused (%s)", c.in, c.cur, got, c.why)
			}
		})
	}
}

func TestFormatMoneyHasExactlyTheMinorDigitsAndNoNegativeZero(t *testing.T) {
	cases := []struct{ amount, cur, want string }{
		{"0", "CNY", "0.00"},
		{"-0", "CNY", "0.00"},
		{"-0.001", "CNY", "0.00"},
		{"-0.004", "CNY", "0.00"},
		{"0.004", "CNY", "0.00"},
		{"-0.4", "JPY", "0"},
		{"-0.0004", "KWD", "0.000"},
		{"311", "JPY", "311"},
		{"1.5", "KWD", "1.500"},
		{"1250.5", "CNY", "1250.50"},
		{"1250", "USD", "1250.00"},
		{"-12.5", "CNY", "-12.50"},
		{"0.005", "CNY", "0.01"},
	}
	for _, c := range cases {
		t.Run(c.amount+"_"+c.cur, func(t *testing.T) {
			if got := domain.FormatMoney(gwM(c.amount), gwCur(c.cur)); got != c.want {
				t.Errorf("FormatMoney(%s, %s) = %q, want %q", c.amount, c.cur, got, c.want)
			}
		})
	}
}

func TestParseCurrencyKnowsActiveISOCodesWithTheirMinorDigits(t *testing.T) {
	known := map[string]int32{"CNY": 2, "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3,
		"ISK": 0, "VND": 0, "CLP": 0, "UGX": 0, "XAF": 0, "IQD": 3, "JOD": 3, "OMR": 3, "TND": 3, "LYD": 3,
		"CLF": 4, "CHF": 2, "INR": 2, "XCG": 2, "ZWG": 2, "SLE": 2}
	for code, digits := range known {
		c, err := domain.ParseCurrency(code)
		if err != nil {
			t.Errorf("ParseCurrency(%q) refused: %v", code, err)
			continue
		}
		if c.Code() != code || c.Digits() != digits {
			t.Errorf("ParseCurrency(%q) = %s with %d digits, want %d", code, c.Code(), c.Digits(), digits)
		}
	}
	for _, code := range []string{"XXX", "cny", "ABC", "Cny", "", "CN", "CNYY", " CNY", "XAU", "HRK", "VEF", "DEM"} {
		if c, err := domain.ParseCurrency(code); err == nil {
			t.Errorf("ParseCurrency(%q) = %s, want refused", code, c.Code())
		}
	}
}

func TestRoundMoneyRoundsHalfAwayFromZero(t *testing.T) {
	cases := []struct{ in, cur, want string }{
		{"2.345", "CNY", "2.35"},
		{"-2.345", "CNY", "-2.35"},
		{"2.344999", "CNY", "2.34"},
		{"-2.344999", "CNY", "-2.34"},
		{"0.005", "CNY", "0.01"},
		{"-0.005", "CNY", "-0.01"},
		{"0.015", "CNY", "0.02"},
		{"310.5", "JPY", "311"},
		{"-310.5", "JPY", "-311"},
		{"1.0005", "KWD", "1.001"},
		{"2.35", "CNY", "2.35"},
	}
	for _, c := range cases {
		t.Run(c.in+"_"+c.cur, func(t *testing.T) {
			gwEq(t, "RoundMoney("+c.in+")", domain.RoundMoney(gwM(c.in), gwCur(c.cur)), c.want)
		})
	}
}

func TestParseRateAcceptsZeroUpToJustBelowOneWithSixDecimals(t *testing.T) {
	for _, s := range []string{"0", "0.0", "0.000000", "0.05", "0.5", "0.999999", "0.123456"} {
		if _, err := domain.ParseRate(s); err != nil {
			t.Errorf("ParseRate(%q) refused: %v", s, err)
		}
	}
	got, err := domain.ParseRate("0.999999")
	if err == nil {
		gwEq(t, "ParseRate(0.999999)", got, "0.999999")
	}
	for _, s := range []string{"1", "1.0", "1.000000", "0.1234567", "0.9999990", "1.5", "-0.1", ".5", "0.", "5e-2", "0,05", "", "+0.1"} {
		if r, err := domain.ParseRate(s); err == nil {
			t.Errorf("ParseRate(%q) = %s, want refused", s, r)
		}
	}
}

// ---------------------------------------------------------------------------
// Section 1: dates and quarters
// ---------------------------------------------------------------------------

func TestAddMonthsKeepsTheDayAndClampsToMonthEnd(t *testing.T) {
	cases := []struct {
		from   string
		months int
		want   string
	}{
		{"2026-08-31", 6, "2027-02-28"},
		{"2027-08-31", 6, "2028-02-29"},
		{"2027-02-28", 6, "2027-08-28"},
		{"2026-01-31", 1, "2026-02-28"},
		{"2028-01-31", 1, "2028-02-29"},
		{"2026-05-31", 1, "2026-06-30"},
		{"2026-03-31", 6, "2026-09-30"},
		{"2026-11-30", 3, "2027-02-28"},
		{"2026-12-31", 1, "2027-01-31"},
		{"2026-10-15", 6, "2027-04-15"},
		{"2026-12-15", 12, "2027-12-15"},
		{"2028-02-29", 12, "2029-02-28"},
		{"2026-07-31", 6, "2027-01-31"},
		{"2026-01-15", 0, "2026-01-15"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s+%d", c.from, c.months), func(t *testing.T) {
			if got := gwD(c.from).AddMonths(c.months); got != gwD(c.want) {
				t.Errorf("%s + %d months = %s, want %s", c.from, c.months, got, c.want)
			}
		})
	}
}

func TestParseDateIsStrictAndRefusesImpossibleDates(t *testing.T) {
	for _, s := range []string{"2026-01-01", "2028-02-29", "2026-12-31", "2026-04-30"} {
		d, err := domain.ParseDate(s)
		if err != nil {
			t.Errorf("ParseDate(%q) refused: %v", s, err)
			continue
		}
		if d.String() != s {
			t.Errorf("ParseDate(%q).String() = %q", s, d.String())
		}
	}
	for _, s := range []string{"2026-02-29", "2026-13-01", "2026-1-01", "2026-01-1", "2026-00-10",
		"2026-01-00", "2026-04-31", "2026-01-32", "26-01-01", "2026/01/01", "20260101",
		"2026-01-01T00:00:00Z", " 2026-01-01", "2026-01-01 ", ""} {
		if d, err := domain.ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) = %s, want refused", s, d)
		}
	}
}

func TestAddDaysCrossesMonthAndYearEnds(t *testing.T) {
	cases := []struct {
		from string
		days int
		want string
	}{
		{"2026-01-31", 1, "2026-02-01"},
		{"2026-12-31", 1, "2027-01-01"},
		{"2026-12-15", 30, "2027-01-14"},
		{"2028-02-28", 1, "2028-02-29"},
		{"2026-03-31", 90, "2026-06-29"},
	}
	for _, c := range cases {
		if got := gwD(c.from).AddDays(c.days); got != gwD(c.want) {
			t.Errorf("%s + %d days = %s, want %s", c.from, c.days, got, c.want)
		}
	}
}

func TestQuartersAreCalendarQuarters(t *testing.T) {
	of := []struct{ date, want string }{
		{"2026-01-01", "2026Q1"},
		{"2026-03-31", "2026Q1"},
		{"2026-04-01", "2026Q2"},
		{"2026-06-30", "2026Q2"},
		{"2026-07-01", "2026Q3"},
		{"2026-09-30", "2026Q3"},
		{"2026-10-01", "2026Q4"},
		{"2026-12-31", "2026Q4"},
		{"2027-01-01", "2027Q1"},
	}
	for _, c := range of {
		if got := gwD(c.date).Quarter().String(); got != c.want {
			t.Errorf("quarter of %s = %s, want %s", c.date, got, c.want)
		}
	}
	bounds := []struct{ q, first, last string }{
		{"2026Q1", "2026-01-01", "2026-03-31"},
		{"2026Q2", "2026-04-01", "2026-06-30"},
		{"2026Q3", "2026-07-01", "2026-09-30"},
		{"2026Q4", "2026-10-01", "2026-12-31"},
		{"2028Q1", "2028-01-01", "2028-03-31"},
	}
	for _, c := range bounds {
		q := gwQ(c.q)
		if q.String() != c.q {
			t.Errorf("ParseQuarter(%q).String() = %q", c.q, q.String())
		}
		if q.First() != gwD(c.first) || q.Last() != gwD(c.last) {
			t.Errorf("%s = %s..%s, want %s..%s", c.q, q.First(), q.Last(), c.first, c.last)
		}
	}
	if !gwQ("2026Q4").Less(gwQ("2027Q1")) || gwQ("2026Q2").Less(gwQ("2026Q1")) {
		t.Errorf("quarters are not ordered in time")
	}
	for _, s := range []string{"2026Q0", "2026Q5", "2026q1", "26Q1", "2026-Q1", "2026Q12", "2026Q", "Q12026", "", "+026Q1", "-026Q1", " 026Q1"} {
		if q, err := domain.ParseQuarter(s); err == nil {
			t.Errorf("ParseQuarter(%q) = %s, want refused", s, q)
		}
	}
}

// ---------------------------------------------------------------------------
// Section 2: credit grades
// ---------------------------------------------------------------------------

func TestGradeTableFirstMatchingRowWins(t *testing.T) {
	cases := []struct {
		row        string
		key, other string
		want       int
	}{
		// two or more C | any | 5
		{"two key C", "CCAA", "", 5},
		{"four key C", "CCCC", "AAA", 5},
		{"two key C, rest B", "BCBC", "AB", 5},
		// exactly one C | any | 4
		{"one key C", "CAAA", "", 4},
		{"one key C, other C", "BBBC", "CC", 4},
		{"one key C, other A", "ACBA", "AAAA", 4},
		// all B | any C | 4
		{"all B, other C", "BBBB", "C", 4},
		{"all B, other A and C", "BBBB", "AC", 4},
		// all B | only A/B (or none) | 3
		{"all B, none", "BBBB", "", 3},
		{"all B, other A", "BBBB", "AA", 3},
		{"all B, other A and B", "BBBB", "AB", 3},
		// all A | all B | 2
		{"all A, other B", "AAAA", "B", 2},
		{"all A, other all B", "AAAA", "BBB", 2},
		// all A | some C and some A | 2
		{"all A, other A and C", "AAAA", "AC", 2},
		{"all A, other A, B and C", "AAAA", "ABC", 2},
		// all A | only B/C with at least one C | 3
		{"all A, other C", "AAAA", "C", 3},
		{"all A, other B and C", "AAAA", "BC", 3},
		// all A | only A/B (or none) | 1
		{"all A, none", "AAAA", "", 1},
		{"all A, other A", "AAAA", "AA", 1},
		{"all A, other A and B", "AAAA", "AB", 1},
		// mixed A/B | all A (or none) | 2
		{"mixed, none", "ABAA", "", 2},
		{"mixed, other A", "AABB", "AA", 2},
		{"mostly B, other A", "BBBA", "A", 2},
		// mixed A/B | anything else | 3
		{"mixed, other B", "ABAA", "B", 3},
		{"mixed, other C", "ABAB", "C", 3},
		{"mixed, other A and C", "ABAA", "AC", 3},
		{"mixed, other A and B", "BAAA", "AB", 3},
	}
	for _, c := range cases {
		t.Run(c.row, func(t *testing.T) {
			if got := domain.GradeFor(gwKey(c.key), gwRatings(c.other)); got != c.want {
				t.Errorf("GradeFor(key %s, other %q) = %d, want %d", c.key, c.other, got, c.want)
			}
		})
	}
}

func TestAssessCreditRecordsTheGradeOfTheTable(t *testing.T) {
	w := gwCustomers(t, "C1")
	ev := gwOnly[domain.CreditAssessed](t, w.when("C1", gwAssess("C1", "2026-02-01", "AAAA", "BB")).ok())
	if ev.Grade != 2 || ev.On != gwD("2026-02-01") {
		t.Errorf("assessment = grade %d on %s, want grade 2 on 2026-02-01", ev.Grade, ev.On)
	}
}

func TestGradeOnFollowsAssessmentDatesNotRecordingOrder(t *testing.T) {
	w := gwGiven(t, gwEvents("C1", gwRegistered("C1", "2026-01-01", 3, 30)))
	w.given("C1",
		gwAssess("C1", "2026-03-01", "AAAA", ""), // grade 1 from 03-01
		gwAssess("C1", "2026-02-01", "CCAA", ""), // recorded later, dated earlier: grade 5 from 02-01
	)
	a := w.account("C1")
	for _, c := range []struct {
		on   string
		want int
	}{
		{"2026-01-01", 3}, {"2026-01-31", 3}, {"2026-02-01", 5}, {"2026-02-28", 5},
		{"2026-03-01", 1}, {"2026-12-31", 1},
	} {
		if got := a.GradeOn(gwD(c.on)); got != c.want {
			t.Errorf("GradeOn(%s) = %d, want %d", c.on, got, c.want)
		}
	}
	// Two assessments on the same day: the later recorded one is in force.
	w.given("C1", gwAssess("C1", "2026-03-01", "BBBB", ""))
	if got := a.GradeOn(gwD("2026-03-01")); got != 3 {
		t.Errorf("GradeOn(2026-03-01) after a second assessment that day = %d, want 3", got)
	}
}

func TestCreditReviewIsDueWhenTheLastAssessmentIsMoreThanThreeMonthsOld(t *testing.T) {
	w := gwGiven(t, gwEvents("C1", gwRegistered("C1", "2026-01-15", 2, 30)))
	a := w.account("C1")
	steps := []struct {
		on   string
		want bool
	}{
		{"2026-04-14", false},
		{"2026-04-15", false}, // exactly 3 months: not more than 3 months old
		{"2026-04-16", true},
	}
	for _, s := range steps {
		if got := a.CreditReviewDue(gwD(s.on)); got != s.want {
			t.Errorf("registered 2026-01-15: CreditReviewDue(%s) = %v, want %v", s.on, got, s.want)
		}
	}
	// An assessment on 2026-11-30 is due for review after 2027-02-28 (month-end clamp).
	w.given("C1", gwAssess("C1", "2026-11-30", "AAAA", ""))
	for _, s := range []struct {
		on   string
		want bool
	}{
		{"2027-02-28", false},
		{"2027-03-01", true},
	} {
		if got := a.CreditReviewDue(gwD(s.on)); got != s.want {
			t.Errorf("assessed 2026-11-30: CreditReviewDue(%s) = %v, want %v", s.on, got, s.want)
		}
	}
}

// The grade given at registration applies from the registration's date like an
// assessment: an assessment dated before the registration is not the latest one.
func TestGradeOnAfterABackDatedAssessmentBeforeRegistration(t *testing.T) {
	w := gwGiven(t, gwEvents("C1", gwRegistered("C1", "2026-03-01", 3, 30)))
	w.given("C1", gwAssess("C1", "2026-02-01", "AAAA", "")) // grade 1, dated before the registration
	if got := w.account("C1").GradeOn(gwD("2026-03-05")); got != 3 {
		t.Errorf("GradeOn(2026-03-05) = %d, want 3: the registration counts as an assessment dated on its day, the latest in force", got)
	}
}

// "As of D" counts an assessment from its date (SPEC section 1): as of 2026-05-01 the
// last assessment of an account registered 2026-01-01 and assessed only on 2026-06-01
// is the registration, four months old.
func TestCreditReviewDueAsOfIgnoresAssessmentsDatedLater(t *testing.T) {
	w := gwGiven(t, gwEvents("C1", gwRegistered("C1", "2026-01-01", 2, 30)))
	w.given("C1", gwAssess("C1", "2026-06-01", "AAAA", ""))
	a := w.account("C1")
	if !a.CreditReviewDue(gwD("2026-05-01")) {
		t.Errorf("CreditReviewDue(2026-05-01) = false, want true: as of 2026-05-01 the last assessment is the registration of 2026-01-01 (the 2026-06-01 assessment has not happened yet)")
	}
	if a.CreditReviewDue(gwD("2026-06-01")) {
		t.Errorf("CreditReviewDue(2026-06-01) = true, want false (assessed that day)")
	}
}

// ---------------------------------------------------------------------------
// Section 8: idempotency
// ---------------------------------------------------------------------------

func TestCheckCommandRemembersIdsWithTheirContent(t *testing.T) {
	w := gwCustomers(t, "C1")
	inv := gwInvoice("INV-1", "C1", "2026-01-10", "100.00", "CNY")
	inv.ID = "client-7"
	events := w.when("C1", inv).ok()
	// Record it the way the ledger does, with the hash of its content.
	w.books.ApplyCommand("C1", "client-7", "hash-A", nil)
	if len(events) != 1 {
		t.Fatalf("IssueInvoice recorded %d events, want 1", len(events))
	}
	a := w.account("C1")
	cases := []struct {
		id, hash string
		seen     bool
		field    string
	}{
		{"client-7", "hash-A", true, ""},
		{"client-7", "hash-B", true, "id"},
		{"client-8", "hash-A", false, ""},
	}
	for _, c := range cases {
		seen, err := a.CheckCommand(c.id, c.hash)
		if c.field == "" {
			if err != nil || seen != c.seen {
				t.Errorf("CheckCommand(%s, %s) = %v, %v; want %v, nil", c.id, c.hash, seen, err, c.seen)
			}
			continue
		}
		fe, ok := domain.Refusal(err)
		if !ok || fe.Field != c.field {
			t.Errorf("CheckCommand(%s, %s) error = %v, want a refusal of field %q", c.id, c.hash, err, c.field)
		}
	}
	// A refused command is not remembered.
	dup := gwInvoice("INV-1", "C1", "2026-01-11", "5.00", "CNY")
	dup.ID = "client-9"
	w.when("C1", dup).refused("invoice")
	if seen, err := a.CheckCommand("client-9", "anything"); seen || err != nil {
		t.Errorf("a refused command was remembered: %v, %v", seen, err)
	}
	// The ledger scope has the same rule.
	l := w.books.Ledger()
	w.books.ApplyCommand("", "close-1", "hash-Q", nil)
	if seen, err := l.CheckCommand("close-1", "hash-Q"); !seen || err != nil {
		t.Errorf("ledger CheckCommand same hash = %v, %v; want true, nil", seen, err)
	}
	if _, err := l.CheckCommand("close-1", "hash-R"); err == nil {
		t.Errorf("ledger CheckCommand with another hash accepted")
	} else if fe, ok := domain.Refusal(err); !ok || fe.Field != "id" {
		t.Errorf("ledger CheckCommand error %v, want field id", err)
	}
}
