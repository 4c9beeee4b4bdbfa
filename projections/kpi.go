package projections

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// KPIMaxMonths bounds the months one KPI report covers (ten years).
const KPIMaxMonths = 120

// KPIRatioDecimals is the number of decimals every KPI ratio is rounded to, once, half
// away from zero.
const KPIRatioDecimals = 4

// reminderDelivered is the outcome of a reminder.sent.v1 event that reached the
// customer (collector.OutcomeDelivered; failed and no_contact reminders were not sent).
const reminderDelivered = "delivered"

// KPIReport is the collections KPI report: per calendar month of [from, to], per
// collector and in total (all collectors), per currency.
//
// Each month is a period P = [start, end]: the calendar month clipped to [from, to], so
// the first and last months may be partial, and days(P) = end − start + 1. Amounts of
// one currency only are ever combined. For a group (one collector's customers, or all
// customers) and a currency, with every invoice counted as of the period's end (its
// effective due date, outstanding and write-off as of end; SPEC sections 1 and 4):
//
//   - credit_sales       = Σ amount of invoices issued in P (gross: credit notes are not
//     deducted).
//   - ending_receivables = Σ outstanding as of end (written-off invoices have none;
//     unapplied credit is not netted off).
//   - collected          = Σ payment allocations to invoices effective in P (the
//     allocation's effective date, the later of the payment's and the invoice's date,
//     lies in P; credit applied at an issue counts when it came from a payment). Credit
//     notes, rebates, bounties, unapplied money and recoveries on written-off invoices
//     are not collections.
//   - fell_due           = Σ amount of invoices whose effective due date lies in P.
//   - overdue            = Σ outstanding as of end of invoices with effective due date
//     before end (days overdue > 0).
//   - doubtful           = Σ outstanding as of end of invoices doubtful on end (six-month
//     rule, SPEC section 5).
//   - reminders          = number of reminder.sent.v1 events dated in P with outcome
//     "delivered", counted in the currency of their invoice.
//
// The ratios, each computed exactly and rounded once to 4 decimals, half away from
// zero, and null when its divisor is zero:
//
//   - dso                = ending_receivables ÷ credit_sales × days(P)
//   - collection_rate    = collected ÷ fell_due (above 1 when older debt is collected)
//   - overdue_share      = overdue ÷ ending_receivables
//   - doubtful_share     = doubtful ÷ ending_receivables
//   - reminders_per_1000 = reminders ÷ collected × 1000 (reminders per 1000 units of
//     the currency collected)
//
// A currency is listed for a group when any of its amounts or its reminder count is not
// zero; a collector with no currency listed in a month is left out of that month.
// Collectors by name, currencies by code.
type KPIReport struct {
	From   string     `json:"from"`
	To     string     `json:"to"`
	Months []KPIMonth `json:"months"`
}

// KPIMonth is one period: a calendar month clipped to the report's range.
type KPIMonth struct {
	Month      string         `json:"month"` // YYYY-MM
	From       string         `json:"from"`
	To         string         `json:"to"`
	Days       int            `json:"days"`
	Collectors []KPICollector `json:"collectors"`
	Total      KPIGroup       `json:"total"`
}

// KPICollector is one collector's figures in a month.
type KPICollector struct {
	Collector  string        `json:"collector"`
	Currencies []KPICurrency `json:"currencies"`
}

// KPIGroup is the figures of all collectors together.
type KPIGroup struct {
	Currencies []KPICurrency `json:"currencies"`
}

// KPICurrency is one currency's figures: the amounts the ratios come from, then the
// ratios (null when the divisor is zero).
type KPICurrency struct {
	Currency          string  `json:"currency"`
	CreditSales       string  `json:"credit_sales"`
	EndingReceivables string  `json:"ending_receivables"`
	Collected         string  `json:"collected"`
	FellDue           string  `json:"fell_due"`
	Overdue           string  `json:"overdue"`
	Doubtful          string  `json:"doubtful"`
	Reminders         int     `json:"reminders"`
	DSO               *string `json:"dso"`
	CollectionRate    *string `json:"collection_rate"`
	OverdueShare      *string `json:"overdue_share"`
	DoubtfulShare     *string `json:"doubtful_share"`
	RemindersPer1000  *string `json:"reminders_per_1000"`
}

