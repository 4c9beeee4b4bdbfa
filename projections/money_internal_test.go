package projections

import (
	"math/rand/v2"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

// The due-date cache answers like the direct computation for dates asked in any order,
// before and after the first one, near and beyond the span it keeps.
func TestDueDatesCache(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	first := domain.MustDate("2026-06-30")
	var c dueDates
	for i := 0; i < 20000; i++ {
		var d domain.Date
		switch i % 4 {
		case 0, 1:
			d = first.AddDays(rng.IntN(2000) - 1000)
		case 2:
			d = first.AddDays(rng.IntN(200000) - 100000) // mostly outside the kept span
		default:
			d = first
		}
		got := c.get(d)
		since := domain.DoubtfulFrom(d)
		if got.text != d.String() || got.doubtfulSince != since || got.sinceText != since.String() {
			t.Fatalf("get(%s) = %+v", d, got)
		}
	}
	if len(c.byDay) > maxDueSpan {
		t.Fatalf("cache holds %d days, more than %d", len(c.byDay), maxDueSpan)
	}
}
