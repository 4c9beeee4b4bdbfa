package domain_test

import (
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
)

// TestCivilAgreesWithTime holds the date arithmetic, which works on day numbers
// without the time package, to the time package: every day of 1600-2400 and every
// thirteenth day from about year -1040 to 12100, where printing leaves years past 9999 to
// time.Format.
func TestCivilAgreesWithTime(t *testing.T) {
	first := domain.NewDate(1600, time.January, 1)
	last := domain.NewDate(2400, time.December, 31)
	for d := domain.Date(-1_100_000); d < 3_700_000; d++ {
		if (d < first || d > last) && d%13 != 0 {
			continue
		}
		tm := time.Unix(int64(d)*86400, 0).UTC()
		y, m, day := tm.Date()
		if got := domain.NewDate(y, m, day); got != d {
			t.Fatalf("NewDate(%d, %d, %d) = %d, want %d", y, m, day, got, d)
		}
		if got, want := d.String(), tm.Format(time.DateOnly); got != want {
			t.Fatalf("Date(%d).String() = %q, want %q", d, got, want)
		}
		if got, want := d.Quarter().First(), domain.NewDate(y, (m-1)/3*3+1, 1); got != want {
			t.Fatalf("%s.Quarter().First() = %s, want %s", tm.Format(time.DateOnly), got, want)
		}
		for _, n := range []int{-13, -1, 1, 6, 25} {
			// What AddMonths means: the same day n months on, clamped to that month's end.
			target := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
			end := target.AddDate(0, 1, -1).Day()
			want := domain.NewDate(target.Year(), target.Month(), min(day, end))
			if got := d.AddMonths(n); got != want {
				t.Fatalf("%s + %d months = %s, want %s", tm.Format(time.DateOnly), n, got, want)
			}
		}
	}
}

// TestNewDateNormalisesLikeTimeDate: kpi.go asks for month 13 and callers may pass
// day 0; both must move on as time.Date does.
func TestNewDateNormalisesLikeTimeDate(t *testing.T) {
	for _, y := range []int{-401, -1, 0, 1900, 2000, 2024, 2026, 9999} {
		for m := -30; m <= 30; m++ {
			for day := -40; day <= 70; day += 3 {
				want := time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC).Unix() / 86400
				if got := domain.NewDate(y, time.Month(m), day); int64(got) != want {
					t.Fatalf("NewDate(%d, %d, %d) = %d, want %d", y, m, day, got, want)
				}
			}
		}
	}
}

func BenchmarkDateString(b *testing.B) {
	d := domain.MustDate("2026-12-31")
	for i := 0; i < b.N; i++ {
		_ = (d + domain.Date(i%1000)).String()
	}
}
