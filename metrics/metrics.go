// Package metrics exposes the receivables as Prometheus metrics computed from the live
// projection at scrape time: Collect reads Live.View and the stream position when
// Prometheus asks, and nothing runs in the background.
//
// Amounts are exported as float64 gauges because that is what Prometheus stores. They
// are for monitoring only: the ledger itself never uses floats (every amount in the
// books and reports is an exact decimal), and the sums here are made in exact decimals
// and converted once, at the end.
//
// Currency label values are ISO 4217 codes as in the reports ("CNY"); every other
// label value is lower case.
package metrics

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/arkeep/arkeep/collector"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/projections"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
)

// lastSeqTimeout bounds the stream query of one scrape (Prometheus' default scrape
// timeout is 10s).
const lastSeqTimeout = 3 * time.Second

// Fund statuses, as domain.FundState.Status spells them.
var fundStatuses = []string{"open", "rebated", "forfeited"}

// Collector is a prometheus.Collector over the live projection. Register it once per
// registry; it is safe for concurrent scrapes.
type Collector struct {
	live          *projections.Live
	policy        *domain.Policy
	today         func() domain.Date
	streamLastSeq func(context.Context) (uint64, error)
	reminders     func() collector.Stats
	now           func() time.Time
	buckets       projections.Buckets

	mu sync.Mutex // guards what follows; one scrape computes at a time
	// The last snapshot and the (folded sequence, day) it was computed for: books
	// change only when the projection folds, so a scrape at the same position on the
	// same day reuses it.
	cached    *snapshot
	cachedSeq uint64
	cachedDay domain.Date
	// behindSeq/behindSince: when the projection is behind but does not know when its
	// last folded message was stored (right after start-up, the initial fold does not
	// record it), the lag in seconds counts from the first scrape that saw it behind
	// at that sequence: a lower bound.
	behindSeq   uint64
	behindSince time.Time
	errs        map[string]uint64 // scrape errors by source

	d descs
}

type descs struct {
	outstanding, overdue, doubtful, writtenOff, unapplied, fund, open *prometheus.Desc
	doubtfulCount, worklist, reconcile                                *prometheus.Desc
	lagEvents, lagSeconds, projFailed, scrapeErrors                   *prometheus.Desc
	reminders, retries, deadLetters, reminderErrors                   *prometheus.Desc
}

func newDescs() descs {
	cur := []string{"currency"}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return descs{
		outstanding: d("ar_outstanding", "Outstanding receivables as of today by ageing bucket (default buckets, days past the effective due date).", "currency", "bucket"),
		overdue:     d("ar_overdue", "Outstanding receivables past their effective due date as of today (all buckets but current).", cur...),
		doubtful:    d("ar_doubtful", "Outstanding of doubtful invoices (more than six months past due, not written off) as of today.", cur...),
		writtenOff:  d("ar_written_off", "Cumulative amount written off by today (recoveries not deducted).", cur...),
		unapplied:   d("ar_unapplied_credit", "Money received and not applied to any invoice as of today (a positive amount).", cur...),
		fund:        d("ar_fund_balance", "Price-protection funds as of today: accrued on open funds, rebated and forfeited on closed ones.", "currency", "status"),
		open:        d("ar_invoices_open", "Invoices with something outstanding as of today.", cur...),
		doubtfulCount: d("ar_doubtful_invoices",
			"Number of doubtful invoices as of today, all currencies."),
		worklist: d("ar_worklist_contacts", "Contacts on the collector's worklist for today (the first working day on or after today; no holidays).", "collector"),
		reconcile: d("ar_reconciliation_difference",
			"Ageing total minus the ledger balance (invoice amounts - applications - write-offs of invoices issued by today, summed independently). Must be 0.", cur...),
		lagEvents:  d("ar_projection_lag_events", "Stream messages not yet folded into the live projection (stream last sequence - folded sequence)."),
		lagSeconds: d("ar_projection_lag_seconds", "Seconds since the last folded message was stored, while the projection is behind the stream; 0 when it is caught up."),
		projFailed: d("ar_projection_failed", "1 when the live projection stopped on a fold error (it folds nothing more), else 0."),
		scrapeErrors: d("ar_metrics_scrape_errors_total",
			"Errors while computing these metrics, by source; the metrics of that source are left out of the scrape.", "source"),
		reminders:      d("ar_reminders_total", "Reminders recorded by this instance's collector since start, by channel and outcome.", "channel", "outcome"),
		retries:        d("ar_reminder_retries_total", "Transient reminder delivery failures sent back for a later attempt, since start."),
		deadLetters:    d("ar_reminder_dead_letters_total", "Reminder jobs published to the dead-letter stream, since start."),
		reminderErrors: d("ar_reminder_errors_total", "Ledger and queue errors of this instance's collector since start, by kind.", "kind"),
	}
}

