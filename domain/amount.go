package domain

import (
	"cmp"
	"fmt"
	"math"

	"github.com/shopspring/decimal"
)

// ParseAmount reads an amount as written in a command: plain digits with an optional
// point and at most the currency's minor digits, strictly greater than zero. Decimals
// are counted as written, so "10.000" is refused for CNY even though it equals 10.
func ParseAmount(s string, c Currency) (decimal.Decimal, error) {
	d, err := parsePlainDecimal(s, c.Digits())
	if err != nil {
		return decimal.Zero, err
	}
	if !d.IsPositive() {
		return decimal.Zero, fmt.Errorf("%q must be greater than zero", s)
	}
	return d, nil
}

// ParseRate reads a fund rate: plain digits, at most 6 decimals, 0 <= rate < 1.
func ParseRate(s string) (decimal.Decimal, error) {
	d, err := parsePlainDecimal(s, 6)
	if err != nil {
		return decimal.Zero, err
	}
	if d.GreaterThanOrEqual(decimal.NewFromInt(1)) {
		return decimal.Zero, fmt.Errorf("%q must be less than 1", s)
	}
	return d, nil
}

func parsePlainDecimal(s string, maxDecimals int32) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Zero, fmt.Errorf("empty value")
	}
	point := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && point < 0:
			point = i
		default:
			return decimal.Zero, fmt.Errorf("%q is not a plain decimal (digits with an optional point)", s)
		}
	}
	if point == 0 || point == len(s)-1 {
		return decimal.Zero, fmt.Errorf("%q is not a plain decimal (digits on both sides of the point)", s)
	}
	if point > 0 && int32(len(s)-point-1) > maxDecimals {
		return decimal.Zero, fmt.Errorf("%q has %d decimals; at most %d allowed", s, len(s)-point-1, maxDecimals)
	}
	if len(s) > 40 {
		return decimal.Zero, fmt.Errorf("%q is too long", s)
	}
	if d, ok := ShortDecimal(s); ok {
		return d, nil
	}
	return decimal.RequireFromString(s), nil
}

// ShortDecimal reads a plain decimal (an optional minus, digits, an optional point and
// digits) of at most 18 digits, the amounts of every real ledger, as
// decimal.NewFromString does: the digits as one int64 (big.NewInt) and
// minus the count of fraction digits as exponent, trailing zeros kept. It skips that
// function's search for an exponent and the string it joins the digits into, which
// were most of reading an amount, on every fold and every imported line.
// TestShortDecimalIsNewFromString holds the two equal; false means: use that function.
func ShortDecimal(s string) (decimal.Decimal, bool) {
	var v int64
	digits, exp, neg, frac := 0, int32(0), false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			v = v*10 + int64(c-'0')
			digits++
			if frac {
				exp--
			}
		case c == '-' && i == 0:
			neg = true
		case c == '.' && !frac:
			frac = true
		default:
			return decimal.Decimal{}, false
		}
	}
	first := 0 // after the minus
	if neg {
		first = 1
	}
	// Digits on both sides of a point, and no more than an int64 surely holds.
	if digits == 0 || digits > 18 || s[first] == '.' || s[len(s)-1] == '.' {
		return decimal.Decimal{}, false
	}
	if neg {
		v = -v
	}
	if v == 0 && exp == 0 {
		return zero, true
	}
	return decimal.New(v, exp), true
}

// zero is the "0" of ShortDecimal, one value for all: most invoices carry a fund rate
// of 0 and most payments an unapplied 0, and a big.Int apiece was one allocation in
// sixteen of a rebuild and 32 bytes of every folded invoice. A decimal's big.Int is
// never changed in place (shopspring's decimal.Zero is shared the same way).
var zero = decimal.New(0, 0)

// RoundMoney rounds a derived amount once, half away from zero, to the currency's minor
// digits. shopspring's Round rounds half away from zero.
func RoundMoney(d decimal.Decimal, c Currency) decimal.Decimal { return d.Round(c.Digits()) }

// FormatMoney prints an amount with exactly the currency's minor digits and never
// "-0.00".
func FormatMoney(d decimal.Decimal, c Currency) string {
	r := d.Round(c.Digits())
	if r.IsZero() {
		r = decimal.Zero
	}
	return r.StringFixed(c.Digits())
}

// AppendFixed appends v × 10^-digits with exactly digits decimals: the text of
// decimal.New(v, -digits).StringFixed(digits), without the decimal. Reports print
// one per row and the codec one per stored amount; strconv's text then padded and
// copied twice was a tenth of a bad-debt register.
func AppendFixed(dst []byte, v int64, digits int32) []byte {
	if v == math.MinInt64 || digits < 0 || digits > 18 {
		return append(dst, decimal.New(v, -digits).StringFixed(digits)...)
	}
	// Written backwards into a buffer, digit by digit.
	u := uint64(v)
	if v < 0 {
		u = uint64(-v)
	}
	var buf [32]byte // a minus, "0." and 18 decimals, or 19 digits, a point and a minus
	i := len(buf)
	for range digits {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	if digits > 0 {
		i--
		buf[i] = '.'
	}
	for { // at least one digit before the point
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if v < 0 {
		i--
		buf[i] = '-'
	}
	return append(dst, buf[i:]...)
}

// MinorUnits returns d in minor units of c (cents for CNY) when that is an exact
// int64 with room to spare for sums (at most 15 digits before scaling). Reports sum
// such amounts as integers and fall back to decimals for anything else.
func MinorUnits(d decimal.Decimal, c Currency) (int64, bool) {
	if d.NumDigits() > 15 {
		return 0, false
	}
	shift := d.Exponent() + c.Digits()
	if shift < 0 || shift > 3 {
		return 0, false
	}
	v := d.CoefficientInt64()
	for ; shift > 0; shift-- {
		v *= 10
	}
	return v, true
}

// storedAmount is an amount of a known currency as the books keep it: minor units
// when the amount has an exact int64 form (see MinorUnits), the decimal otherwise. A
// decimal holds a big.Int on the heap; a million invoices' amounts and outstandings
// are kept without one each.
type storedAmount struct {
	minor int64
	exact *decimal.Decimal // nil: minor is the amount
}

func storeAmount(d decimal.Decimal, c Currency) storedAmount {
	if m, ok := MinorUnits(d, c); ok {
		return storedAmount{minor: m}
	}
	return storedAmount{exact: &d}
}

// value is the amount as a decimal of c's scale (or as it was given, when it had no
// minor-unit form).
func (s storedAmount) value(c Currency) decimal.Decimal {
	if s.exact != nil {
		return *s.exact
	}
	return decimal.New(s.minor, -c.Digits())
}

// minorUnits is the amount in minor units, when it has that form.
func (s storedAmount) minorUnits() (int64, bool) { return s.minor, s.exact == nil }

func (s storedAmount) sign() int {
	if s.exact != nil {
		return s.exact.Sign()
	}
	return cmp.Compare(s.minor, 0)
}
