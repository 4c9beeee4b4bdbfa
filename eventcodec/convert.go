package eventcodec

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// enc collects the first error met while converting a domain event to its wire
// struct, so the conversions read as plain struct literals.
type enc struct {
	typ string
	err error
}

func (e *enc) fail(field string, err error) {
	if e.err == nil {
		e.err = fmt.Errorf("%s: %s: %w", e.typ, field, err)
	}
}

func (e *enc) date(field string, d domain.Date) string {
	if d == domain.NoDate {
		e.fail(field, errors.New("missing date"))
		return ""
	}
	return e.checkDate(field, d)
}

// optDate is "" (omitted) for NoDate.
func (e *enc) optDate(field string, d domain.Date) string {
	if d == domain.NoDate {
		return ""
	}
	return e.checkDate(field, d)
}

// checkDate refuses a date outside years 0000-9999, which ParseDate could not read
// back.
func (e *enc) checkDate(field string, d domain.Date) string {
	s := d.String()
	if len(s) != 10 {
		e.fail(field, fmt.Errorf("date %s is outside years 0000-9999", s))
	}
	return s
}

func (e *enc) currency(c domain.Currency) string {
	if c.IsZero() {
		e.fail("currency", errors.New("missing currency"))
	}
	return c.Code()
}

func (e *enc) quarter(q domain.Quarter) string {
	if q.IsZero() {
		e.fail("quarter", errors.New("missing quarter"))
	}
	return q.String()
}

func (e *enc) action(a domain.Action) string {
	if a.IsZero() {
		e.fail("action", errors.New("missing action"))
	}
	return a.String()
}

func (e *enc) reason(r domain.WriteOffReason) string {
	if r == (domain.WriteOffReason{}) {
		e.fail("reason", errors.New("missing write-off reason"))
	}
	return r.String()
}

func (e *enc) rating(field string, r domain.Rating) string {
	switch r {
	case domain.RatingA:
		return "A"
	case domain.RatingB:
		return "B"
	case domain.RatingC:
		return "C"
	}
	e.fail(field, fmt.Errorf("invalid rating %q", rune(r)))
	return ""
}

func (e *enc) ratings(field string, rs []domain.Rating) []string {
	if len(rs) == 0 {
		return nil
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = e.rating(field, r)
	}
	return out
}

// amount is d.String(): the digits with the point placed by the exponent and the
// fraction's trailing zeros trimmed, the point with them. Every amount of every commit
// is written through it, and decimal.String went through a big.Int's text and four
// string joins; a coefficient of at most 18 digits is printed from its int64 instead.
// TestAmountIsDecimalString holds the two to the same text.
func amount(d decimal.Decimal) string {
	e := d.Exponent()
	if e > 0 || e < -18 || d.NumDigits() > 18 {
		return d.String()
	}
	var buf [32]byte
	out := domain.AppendFixed(buf[:0], d.CoefficientInt64(), -e)
	if e < 0 {
		out = bytes.TrimSuffix(bytes.TrimRight(out, "0"), []byte("."))
	}
	return string(out)
}

func encAllocations(as []domain.Allocation) []wireAllocation {
	if len(as) == 0 {
		return nil
	}
	out := make([]wireAllocation, len(as))
	for i, a := range as {
		out[i] = wireAllocation{Invoice: a.Invoice, Amount: amount(a.Amount),
			Explicit: a.Explicit, Remaining: amount(a.Remaining)}
	}
	return out
}

func encRecoveries(rs []domain.Recovery) []wireRecovery {
	if len(rs) == 0 {
		return nil
	}
	out := make([]wireRecovery, len(rs))
	for i, r := range rs {
		out[i] = wireRecovery{Invoice: r.Invoice, Amount: amount(r.Amount)}
	}
	return out
}

func encApplied(as []domain.CreditApplication) []wireApplied {
	if len(as) == 0 {
		return nil
	}
	out := make([]wireApplied, len(as))
	for i, a := range as {
		out[i] = wireApplied{Source: a.Source, Amount: amount(a.Amount)}
	}
	return out
}

// dec collects the first error met while converting a wire struct to its domain
// event; every error names the event type and the field.
type dec struct {
	typ string
	err error
}

func (d *dec) fail(field string, err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %s: %w", d.typ, field, err)
	}
}

// failAt names an element of a list: "allocations[2].amount". The name is built on
// the error path only.
func (d *dec) failAt(list string, i int, field string, err error) {
	if d.err == nil {
		d.fail(list+"["+strconv.Itoa(i)+"]."+field, err)
	}
}

