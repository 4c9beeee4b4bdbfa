package domain

import (
	"fmt"
	"time"
)

// Date is a business date: a calendar day with no time zone, stored as the number of
// days since 1970-01-01. Arithmetic on days is plain integer arithmetic, which keeps
// the hot paths of ageing free of time.Time and its zones.
type Date int32

// NoDate marks an absent optional date.
const NoDate Date = -1 << 31

// NewDate builds a date from its parts; it does not validate them (ParseDate does).
// Like time.Date it normalises them: month 13 is January of the next year, day 0 the
// last day of the month before.
func NewDate(y int, m time.Month, d int) Date {
	mo := int(m) - 1
	y += floorDiv(mo, 12)
	mo -= floorDiv(mo, 12) * 12
	return Date(daysFromCivil(y, mo+1, 1) + d - 1)
}

// daysFromCivil and civil convert between days since 1970-01-01 and the proleptic
// Gregorian year, month (1-12) and day, with plain integer arithmetic (Howard
// Hinnant's algorithms, "chrono-Compatible Low-Level Date Algorithms"). Reports print
// and parse a date per row and folds parse several per event; going through time.Time
// and its zones for each was most of their cost (time.Format alone was a quarter of
// the bad-debt register). FuzzParseDate and TestCivilAgreesWithTime hold them to the
// time package.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400 // [0, 399]
	mp := (m + 9) % 12 // March = 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468
}

func civil(days int) (y, m, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // March = 0
	d = doy - (153*mp+2)/5 + 1
	m = (mp+2)%12 + 1
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// ParseDate reads a strict YYYY-MM-DD date and refuses impossible ones (2026-02-30).
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return NoDate, fmt.Errorf("%q is not a date of the form YYYY-MM-DD", s)
	}
	n := [3]int{} // year, month, day
	for i, c := range []byte(s) {
		if i == 4 || i == 7 {
			continue
		}
		if c < '0' || c > '9' {
			return NoDate, fmt.Errorf("%q is not a date of the form YYYY-MM-DD", s)
		}
		part := min(i/4, 1) + i/8 // 0 for YYYY, 1 for MM, 2 for DD
		n[part] = n[part]*10 + int(c-'0')
	}
	// Integer arithmetic, not time.Parse: a stored event's dates are read on every
	// fold, and time.Parse alone took 167-194 ns.
	if n[1] < 1 || n[1] > 12 || n[2] < 1 || n[2] > daysIn(n[0], time.Month(n[1])) {
		return NoDate, fmt.Errorf("%q is not a real calendar date", s)
	}
	return Date(daysFromCivil(n[0], n[1], n[2])), nil
}

// MustDate parses a date known to be valid (tests, constants).
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func (d Date) String() string {
	if d == NoDate {
		return ""
	}
	var b [10]byte
	if out, ok := d.appendText(b[:0]); ok {
		return string(out)
	}
	return d.Time().Format(time.DateOnly)
}

// appendText appends YYYY-MM-DD for years 0000-9999, all that ParseDate reads; other
// years are left to time.Format.
func (d Date) appendText(b []byte) ([]byte, bool) {
	y, m, day := civil(int(d))
	if y < 0 || y > 9999 {
		return b, false
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10)), true
}

// AddDays moves the date by n calendar days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// AddMonths keeps the day of month and clamps it to the end of the target month:
// 2026-08-31 + 6 months = 2027-02-28. time.AddDate would normalise to 2027-03-03,
// which is wrong for due dates.
func (d Date) AddMonths(n int) Date {
	y, m, day := civil(int(d))
	total := m - 1 + n
	ty := y + floorDiv(total, 12)
	tm := time.Month(total - floorDiv(total, 12)*12 + 1)
	if last := daysIn(ty, tm); day > last {
		day = last
	}
	return NewDate(ty, tm, day)
}

// Weekday of the date.
func (d Date) Weekday() time.Weekday { return time.Weekday((int64(d)%7 + 7 + 4) % 7) }

// Quarter the date falls in.
func (d Date) Quarter() Quarter {
	y, m, _ := civil(int(d))
	return Quarter{year: y, q: (m-1)/3 + 1}
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Quarter is a calendar quarter, 2026Q1 = 2026-01-01..2026-03-31.
type Quarter struct {
	year int
	q    int
}

// ParseQuarter reads "2026Q1".
func ParseQuarter(s string) (Quarter, error) {
	bad := len(s) != 6 || s[4] != 'Q' || s[5] < '1' || s[5] > '4'
	y := 0
	for i := 0; !bad && i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			bad = true
			break
		}
		y = y*10 + int(s[i]-'0')
	}
	if bad || y < 1 {
		return Quarter{}, fmt.Errorf("%q is not a quarter of the form YYYYQn", s)
	}
	return Quarter{year: y, q: int(s[5] - '0')}, nil
}

// IsZero reports whether the quarter is unset.
func (q Quarter) IsZero() bool { return q.q == 0 }

// First day of the quarter.
func (q Quarter) First() Date { return NewDate(q.year, time.Month((q.q-1)*3+1), 1) }

// Last day of the quarter.
func (q Quarter) Last() Date { return q.Next().First() - 1 }

// Next quarter.
func (q Quarter) Next() Quarter {
	if q.q == 4 {
		return Quarter{year: q.year + 1, q: 1}
	}
	return Quarter{year: q.year, q: q.q + 1}
}

// Less orders quarters in time.
func (q Quarter) Less(o Quarter) bool {
	if q.year != o.year {
		return q.year < o.year
	}
	return q.q < o.q
}

func (q Quarter) String() string {
	if q.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04dQ%d", q.year, q.q)
}

// MarshalBinary and UnmarshalBinary let snapshots carry a quarter as "2026Q1".
func (q Quarter) MarshalBinary() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalBinary: see MarshalBinary. The empty text is the zero quarter.
func (q *Quarter) UnmarshalBinary(b []byte) error { return unmarshalText(q, b, ParseQuarter) }
