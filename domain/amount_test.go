package domain_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// TestShortDecimalIsNewFromString: what ShortDecimal reads must be the very value
// decimal.NewFromString gives (coefficient, exponent and so the printed text), for
// edge cases and for random amounts around the 18-digit limit; what it leaves alone
// is what a plain decimal of 18 digits is not.
func TestShortDecimalIsNewFromString(t *testing.T) {
	cases := []string{"0", "-0", "0.0", "-0.00", "000123.4500", "1", "-1", "10", "100.00", "0.01", "-0.000001",
		"999999999999999999", "-999999999999999999", "99999999999999999.9", "0.00000000000000001",
		"9999999999999999999", "1000000000000000000", "12345678901234567.890", "-9223372036854775808",
		"", "-", ".", "1.", ".5", "-.5", "1.2.3", "--1", "1-", "+1", "1e3", " 1", "1 ", "1_000", "٣"}
	rng := rand.New(rand.NewPCG(7, 11))
	for range 20000 {
		var b strings.Builder
		if rng.IntN(4) == 0 {
			b.WriteByte('-')
		}
		for range 1 + rng.IntN(12) {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		if frac := rng.IntN(9); frac > 0 {
			b.WriteByte('.')
			for range frac {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		cases = append(cases, b.String())
	}
	read := 0
	for _, s := range cases {
		got, ok := domain.ShortDecimal(s)
		digits := strings.Count(s, "") - 1 - strings.Count(s, "-") - strings.Count(s, ".")
		plain := len(s) > 0 && strings.Trim(s, "-0123456789.") == "" && strings.Count(s, ".") <= 1 &&
			strings.LastIndex(s, "-") <= 0 && !strings.HasPrefix(strings.TrimPrefix(s, "-"), ".") && !strings.HasSuffix(s, ".") &&
			digits > 0 && digits <= 18
		if ok != plain {
			t.Fatalf("ShortDecimal(%q) ok = %v, want %v", s, ok, plain)
		}
		if !ok {
			continue
		}
		read++
		want, err := decimal.NewFromString(s)
		if err != nil {
			t.Fatalf("ShortDecimal(%q) = %s, but NewFromString refuses it: %v", s, got, err)
		}
		if !reflect.DeepEqual(got, want) || got.String() != want.String() || got.Exponent() != want.Exponent() {
			t.Fatalf("ShortDecimal(%q) = %s (exp %d), want %s (exp %d)", s, got, got.Exponent(), want, want.Exponent())
		}
	}
	if read < len(cases)*9/10 {
		t.Fatalf("read only %d of %d amounts", read, len(cases))
	}
}

// TestAppendFixedIsStringFixed: AppendFixed writes what decimal's StringFixed writes,
// after whatever dst holds, for every number of digits at and around each power of ten,
// the int64 limits and random values.
func TestAppendFixedIsStringFixed(t *testing.T) {
	vals := []int64{0, 1, -1, 5, -5, math.MaxInt64, math.MinInt64, math.MinInt64 + 1, math.MaxInt64 - 1}
	for p := int64(1); p > 0 && p <= math.MaxInt64/10; p *= 10 {
		vals = append(vals, p-1, p, p+1, -(p - 1), -p, -(p + 1), 10*p-1, -(10*p - 1))
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for range 2000 {
		vals = append(vals, rng.Int64()>>rng.IntN(64), -rng.Int64()>>rng.IntN(64))
	}
	for _, v := range vals {
		for digits := int32(-2); digits <= 20; digits++ {
			checkAppendFixed(t, v, digits)
		}
	}
}

func FuzzAppendFixed(f *testing.F) {
	f.Add(int64(12345), int32(2))
	f.Add(int64(-7), int32(3))
	f.Add(int64(math.MinInt64), int32(18))
	f.Fuzz(func(t *testing.T, v int64, digits int32) {
		checkAppendFixed(t, v, digits%24)
	})
}

func checkAppendFixed(t *testing.T, v int64, digits int32) {
	t.Helper()
	want := decimal.New(v, -digits).StringFixed(digits)
	for _, prefix := range []string{"", "x,"} {
		dst := make([]byte, len(prefix), len(prefix)+int(v&3)) // room for none, some or all of it
		copy(dst, prefix)
		if got := string(domain.AppendFixed(dst, v, digits)); got != prefix+want {
			t.Fatalf("AppendFixed(%q, %d, %d) = %q, want %q", prefix, v, digits, got, prefix+want)
		}
	}
}

// BenchmarkAppendFixed prints report-sized amounts (cents up to a few thousand) into
// a buffer with room, as the bad-debt register does.
func BenchmarkAppendFixed(b *testing.B) {
	buf := make([]byte, 0, 64)
	for i := range b.N {
		buf = domain.AppendFixed(buf[:0], int64(1000+i%500000), 2)
	}
}