func (d *dec) amount(field, s string) decimal.Decimal {
	v, err := parseAmount(s)
	if err != nil {
		d.fail(field, err)
	}
	return v
}

func (d *dec) date(field, s string) domain.Date {
	if s == "" {
		d.fail(field, errors.New("missing date"))
		return domain.NoDate
	}
	v, err := domain.ParseDate(s)
	if err != nil {
		d.fail(field, err)
	}
	return v
}

// optDate reads an optional date: absent is NoDate.
func (d *dec) optDate(field, s string) domain.Date {
	if s == "" {
		return domain.NoDate
	}
	return d.date(field, s)
}

func (d *dec) currency(s string) domain.Currency {
	c, err := domain.ParseCurrency(s)
	if err != nil {
		d.fail("currency", err)
	}
	return c
}

func (d *dec) quarter(s string) domain.Quarter {
	q, err := domain.ParseQuarter(s)
	if err != nil {
		d.fail("quarter", err)
	}
	return q
}

func (d *dec) action(s string) domain.Action {
	a, err := domain.ParseAction(s)
	if err != nil {
		d.fail("action", err)
	}
	return a
}

func (d *dec) reason(s string) domain.WriteOffReason {
	r, err := domain.ParseWriteOffReason(s)
	if err != nil {
		d.fail("reason", err)
	}
	return r
}

func (d *dec) rating(field, s string) domain.Rating {
	r, err := domain.ParseRating(s)
	if err != nil {
		d.fail(field, err)
	}
	return r
}

func (d *dec) ratings(field string, ss []string) []domain.Rating {
	if len(ss) == 0 {
		return nil
	}
	out := make([]domain.Rating, len(ss))
	for i, s := range ss {
		r, err := domain.ParseRating(s)
		if err != nil {
			d.fail(field+"["+strconv.Itoa(i)+"]", err)
		}
		out[i] = r
	}
	return out
}

func (d *dec) allocations(ws []wireAllocation) []domain.Allocation {
	if len(ws) == 0 {
		return nil
	}
	out := make([]domain.Allocation, len(ws))
	for i := range ws {
		w := &ws[i]
		a := domain.Allocation{Invoice: w.Invoice, Explicit: w.Explicit}
		var err error
		if a.Amount, err = parseAmount(w.Amount); err != nil {
			d.failAt("allocations", i, "amount", err)
		}
		if a.Remaining, err = parseAmount(w.Remaining); err != nil {
			d.failAt("allocations", i, "remaining", err)
		}
		out[i] = a
	}
	return out
}

func (d *dec) recoveries(ws []wireRecovery) []domain.Recovery {
	if len(ws) == 0 {
		return nil
	}
	out := make([]domain.Recovery, len(ws))
	for i := range ws {
		r := domain.Recovery{Invoice: ws[i].Invoice}
		var err error
		if r.Amount, err = parseAmount(ws[i].Amount); err != nil {
			d.failAt("recoveries", i, "amount", err)
		}
		out[i] = r
	}
	return out
}

func (d *dec) applied(ws []wireApplied) []domain.CreditApplication {
	if len(ws) == 0 {
		return nil
	}
	out := make([]domain.CreditApplication, len(ws))
	for i := range ws {
		a := domain.CreditApplication{Source: ws[i].Source}
		var err error
		if a.Amount, err = parseAmount(ws[i].Amount); err != nil {
			d.failAt("applied", i, "amount", err)
		}
		out[i] = a
	}
	return out
}

// amountPattern is the form decimal.Decimal.String writes and the only one read
// back: no exponent, no leading '+' or '.', no spaces.
const amountPattern = `^-?[0-9]+(\.[0-9]+)?$`

// parseAmount reads an exact decimal in amountPattern form.
func parseAmount(s string) (decimal.Decimal, error) {
	if !isPlainDecimal(s) {
		if s == "" {
			return decimal.Decimal{}, errors.New("missing amount")
		}
		return decimal.Decimal{}, fmt.Errorf("%q is not a plain decimal amount", s)
	}
	if d, ok := domain.ShortDecimal(s); ok {
		return d, nil
	}
	return decimal.NewFromString(s)
}

// isPlainDecimal matches amountPattern without a regexp.
func isPlainDecimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != '.' {
		return false
	}
	i++
	start = i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > start && i == len(s)
}
