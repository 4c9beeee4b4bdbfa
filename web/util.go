package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// decimalSum is an exact running total; the zero value is zero.
type decimalSum struct{ d decimal.Decimal }

func (s *decimalSum) add(v decimal.Decimal) { s.d = s.d.Add(v) }

func (s decimalSum) neg() decimalSum { return decimalSum{s.d.Neg()} }

func (s decimalSum) format(c domain.Currency) string { return domain.FormatMoney(s.d, c) }

// paidFor sums the payments applied to the invoice effective in [from, to] (credit
// applied at the invoice's issue is not a payment of it), as a promise counts them.
func paidFor(inv *domain.Invoice, from, to domain.Date) decimal.Decimal {
	sum := decimal.Zero
	for _, ap := range inv.Apps {
		if ap.Kind == domain.AppPayment && !ap.AtIssue && ap.On >= from && ap.On <= to {
			sum = sum.Add(ap.Amount)
		}
	}
	return sum
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// newNonce is a fresh random form nonce: 128 bits, hex.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validNonce accepts what newNonce makes.
func validNonce(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
