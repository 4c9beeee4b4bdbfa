package web

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// decimalSum is an exact running total; the zero value is zero.
type decimalSum struct{ d decimal.Decimal }

func (s *decimalSum) add(v decimal.Decimal) { s.d = s.d.Add(v) }

func (s decimalSum) neg() decimalSum { return decimalSum{s.d.Neg()} }

func (s decimalSum) format(c domain.Currency) string { return domain.FormatMoney(s.d, c) }

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
