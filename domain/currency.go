package domain

import (
	"fmt"
	"sort"
)

// Currency is an active ISO 4217 currency with its minor digits. Outside code gets one
// only through ParseCurrency, so a Currency value is always a known code.
//
// It is held as a small index into the table of codes: every invoice, lot and amount
// carries one, and two bytes instead of a string and an int keep a million invoices
// tens of megabytes smaller. Values still compare with ==.
type Currency struct{ id uint16 }

// currencyInfo is one entry of the table; entry 0 is the unset currency.
type currencyInfo struct {
	code   string
	digits int32
}

var (
	currencyTable = []currencyInfo{{}}
	currencyIDs   = map[string]uint16{}
)

func init() {
	codes := make([]string, 0, len(minorDigits))
	for code := range minorDigits {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		currencyIDs[code] = uint16(len(currencyTable))
		currencyTable = append(currencyTable, currencyInfo{code: code, digits: minorDigits[code]})
	}
}

// ParseCurrency accepts every active ISO 4217 code that has a minor unit and refuses
// anything else (lower case, withdrawn codes, metals and testing codes such as XAU
// and XXX, which have no minor unit to round money to).
func ParseCurrency(code string) (Currency, error) {
	id, ok := currencyIDs[code]
	if !ok {
		return Currency{}, fmt.Errorf("%q is not an active ISO 4217 currency code", code)
	}
	return Currency{id: id}, nil
}

// MustCurrency is ParseCurrency for codes known to be valid.
func MustCurrency(code string) Currency {
	c, err := ParseCurrency(code)
	if err != nil {
		panic(err)
	}
	return c
}

// Code is the three-letter code.
func (c Currency) Code() string { return currencyTable[c.id].code }

// Digits is the number of minor digits (2 for CNY, 0 for JPY, 3 for KWD).
func (c Currency) Digits() int32 { return currencyTable[c.id].digits }

// IsZero reports whether the currency is unset.
func (c Currency) IsZero() bool { return c.id == 0 }

func (c Currency) String() string { return c.Code() }

// minorDigits lists the active ISO 4217 codes (list one, as amended to 2025: BGN,
// HRK, SLL, ANG, ZWL and other withdrawn codes are gone; XCG, SLE, VED, ZWG are in).
var minorDigits = func() map[string]int32 {
	m := map[string]int32{}
	two := []string{
		"AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
		"BDT", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
		"CAD", "CDF", "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUP", "CVE",
		"CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
		"GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR",
		"ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK",
		"LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
		"MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
		"NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON",
		"RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS",
		"SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY",
		"TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS", "VED", "VES", "WST",
		"XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
	}
	zero := []string{
		"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
		"UYI", "VND", "VUV", "XAF", "XOF", "XPF",
	}
	three := []string{"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
	four := []string{"CLF", "UYW"}
	for _, c := range two {
		m[c] = 2
	}
	for _, c := range zero {
		m[c] = 0
	}
	for _, c := range three {
		m[c] = 3
	}
	for _, c := range four {
		m[c] = 4
	}
	return m
}()

// MarshalBinary and UnmarshalBinary let snapshots carry a currency as its code.
func (c Currency) MarshalBinary() ([]byte, error) { return []byte(c.Code()), nil }

// UnmarshalBinary: see MarshalBinary. The empty code is the zero currency.
func (c *Currency) UnmarshalBinary(b []byte) error { return unmarshalText(c, b, ParseCurrency) }
