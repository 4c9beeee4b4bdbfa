package projections

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

// The process-wide due-date table answers like the direct computation, for dates
// inside the days it keeps and outside them, asked from several goroutines at once
// (run with -race), and a kept date is made once.
func TestDueDatesAnswerLikeTheDirectComputation(t *testing.T) {
	center := domain.MustDate("2026-06-30")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(7, uint64(g)))
			for i := range 5000 {
				d := center.AddDays(rng.IntN(2000) - 1000)
				if i%3 == 0 {
					d = center.AddDays(rng.IntN(400000) - 200000) // often outside 1950-2129
				}
				got := dueDateOf(d)
				since := domain.DoubtfulFrom(d)
				if got.text != d.String() || got.doubtfulSince != since || got.sinceText != since.String() {
					t.Errorf("dueDateOf(%s) = %+v", d, *got)
					return
				}
			}
		})
	}
	wg.Wait()
	if a, b := dueDateOf(center), dueDateOf(center); a != b {
		t.Error("a kept date was made again")
	}
	if before := dueDatesBase - 1; dueDateOf(before) == dueDateOf(before) {
		t.Error("a date outside the table was kept")
	}
}