// KPIRange checks a KPI range: from ≤ to, at most KPIMaxMonths calendar months.
func KPIRange(from, to domain.Date) error {
	if from > to {
		return fmt.Errorf("from %s is after to %s", from, to)
	}
	if n := len(kpiPeriods(from, to, KPIMaxMonths+1)); n > KPIMaxMonths {
		return fmt.Errorf("the range spans more than %d months", KPIMaxMonths)
	}
	return nil
}

type kpiPeriod struct{ start, end domain.Date }

// kpiPeriods splits [from, to] into calendar months clipped to the range; it stops
// after max periods.
func kpiPeriods(from, to domain.Date, max int) []kpiPeriod {
	var out []kpiPeriod
	for start := from; start <= to && len(out) < max; {
		y, m, _ := start.Time().Date()
		next := domain.NewDate(y, m+1, 1) // time.Date normalises month 13
		end := next - 1
		if end > to {
			end = to
		}
		out = append(out, kpiPeriod{start, end})
		start = next
	}
	return out
}

type kpiSums struct {
	cur                                                       domain.Currency
	sales, receivables, collected, fellDue, overdue, doubtful decimal.Decimal
	reminders                                                 int
}

func newKPISums(c domain.Currency) *kpiSums {
	z := decimal.Zero
	return &kpiSums{cur: c, sales: z, receivables: z, collected: z, fellDue: z, overdue: z, doubtful: z}
}

func (s *kpiSums) add(o *kpiSums) {
	s.sales = s.sales.Add(o.sales)
	s.receivables = s.receivables.Add(o.receivables)
	s.collected = s.collected.Add(o.collected)
	s.fellDue = s.fellDue.Add(o.fellDue)
	s.overdue = s.overdue.Add(o.overdue)
	s.doubtful = s.doubtful.Add(o.doubtful)
	s.reminders += o.reminders
}

func (s *kpiSums) empty() bool {
	return s.reminders == 0 && s.sales.IsZero() && s.receivables.IsZero() && s.collected.IsZero() &&
		s.fellDue.IsZero() && s.overdue.IsZero() && s.doubtful.IsZero()
}

// KPI computes the KPI report for [from, to] (see KPIReport for the formulas). The
// caller checks the range with KPIRange.
func KPI(books *domain.Books, from, to domain.Date) KPIReport {
	rep := KPIReport{From: from.String(), To: to.String(), Months: []KPIMonth{}}
	if from > to {
		return rep
	}
	accounts := books.Accounts()
	for _, p := range kpiPeriods(from, to, KPIMaxMonths) {
		perCollector := map[string]map[string]*kpiSums{}
		for _, a := range accounts {
			coll := a.Profile().Collector
			sums := perCollector[coll]
			if sums == nil {
				sums = map[string]*kpiSums{}
				perCollector[coll] = sums
			}
			accountKPI(a, p, sums)
		}
		total := map[string]*kpiSums{}
		month := KPIMonth{Month: p.start.Time().Format("2006-01"), From: p.start.String(), To: p.end.String(),
			Days: int(p.end-p.start) + 1, Collectors: []KPICollector{}}
		for _, coll := range slices.Sorted(maps.Keys(perCollector)) {
			sums := perCollector[coll]
			for code, s := range sums {
				t := total[code]
				if t == nil {
					t = newKPISums(s.cur)
					total[code] = t
				}
				t.add(s)
			}
			if rows := kpiRows(sums, month.Days); len(rows) > 0 {
				month.Collectors = append(month.Collectors, KPICollector{Collector: coll, Currencies: rows})
			}
		}
		month.Total = KPIGroup{Currencies: kpiRows(total, month.Days)}
		rep.Months = append(rep.Months, month)
	}
	return rep
}

