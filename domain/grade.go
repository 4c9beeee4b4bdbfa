package domain

import "fmt"

// Rating is one indicator's A, B or C.
type Rating byte

const (
	RatingA Rating = 'A'
	RatingB Rating = 'B'
	RatingC Rating = 'C'
)

// ParseRating reads "A", "B" or "C".
func ParseRating(s string) (Rating, error) {
	switch s {
	case "A", "B", "C":
		return Rating(s[0]), nil
	}
	return 0, fmt.Errorf("%q is not a rating (A, B or C)", s)
}

func (r Rating) String() string { return string(rune(r)) }

// KeyIndicators are the four ratings every assessment must have.
type KeyIndicators struct {
	AnnualSales, MonthlySales, PaymentMethod, PaymentRecord Rating
}

func (k KeyIndicators) all() []Rating {
	return []Rating{k.AnnualSales, k.MonthlySales, k.PaymentMethod, k.PaymentRecord}
}

// GradeFor applies the credit-grade table (SPEC section 2): the first matching row wins.
func GradeFor(key KeyIndicators, other []Rating) int {
	kc := count(key.all())
	oc := count(other)
	n := len(other)
	switch {
	case kc[RatingC] >= 2:
		return 5
	case kc[RatingC] == 1:
		return 4
	case kc[RatingB] == 4:
		if oc[RatingC] > 0 {
			return 4
		}
		return 3
	case kc[RatingA] == 4:
		switch {
		case n > 0 && oc[RatingB] == n:
			return 2
		case oc[RatingC] > 0 && oc[RatingA] > 0:
			return 2
		case oc[RatingC] > 0: // only B and C, at least one C
			return 3
		default: // only A and B, or none
			return 1
		}
	default: // key indicators mixed A and B
		if oc[RatingA] == n {
			return 2
		}
		return 3
	}
}

func count(rs []Rating) map[Rating]int {
	m := map[Rating]int{}
	for _, r := range rs {
		m[r]++
	}
	return m
}
