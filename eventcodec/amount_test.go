package eventcodec

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

// TestAmountIsDecimalString: amount must print every decimal exactly as
// decimal.String does, the short cut of up to 18 digits and what it leaves to
// decimal.String alike.
func TestAmountIsDecimalString(t *testing.T) {
	ds := []decimal.Decimal{{}, decimal.Zero, decimal.New(0, -2), decimal.New(-1, -2), decimal.New(100, -2),
		decimal.New(12345, -2), decimal.New(-12300, -4), decimal.New(5, 2), decimal.New(-5, 0),
		decimal.New(999999999999999999, -18), decimal.New(-999999999999999999, -3), decimal.New(1, -18),
		decimal.New(1, -19), decimal.New(1000000000000000000, -2), decimal.New(-9223372036854775808, -2),
		decimal.RequireFromString("123456789012345678901234567890.1200")}
	rng := rand.New(rand.NewPCG(3, 5))
	for range 50000 {
		v := rng.Int64N(1 << uint(1+rng.IntN(62)))
		if rng.IntN(3) == 0 {
			v = -v
		}
		if rng.IntN(4) == 0 {
			v -= v % 1000 // trailing zeros
		}
		ds = append(ds, decimal.New(v, -int32(rng.IntN(21))))
	}
	huge := new(big.Int).Lsh(big.NewInt(1), 70)
	ds = append(ds, decimal.NewFromBigInt(huge, -5))
	for _, d := range ds {
		if got, want := amount(d), d.String(); got != want {
			t.Fatalf("amount(%v × 10^%d) = %q, want %q", d.Coefficient(), d.Exponent(), got, want)
		}
	}
}