// accountKPI adds one account's figures for period p to sums (by currency code).
func accountKPI(a *domain.Account, p kpiPeriod, sums map[string]*kpiSums) {
	get := func(c domain.Currency) *kpiSums {
		s := sums[c.Code()]
		if s == nil {
			s = newKPISums(c)
			sums[c.Code()] = s
		}
		return s
	}
	in := func(d domain.Date) bool { return p.start <= d && d <= p.end }
	for _, inv := range a.Invoices() {
		if !inv.IssuedBy(p.end) {
			continue
		}
		s := get(inv.Currency)
		if in(inv.Issued) {
			s.sales = s.sales.Add(inv.Amount())
		}
		due := inv.DueAsOf(p.end)
		if in(due) {
			s.fellDue = s.fellDue.Add(inv.Amount())
		}
		if out := inv.OutstandingAsOf(p.end); out.IsPositive() {
			s.receivables = s.receivables.Add(out)
			if due < p.end {
				s.overdue = s.overdue.Add(out)
			}
			if inv.DoubtfulOn(p.end) {
				s.doubtful = s.doubtful.Add(out)
			}
		}
		for _, ap := range inv.Apps {
			if ap.Kind == domain.AppPayment && in(ap.On) {
				s.collected = s.collected.Add(ap.Amount)
			}
		}
	}
	for _, r := range a.Reminders() {
		if r.Outcome != reminderDelivered || !in(r.On) {
			continue
		}
		if inv, ok := a.Invoice(r.Invoice); ok {
			get(inv.Currency).reminders++
		}
	}
}

func kpiRows(sums map[string]*kpiSums, days int) []KPICurrency {
	rows := []KPICurrency{}
	thousand := decimal.NewFromInt(1000)
	for _, code := range slices.Sorted(maps.Keys(sums)) {
		s := sums[code]
		if s.empty() {
			continue
		}
		c := s.cur
		rows = append(rows, KPICurrency{Currency: code,
			CreditSales: domain.FormatMoney(s.sales, c), EndingReceivables: domain.FormatMoney(s.receivables, c),
			Collected: domain.FormatMoney(s.collected, c), FellDue: domain.FormatMoney(s.fellDue, c),
			Overdue: domain.FormatMoney(s.overdue, c), Doubtful: domain.FormatMoney(s.doubtful, c),
			Reminders:        s.reminders,
			DSO:              kpiRatio(s.receivables.Mul(decimal.NewFromInt(int64(days))), s.sales),
			CollectionRate:   kpiRatio(s.collected, s.fellDue),
			OverdueShare:     kpiRatio(s.overdue, s.receivables),
			DoubtfulShare:    kpiRatio(s.doubtful, s.receivables),
			RemindersPer1000: kpiRatio(decimal.NewFromInt(int64(s.reminders)).Mul(thousand), s.collected),
		})
	}
	return rows
}

// kpiRatio is n ÷ d, exact, rounded once to KPIRatioDecimals half away from zero; nil
// when d is zero.
func kpiRatio(n, d decimal.Decimal) *string {
	if d.IsZero() {
		return nil
	}
	s := n.DivRound(d, KPIRatioDecimals).StringFixed(KPIRatioDecimals)
	return &s
}

// Header of the KPI rows.
func (r KPIReport) Header() []string {
	return []string{"month", "from", "to", "days", "collector", "currency", "credit_sales", "ending_receivables",
		"collected", "fell_due", "overdue", "doubtful", "reminders", "dso", "collection_rate", "overdue_share",
		"doubtful_share", "reminders_per_1000"}
}

// Rows: per month, one per collector and currency, then the month's totals
// (collector "TOTAL"); a null ratio is an empty cell.
func (r KPIReport) Rows() [][]string {
	var rows [][]string
	opt := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	add := func(m KPIMonth, coll string, c KPICurrency) {
		rows = append(rows, []string{m.Month, m.From, m.To, strconv.Itoa(m.Days), coll, c.Currency, c.CreditSales,
			c.EndingReceivables, c.Collected, c.FellDue, c.Overdue, c.Doubtful, strconv.Itoa(c.Reminders), opt(c.DSO),
			opt(c.CollectionRate), opt(c.OverdueShare), opt(c.DoubtfulShare), opt(c.RemindersPer1000)})
	}
	for _, m := range r.Months {
		for _, col := range m.Collectors {
			for _, c := range col.Currencies {
				add(m, col.Collector, c)
			}
		}
		for _, c := range m.Total.Currencies {
			add(m, "TOTAL", c)
		}
	}
	return rows
}
