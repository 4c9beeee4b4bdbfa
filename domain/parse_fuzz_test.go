package domain_test

// Fuzz tests of the value parsers (SPEC section 1): amounts and business dates. Each
// checks the parser against an independent reading of the SPEC text, and that what it
// accepts prints back as written.
//
//	go test -run '^$' -fuzz FuzzParseAmount -fuzztime 1m ./domain
//
// Helpers are prefixed "fz" so that they cannot collide with other test files.

import (
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

// fzCurrencies covers every number of minor digits.
var fzCurrencies = []string{"CNY", "JPY", "KWD", "CLF", "USD", "KRW", "BHD", "EUR"}

// fzAmountOK says whether s is an amount SPEC section 1 accepts for a currency of
// the given minor digits: plain digits with an optional point that has digits on
// both sides, at most that many decimals as written, greater than zero. (The parser
// also refuses more than 40 characters: no money needs them.)
func fzAmountOK(s string, digits int) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if intPart == "" || (hasPoint && frac == "") || len(frac) > digits {
		return false
	}
	nonZero := false
	for _, part := range []string{intPart, frac} {
		for _, c := range []byte(part) {
			if c < '0' || c > '9' {
				return false
			}
			nonZero = nonZero || c != '0'
		}
	}
	return nonZero
}

// fzCanonicalAmount is how an accepted amount prints: the integer part without
// leading zeros, the decimals padded with zeros to the currency's digits.
func fzCanonicalAmount(s string, digits int) string {
	intPart, frac, _ := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if digits == 0 {
		return intPart
	}
	return intPart + "." + frac + strings.Repeat("0", digits-len(frac))
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{
		// accepted
		"1250.50", "1", "0.01", "10.00", "007.5", "99999999999999999999999999999999999999.9",
		"5000", "0.001", "1.2345",
		// refused
		"", "0", "0.00", "000", "12.", ".5", "12,50", "-1", "+1", "1e3", "1E3", "0x10", " 1", "1 ",
		"10.000", "1.2.3", "١٢", "１２", "NaN", "Infinity", "1_000", "\"12\"", "12.5\x00",
		"1234567890123456789012345678901234567890.5",
	} {
		for i := range fzCurrencies {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, s string, which uint8) {
		cur := domain.MustCurrency(fzCurrencies[int(which)%len(fzCurrencies)])
		digits := int(cur.Digits())
		d, err := domain.ParseAmount(s, cur)
		want := fzAmountOK(s, digits)
		if err != nil {
			if want {
				t.Fatalf("ParseAmount(%q, %s) refused a valid amount: %v", s, cur, err)
			}
			if err.Error() == "" {
				t.Fatalf("ParseAmount(%q, %s): refusal without a message", s, cur)
			}
			return
		}
		if !want {
			t.Fatalf("ParseAmount(%q, %s) = %s, want a refusal", s, cur, d)
		}
		if !d.IsPositive() {
			t.Fatalf("ParseAmount(%q, %s) = %s, not > 0", s, cur, d)
		}
		got := domain.FormatMoney(d, cur)
		if wantS := fzCanonicalAmount(s, digits); got != wantS {
			t.Fatalf("FormatMoney(ParseAmount(%q, %s)) = %q, want %q", s, cur, got, wantS)
		}
		// What FormatMoney prints is itself an accepted amount of the same value (unless
		// the padding took it past the parser's 40 characters).
		if again, err := domain.ParseAmount(got, cur); len(got) <= 40 && (err != nil || !again.Equal(d)) {
			t.Fatalf("ParseAmount(%q, %s) after printing = %s, %v; want %s", got, cur, again, err, d)
		}
		// Rounding an amount that has at most the currency's digits changes nothing.
		if r := domain.RoundMoney(d, cur); !r.Equal(d) {
			t.Fatalf("RoundMoney(%s, %s) = %s", d, cur, r)
		}
	})
}

// fzDateOK says whether s is a real calendar date written YYYY-MM-DD (proleptic
// Gregorian, years 0000-9999).
func fzDateOK(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	num := func(p string) (int, bool) {
		n := 0
		for _, c := range []byte(p) {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := []int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		// accepted
		"2026-01-02", "2026-02-28", "2028-02-29", "2000-02-29", "1970-01-01", "1969-12-31",
		"0001-01-01", "9999-12-31", "0000-02-29", "2026-08-31",
		// refused
		"", "2026-02-29", "1900-02-29", "2026-02-30", "2026-04-31", "2026-13-01", "2026-00-10",
		"2026-01-00", "2026-1-01", "26-01-01", "2026/01/02", "2026-01-02T00:00:00Z", " 2026-01-02",
		"2026-01-02 ", "+026-01-02", "-026-01-02", "2026-0a-01", "2026-01-0１", "２026-01-01", "2026--1-01",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := domain.ParseDate(s)
		want := fzDateOK(s)
		if err != nil {
			if want {
				t.Fatalf("ParseDate(%q) refused a real date: %v", s, err)
			}
			if d != domain.NoDate {
				t.Fatalf("ParseDate(%q) refused but returned %d, not NoDate", s, d)
			}
			return
		}
		if !want {
			t.Fatalf("ParseDate(%q) = %s, want a refusal", s, d)
		}
		if d == domain.NoDate {
			t.Fatalf("ParseDate(%q) accepted as NoDate", s)
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, d.String())
		}
		again, err := domain.ParseDate(d.String())
		if err != nil || again != d {
			t.Fatalf("ParseDate(%q) = %d, %v; want %d", d.String(), again, err, d)
		}
		// The day number agrees with NewDate and with the neighbouring days.
		tm := d.Time()
		if nd := domain.NewDate(tm.Date()); nd != d {
			t.Fatalf("NewDate(%s) = %d, want %d", s, nd, d)
		}
		if next := d.AddDays(1); next.Time().Sub(tm).Hours() != 24 {
			t.Fatalf("%s + 1 day = %s", s, next)
		}
	})
}