func (d descs) all() []*prometheus.Desc {
	return []*prometheus.Desc{d.outstanding, d.overdue, d.doubtful, d.writtenOff, d.unapplied, d.fund, d.open,
		d.doubtfulCount, d.worklist, d.reconcile, d.lagEvents, d.lagSeconds, d.projFailed, d.scrapeErrors,
		d.reminders, d.retries, d.deadLetters, d.reminderErrors}
}

// NewCollector returns the collector. today is the engine's business date (serve's
// --today or the UTC wall clock); streamLastSeq is the event stream's last sequence
// (eventstore.Store.LastSeq). reminders may be nil when this instance runs no reminder
// worker: the reminder metrics are then left out.
func NewCollector(live *projections.Live, policy *domain.Policy, today func() domain.Date,
	streamLastSeq func(context.Context) (uint64, error), reminders func() collector.Stats) *Collector {
	if policy == nil {
		policy = domain.DefaultPolicy()
	}
	return &Collector{live: live, policy: policy, today: today, streamLastSeq: streamLastSeq,
		reminders: reminders, now: time.Now, buckets: projections.DefaultBuckets(),
		errs: map[string]uint64{}, d: newDescs()}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.d.all() {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()

	// The stream's last sequence first, the folded position after: a message appended
	// in between then counts as folded rather than as lag.
	ctx, cancel := context.WithTimeout(context.Background(), lastSeqTimeout)
	last, lastErr := c.streamLastSeq(ctx)
	cancel()
	seq, at, foldErr := c.live.Position()
	now := c.now()

	if lastErr != nil {
		c.errs["stream_last_seq"]++
	} else {
		events, secs := c.lag(last, seq, at, now)
		ch <- gauge(c.d.lagEvents, float64(events))
		ch <- gauge(c.d.lagSeconds, secs)
	}
	failed := 0.0
	if foldErr != nil {
		failed = 1
	}
	ch <- gauge(c.d.projFailed, failed)

	s := c.snapshot(seq)
	s.emit(ch, &c.d)

	if c.reminders != nil {
		emitReminders(ch, &c.d, c.reminders())
	}
	for _, src := range slices.Sorted(maps.Keys(c.errs)) {
		ch <- prometheus.MustNewConstMetric(c.d.scrapeErrors, prometheus.CounterValue, float64(c.errs[src]), src)
	}
}

// lag is the projection's lag in messages and seconds; c.mu is held.
func (c *Collector) lag(last, seq uint64, at, now time.Time) (uint64, float64) {
	if last <= seq {
		c.behindSince = time.Time{}
		return 0, 0
	}
	since := at
	if since.IsZero() {
		if c.behindSince.IsZero() || c.behindSeq != seq {
			c.behindSeq, c.behindSince = seq, now
		}
		since = c.behindSince
	}
	return last - seq, max(0, now.Sub(since).Seconds())
}

// snapshot returns the metrics of the books as of today, computed anew unless the
// projection has not folded anything since the cached one of the same day; c.mu is
// held. seq is the folded position read before.
func (c *Collector) snapshot(seq uint64) *snapshot {
	day := c.today()
	if c.cached != nil && c.cachedSeq == seq && c.cachedDay == day {
		return c.cached
	}
	var s *snapshot
	c.live.View(func(b *domain.Books) { s = compute(b, c.policy, day, c.buckets) })
	if s.parseErrors > 0 {
		c.errs["report_amount"] += uint64(s.parseErrors)
	}
	// Cache only when nothing was folded while computing: then the snapshot is that of
	// the books at seq exactly.
	if after, _, _ := c.live.Position(); after == seq {
		c.cached, c.cachedSeq, c.cachedDay = s, seq, day
	} else {
		c.cached = nil
	}
	return s
}

// snapshot is every books-derived value of one scrape, in exact decimals.
type snapshot struct {
	buckets    []string
	currencies []string // every currency with an invoice or money received by the day

	outstanding   map[string][]decimal.Decimal // per bucket, from the ageing report
	ageingTotal   map[string]decimal.Decimal   // from the ageing report
	unapplied     map[string]decimal.Decimal   // from the ageing report, made positive
	ledgerBalance map[string]decimal.Decimal   // independent of the ageing code
	doubtful      map[string]decimal.Decimal
	writtenOff    map[string]decimal.Decimal
	doubtfulCount int
	openInvoices  map[string]int
	funds         map[string]map[string]decimal.Decimal // currency -> status -> amount
	worklist      map[string]int                        // collector -> contacts
	parseErrors   int
}

// compute reads the books as of day. It must run under Live.View.
func compute(b *domain.Books, p *domain.Policy, day domain.Date, bk projections.Buckets) *snapshot {
	s := &snapshot{
		buckets:     bk.Names(),
		outstanding: map[string][]decimal.Decimal{}, ageingTotal: map[string]decimal.Decimal{},
		unapplied: map[string]decimal.Decimal{}, doubtful: map[string]decimal.Decimal{},
		writtenOff: map[string]decimal.Decimal{}, openInvoices: map[string]int{},
		funds: map[string]map[string]decimal.Decimal{}, worklist: map[string]int{},
	}
	accounts := b.Accounts()
	s.ledgerBalance = ledgerBalances(accounts, day)
	curSet := map[string]bool{}
	for code := range s.ledgerBalance {
		curSet[code] = true
	}

	// Ageing (due basis, default buckets): the report's per-currency totals; and the
	// bad-debt register's, from the same scan of the invoices.
	ageing, badDebt := projections.AgeingAndBadDebtSummaries(b, day, projections.BasisDue, bk)
	for _, cur := range ageing.Currencies {
		curSet[cur.Currency] = true
		vals := make([]decimal.Decimal, len(cur.Totals.Buckets.Values))
		total := decimal.Zero
		for i, v := range cur.Totals.Buckets.Values {
			vals[i] = s.parse(v)
			total = total.Add(vals[i])
		}
		s.outstanding[cur.Currency] = vals
		s.ageingTotal[cur.Currency] = total
		s.unapplied[cur.Currency] = s.parse(cur.Totals.UnappliedCredit).Neg()
	}

	// Bad-debt register: doubtful outstanding, written off by the day.
	for _, cur := range badDebt {
		curSet[cur.Currency] = true
		s.doubtful[cur.Currency] = s.parse(cur.Totals.Doubtful)
		s.writtenOff[cur.Currency] = s.parse(cur.Totals.WrittenOff)
		s.doubtfulCount += cur.Doubtful
	}

	collectors := map[string]bool{}
	for _, a := range accounts {
		collectors[a.Profile().Collector] = true
		for _, inv := range a.Invoices() {
			if inv.OwesAsOf(day) {
				s.openInvoices[inv.Currency.Code()]++
			}
		}
		for _, l := range a.Lots() {
			if l.On <= day {
				curSet[l.Currency.Code()] = true
			}
		}
		for _, f := range a.FundsAsOf(day) {
			code := f.Currency.Code()
			m := s.funds[code]
			if m == nil {
				m = map[string]decimal.Decimal{}
				for _, st := range fundStatuses {
					m[st] = decimal.Zero
				}
				s.funds[code] = m
			}
			switch f.Status {
			case "open":
				m["open"] = m["open"].Add(f.Accrued)
			case "rebated":
				m["rebated"] = m["rebated"].Add(f.Rebated)
			case "forfeited":
				m["forfeited"] = m["forfeited"].Add(f.Forfeited)
			}
		}
	}
	delete(collectors, "")
	for coll := range collectors {
		_, contacts := p.Worklist(accounts, coll, day, domain.Calendar{})
		s.worklist[coll] = len(contacts)
	}
	s.currencies = slices.Sorted(maps.Keys(curSet))
	return s
}

// parse reads an amount of a report; a failure (never expected: the reports print
// plain decimals) is counted and reads as zero.
func (s *snapshot) parse(v string) decimal.Decimal {
	d, err := decimal.NewFromString(v)
	if err != nil {
		s.parseErrors++
		return decimal.Zero
	}
	return d
}

// ledgerBalances is the balance of receivables per currency as of day, summed straight
// from the recorded amounts and independently of the ageing code: over the invoices
// issued by day, Σ invoice amounts − Σ applications effective by day − Σ write-offs
// dated by day. Recoveries on written-off invoices are not applications and do not
// count.
func ledgerBalances(accounts []*domain.Account, day domain.Date) map[string]decimal.Decimal {
	bal := map[string]decimal.Decimal{}
	for _, a := range accounts {
		for _, inv := range a.Invoices() {
			if inv.Issued > day {
				continue
			}
			v := inv.Amount()
			for _, ap := range inv.Apps {
				if ap.On <= day {
					v = v.Sub(ap.Amount)
				}
			}
			if w := inv.WrittenOff(); w != nil && w.On <= day {
				v = v.Sub(w.Amount)
			}
			code := inv.Currency.Code()
			if cur, ok := bal[code]; ok {
				bal[code] = cur.Add(v)
			} else {
				bal[code] = v
			}
		}
	}
	return bal
}

// reconciliationDifferences is, per currency of either side, the ageing total minus
// the ledger balance; a currency missing on one side counts as zero there.
func reconciliationDifferences(ageingTotal, ledgerBalance map[string]decimal.Decimal) map[string]decimal.Decimal {
	out := map[string]decimal.Decimal{}
	for code, v := range ageingTotal {
		out[code] = v
	}
	for code, v := range ledgerBalance {
		if cur, ok := out[code]; ok {
			out[code] = cur.Sub(v)
		} else {
			out[code] = v.Neg()
		}
	}
	return out
}

func (s *snapshot) emit(ch chan<- prometheus.Metric, d *descs) {
	diff := reconciliationDifferences(s.ageingTotal, s.ledgerBalance)
	for _, code := range s.currencies {
		vals := s.outstanding[code]
		overdue := decimal.Zero
		for i, name := range s.buckets {
			v := decimal.Zero
			if i < len(vals) {
				v = vals[i]
			}
			if i > 0 {
				overdue = overdue.Add(v)
			}
			ch <- gauge(d.outstanding, toFloat(v), code, name)
		}
		ch <- gauge(d.overdue, toFloat(overdue), code)
		ch <- gauge(d.doubtful, toFloat(s.doubtful[code]), code)
		ch <- gauge(d.writtenOff, toFloat(s.writtenOff[code]), code)
		ch <- gauge(d.unapplied, toFloat(s.unapplied[code]), code)
		ch <- gauge(d.open, float64(s.openInvoices[code]), code)
		ch <- gauge(d.reconcile, toFloat(diff[code]), code)
	}
	for _, code := range slices.Sorted(maps.Keys(s.funds)) {
		for _, st := range fundStatuses {
			ch <- gauge(d.fund, toFloat(s.funds[code][st]), code, st)
		}
	}
	ch <- gauge(d.doubtfulCount, float64(s.doubtfulCount))
	for _, coll := range slices.Sorted(maps.Keys(s.worklist)) {
		ch <- gauge(d.worklist, float64(s.worklist[coll]), coll)
	}
}

// emitReminders exports the worker's counters. webhook and email always appear, so
// that rates of a channel with no failure yet are 0 rather than missing.
func emitReminders(ch chan<- prometheus.Metric, d *descs, st collector.Stats) {
	channels := map[string]bool{collector.ChannelWebhook: true, collector.ChannelEmail: true}
	for k := range st.Delivered {
		channels[k] = true
	}
	for k := range st.Failed {
		channels[k] = true
	}
	for _, chn := range slices.Sorted(maps.Keys(channels)) {
		ch <- counter(d.reminders, st.Delivered[chn], chn, collector.OutcomeDelivered)
		ch <- counter(d.reminders, st.Failed[chn], chn, collector.OutcomeFailed)
	}
	ch <- counter(d.reminders, st.NoContact, collector.ChannelManual, collector.OutcomeNoContact)
	ch <- counter(d.retries, st.Retries)
	ch <- counter(d.deadLetters, st.DeadLettered)
	ch <- counter(d.reminderErrors, st.LedgerErrors, "ledger")
	ch <- counter(d.reminderErrors, st.QueueErrors, "queue")
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v uint64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

// toFloat converts an exact amount for export; only here do amounts become floats.
func toFloat(d decimal.Decimal) float64 {
	f, _ := d.Float64()
	return f
}
