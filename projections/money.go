package projections

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// The reports sum every open invoice. shopspring decimals allocate on each addition,
// which made the ageing of a million invoices cost seconds; sums kept as int64 minor
// units (cents, domain.MinorUnits) cost nanoseconds. Exactness is not traded for it:
// an amount that has no exact int64 minor-unit form, or a sum that would overflow, is
// added to an exact decimal remainder instead, and the value of a sum is both parts.

// money is an exact sum of amounts in one currency.
type money struct {
	minor   int64           // the part held in minor units
	rest    decimal.Decimal // the part that did not fit minor
	hasRest bool
}

func (m *money) add(d decimal.Decimal, c domain.Currency) {
	if v, ok := domain.MinorUnits(d, c); ok && m.addMinor(v) {
		return
	}
	m.addRest(d)
}

// addUnits adds v minor units of c.
func (m *money) addUnits(v int64, c domain.Currency) {
	if !m.addMinor(v) {
		m.addRest(decimal.New(v, -c.Digits()))
	}
}

// addMinor adds v unless the int64 would overflow.
func (m *money) addMinor(v int64) bool {
	s, ok := addInt64(m.minor, v)
	if ok {
		m.minor = s
	}
	return ok
}

// addInt64 is a+v, and false when that overflows an int64.
func addInt64(a, v int64) (int64, bool) {
	s := a + v
	return s, !((v > 0 && s < a) || (v < 0 && s > a))
}

func (m *money) addRest(d decimal.Decimal) {
	if !m.hasRest {
		m.rest, m.hasRest = d, true
		return
	}
	m.rest = m.rest.Add(d)
}

func (m *money) addMoney(o money, c domain.Currency) {
	m.addUnits(o.minor, c)
	if o.hasRest {
		m.addRest(o.rest)
	}
}

func (m money) value(c domain.Currency) decimal.Decimal {
	v := decimal.New(m.minor, -c.Digits())
	if m.hasRest {
		v = v.Add(m.rest)
	}
	return v
}

func (m money) isZero(c domain.Currency) bool {
	if !m.hasRest {
		return m.minor == 0
	}
	return m.value(c).IsZero()
}

// format prints the sum as domain.FormatMoney does.
func (m money) format(c domain.Currency) string {
	if !m.hasRest {
		return formatMinor(m.minor, c.Digits())
	}
	return domain.FormatMoney(m.value(c), c)
}

// text is format, cut from t.
func (m money) text(t *texts, c domain.Currency) string {
	if !m.hasRest {
		return t.minor(m.minor, c.Digits())
	}
	return domain.FormatMoney(m.value(c), c)
}

// formatMinor prints v minor units with exactly digits decimals: the same text as
// domain.FormatMoney(decimal.New(v, -digits)), without the decimal.
func formatMinor(v int64, digits int32) string {
	var buf [48]byte
	return string(domain.AppendFixed(buf[:0], v, digits))
}

// texts hands out strings cut from large shared buffers, so that the ageing's rows (a
// total, the unapplied credit and each bucket, for every customer) make a few
// allocations instead of one an amount. A buffer is never written again where a
// string was cut from it, which is what makes the cut (unsafe.String over the
// buffer's bytes) as immutable as any other string.
type texts struct{ buf []byte }

func (t *texts) minor(v int64, digits int32) string {
	if cap(t.buf)-len(t.buf) < 48 {
		// From 1 KB, doubling to 64 KB: a small report does not pay for a large one.
		t.buf = make([]byte, 0, min(64<<10, max(1<<10, 2*cap(t.buf))))
	}
	start := len(t.buf)
	t.buf = domain.AppendFixed(t.buf, v, digits)
	return unsafe.String(&t.buf[start], len(t.buf)-start)
}

// owed is an invoice's outstanding as of a date, read in minor units without touching
// a decimal when the invoice allows it (domain.Invoice.OutstandingMinorAsOf).
type owed struct {
	minor int64
	exact decimal.Decimal // when !fast
	fast  bool
}

func owedAsOf(inv *domain.Invoice, d domain.Date) owed {
	if v, ok := inv.OutstandingMinorAsOf(d); ok {
		return owed{minor: v, fast: true}
	}
	return owed{exact: inv.OutstandingAsOf(d)}
}

func (o owed) positive() bool {
	if o.fast {
		return o.minor > 0
	}
	return o.exact.Sign() > 0
}

// addTo adds the amount to a sum in currency c.
func (o owed) addTo(m *money, c domain.Currency) {
	if o.fast {
		m.addUnits(o.minor, c)
		return
	}
	m.add(o.exact, c)
}

// dueDate is what reports print for an effective due date: its text, and the date it
// becomes doubtful under the six-month rule with that date's text.
type dueDate struct {
	text          string
	doubtfulSince domain.Date
	sinceText     string
}

// dueDates holds, process-wide and per day, the dueDate of every due date a report has
// asked for: a ledger has a few thousand distinct due dates and a million invoices,
// and a report made them again for every part on every run (a sixth of a small
// register). An entry never changes once stored, so readers take no lock; two reports
// asking for a new date at once may both make it, alike. The days from 1950 to 2129
// are kept, at most 64Ki entries; dates outside them are made each time.
var (
	dueDates     [1 << 16]atomic.Pointer[dueDate]
	dueDatesBase = domain.NewDate(1950, time.January, 1)
)

func dueDateOf(d domain.Date) *dueDate {
	i := int(d) - int(dueDatesBase)
	if i < 0 || i >= len(dueDates) {
		return newDueDate(d)
	}
	if v := dueDates[i].Load(); v != nil {
		return v
	}
	v := newDueDate(d)
	dueDates[i].Store(v)
	return v
}

func newDueDate(d domain.Date) *dueDate {
	since := domain.DoubtfulFrom(d)
	return &dueDate{text: d.String(), doubtfulSince: since, sinceText: since.String()}
}

// inParts runs fn over [0, n) split into one contiguous part per CPU (one part when n
// is small) and returns the parts' results in order.
func inParts[T any](n int, fn func(lo, hi int) T) []T {
	parts := 1
	if n >= 4096 {
		parts = min(runtime.GOMAXPROCS(0), n/2048)
	}
	out := make([]T, parts)
	// The last part on the caller's goroutine.
	var wg sync.WaitGroup
	for p := range parts - 1 {
		wg.Go(func() { out[p] = fn(n*p/parts, n*(p+1)/parts) })
	}
	out[parts-1] = fn(n*(parts-1)/parts, n)
	wg.Wait()
	return out
}
