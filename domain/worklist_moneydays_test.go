package domain

import (
	"testing"

	"github.com/shopspring/decimal"
)

// The worklist's piecewise-linear money-days must equal the direct definition on
// every day, through issue, due, partial payments, extensions and a write-off.
func TestMoneyDaysPiecewiseMatchesDefinition(t *testing.T) {
	d := MustDate
	m := decimal.RequireFromString
	cny, usd := MustCurrency("CNY"), MustCurrency("USD")
	a := NewAccount("C")
	a.Apply(CustomerRegistered{On: d("2025-12-01"), Customer: "C", Grade: 1, Collector: "ann"})
	a.Apply(InvoiceIssued{On: d("2026-01-01"), Invoice: "I1", Amount: m("1000.00"), Currency: cny, Due: d("2026-01-31")})
	a.Apply(InvoiceIssued{On: d("2026-01-10"), Invoice: "I2", Amount: m("250.25"), Currency: usd, Due: d("2026-01-10")})
	a.Apply(InvoiceIssued{On: d("2026-02-01"), Invoice: "I3", Amount: m("80.00"), Currency: cny, Due: d("2026-02-20")})
	a.Apply(PaymentRecorded{On: d("2026-02-05"), Payment: "P1", Amount: m("400.00"), Currency: cny,
		Allocations: []Allocation{{Invoice: "I1", Amount: m("400.00"), Remaining: m("600.00")}}})
	a.Apply(ExtensionGranted{On: d("2026-02-10"), Invoice: "I1", Due: d("2026-03-15"), PreviousDue: d("2026-01-31")})
	a.Apply(PaymentRecorded{On: d("2026-01-05"), Payment: "P2", Amount: m("50.25"), Currency: usd, // back-dated, before issue
		Allocations: []Allocation{{Invoice: "I2", Amount: m("50.25"), Remaining: m("200.00")}}})
	a.Apply(InvoiceWrittenOff{On: d("2026-04-01"), Invoice: "I2", Amount: m("200.00"), Reason: ReasonOther, Forced: true})
	a.Apply(PaymentRecorded{On: d("2026-03-01"), Payment: "P3", Amount: m("80.00"), Currency: cny,
		Allocations: []Allocation{{Invoice: "I3", Amount: m("80.00"), Remaining: m("0")}}})

	c := &wlCustomer{id: "C", account: a}
	c.prepareMoneyDays()
	for x := d("2025-12-25"); x <= d("2026-06-30"); x++ {
		got, want := c.moneyDaysAt(x), MoneyDaysAtRisk(a, x)
		if !got.Equal(want) {
			t.Fatalf("%s: piecewise %s, definition %s", x, got, want)
		}
	}
}
