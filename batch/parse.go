// Package batch reads the JSON Lines batch interface of SPEC Appendix A: it turns each
// line into a domain command and the content hash used to recognise a resubmitted
// command. Every refusal is a *domain.FieldError naming the field.
package batch

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/arkeep/arkeep/domain"
	"github.com/shopspring/decimal"
)

// ParseCommand parses one Appendix A command (a JSON object) into a domain command and
// the command's content hash: hex sha256 of its canonical JSON (object keys sorted, no
// insignificant whitespace, optional fields given as null removed). Key order and
// whitespace do not change the hash; any value change does. A refusal is a
// *domain.FieldError whose Field names the offending field.
func ParseCommand(line []byte) (cmd domain.Command, hash string, err error) {
	m, err := decodeObject(line)
	if err != nil {
		return nil, "", err
	}
	cmd, err = build(m)
	if err != nil {
		return nil, "", err
	}
	return cmd, contentHash(m), nil
}

// spec describes one command: its fields besides cmd, id and on, and its builder.
type spec struct {
	fields []string
	build  func(f fields, meta domain.Meta) (domain.Command, error)
}

var specs = map[string]spec{
	"RegisterCustomer": {[]string{"customer", "name", "grade", "terms_days", "collector", "email", "phone", "webhook"}, buildRegisterCustomer},
	"AssessCredit":     {[]string{"customer", "key", "other"}, buildAssessCredit},
	"IssueInvoice":     {[]string{"invoice", "customer", "amount", "currency", "due"}, buildIssueInvoice},
	"RecordPayment":    {[]string{"payment", "customer", "amount", "currency", "allocations"}, buildRecordPayment},
	"IssueCreditNote":  {[]string{"credit_note", "customer", "amount", "currency", "invoice"}, buildIssueCreditNote},
	"GrantExtension":   {[]string{"invoice", "due"}, buildGrantExtension},
	"RecordPromise":    {[]string{"invoice", "promised", "amount"}, buildRecordPromise},
	"OpenDispute": {[]string{"invoice", "reason"}, func(f fields, meta domain.Meta) (domain.Command, error) {
		inv, reason, err := disputeFields(f)
		return &domain.OpenDispute{Meta: meta, Invoice: inv, Reason: reason}, err
	}},
	"ResolveDispute": {[]string{"invoice", "reason"}, func(f fields, meta domain.Meta) (domain.Command, error) {
		inv, reason, err := disputeFields(f)
		return &domain.ResolveDispute{Meta: meta, Invoice: inv, Reason: reason}, err
	}},
	"WriteOff":             {[]string{"invoice", "reason", "force"}, buildWriteOff},
	"RecordAction":         {[]string{"customer", "invoice", "action", "outcome", "note"}, buildRecordAction},
	"AgreePriceProtection": {[]string{"customer", "fund_rate"}, buildAgreePriceProtection},
	"ReportViolation":      {[]string{"violation", "customer", "reporter", "reporter_name", "occurred_on"}, buildReportViolation},
	"ConfirmViolation": {[]string{"violation"}, func(f fields, meta domain.Meta) (domain.Command, error) {
		v, err := f.id("violation")
		return &domain.ConfirmViolation{Meta: meta, Violation: v}, err
	}},
	"RejectViolation": {[]string{"violation"}, func(f fields, meta domain.Meta) (domain.Command, error) {
		v, err := f.id("violation")
		return &domain.RejectViolation{Meta: meta, Violation: v}, err
	}},
	"CloseQuarter": {[]string{"quarter"}, buildCloseQuarter},
}

// allowedFields are, per command, the names its line may have: cmd, id, on and the
// command's own, made once rather than for every line.
var allowedFields = func() map[string][]string {
	m := map[string][]string{}
	for name, sp := range specs {
		m[name] = append([]string{"cmd", "id", "on"}, sp.fields...)
	}
	return m
}()

// Commands lists the command names of Appendix A, sorted.
func Commands() []string {
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func build(m map[string]any) (domain.Command, error) {
	f := fields{m: m}
	name, err := f.str("cmd")
	if err != nil {
		return nil, err
	}
	sp, ok := specs[name]
	if !ok {
		return nil, domain.Invalidf("cmd", "%q is not a command (expected one of %s)", name, strings.Join(Commands(), ", "))
	}
	if err := f.only(allowedFields[name]); err != nil {
		return nil, err
	}
	id, err := f.id("id")
	if err != nil {
		return nil, err
	}
	on, err := f.date("on")
	if err != nil {
		return nil, err
	}
	cmd, err := sp.build(f, domain.Meta{ID: id, On: on})
	if err != nil {
		return nil, err
	}
	return cmd, nil
}

// fields reads the fields of one JSON object; prefix names nested objects in errors
// ("allocations[1].").
type fields struct {
	m      map[string]any
	prefix string
}

func (f fields) name(k string) string { return f.prefix + k }

// only refuses every field not in allowed (the first by name order).
func (f fields) only(allowed []string) error {
	// A scan of the dozen allowed names: a map of them, made for every line, was a
	// tenth of parsing one.
	var extra []string
	for k := range f.m {
		if !slices.Contains(allowed, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return domain.Invalidf(f.name(extra[0]), "unknown field (allowed here: %s)", strings.Join(allowed, ", "))
}

// get returns a field's value; null counts as absent.
func (f fields) get(k string) (any, bool) {
	v, ok := f.m[k]
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

func (f fields) required(k string) (any, error) {
	v, ok := f.get(k)
	if !ok {
		return nil, domain.Invalidf(f.name(k), "required")
	}
	return v, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true/false"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return "null"
}

func (f fields) asString(k string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", domain.Invalidf(f.name(k), "must be a JSON string, not %s", jsonKind(v))
	}
	return s, nil
}

// str reads a required string that is not empty or blank.
func (f fields) str(k string) (string, error) {
	v, err := f.required(k)
	if err != nil {
		return "", err
	}
	s, err := f.asString(k, v)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		return "", domain.Invalidf(f.name(k), "must not be empty")
	}
	return s, nil
}

// id reads a required identifier (customer, invoice, ...).
func (f fields) id(k string) (string, error) { return f.str(k) }

// optID reads an optional identifier: absent or null = "", otherwise not empty.
func (f fields) optID(k string) (string, error) {
	if _, ok := f.get(k); !ok {
		return "", nil
	}
	return f.str(k)
}

// optText reads optional free text: absent or null = "".
func (f fields) optText(k string) (string, error) {
	v, ok := f.get(k)
	if !ok {
		return "", nil
	}
	return f.asString(k, v)
}

func (f fields) date(k string) (domain.Date, error) {
	v, err := f.required(k)
	if err != nil {
		return domain.NoDate, err
	}
	s, ok := v.(string)
	if !ok {
		return domain.NoDate, domain.Invalidf(f.name(k), "must be a date string \"YYYY-MM-DD\", not %s", jsonKind(v))
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		return domain.NoDate, domain.Invalidf(f.name(k), "%s", err.Error())
	}
	return d, nil
}

func (f fields) optDate(k string) (domain.Date, error) {
	if _, ok := f.get(k); !ok {
		return domain.NoDate, nil
	}
	return f.date(k)
}

// decimalString reads a required amount or rate: a JSON string, never a number.
func (f fields) decimalString(k string) (string, error) {
	v, err := f.required(k)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		if n, isNum := v.(json.Number); isNum {
			return "", domain.Invalidf(f.name(k), "must be a string such as \"%s\", not a JSON number", string(n))
		}
		return "", domain.Invalidf(f.name(k), "must be a string such as \"1250.50\", not %s", jsonKind(v))
	}
	return s, nil
}

func (f fields) amount(k string, cur domain.Currency) (decimal.Decimal, error) {
	s, err := f.decimalString(k)
	if err != nil {
		return decimal.Zero, err
	}
	d, err := domain.ParseAmount(s, cur)
	if err != nil {
		return decimal.Zero, domain.Invalidf(f.name(k), "%s (%s allows %d decimals)", err.Error(), cur.Code(), cur.Digits())
	}
	return d, nil
}

func (f fields) currency(k string) (domain.Currency, error) {
	s, err := f.str(k)
	if err != nil {
		return domain.Currency{}, err
	}
	c, err := domain.ParseCurrency(s)
	if err != nil {
		return domain.Currency{}, domain.Invalidf(f.name(k), "%s", err.Error())
	}
	return c, nil
}

// integer reads a required JSON integer in [lo, hi].
func (f fields) integer(k string, lo, hi int) (int, error) {
	v, err := f.required(k)
	if err != nil {
		return 0, err
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, domain.Invalidf(f.name(k), "must be a whole number from %d to %d, not %s", lo, hi, jsonKind(v))
	}
	s := string(n)
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, domain.Invalidf(f.name(k), "%s is not a whole number from %d to %d", s, lo, hi)
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil || i < int64(lo) || i > int64(hi) {
		return 0, domain.Invalidf(f.name(k), "%s is out of range: must be from %d to %d", s, lo, hi)
	}
	return int(i), nil
}

func (f fields) optBool(k string) (bool, error) {
	v, ok := f.get(k)
	if !ok {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, domain.Invalidf(f.name(k), "must be true or false, not %s", jsonKind(v))
	}
	return b, nil
}

func (f fields) rating(k string) (domain.Rating, error) {
	s, err := f.str(k)
	if err != nil {
		return 0, err
	}
	r, err := domain.ParseRating(s)
	if err != nil {
		return 0, domain.Invalidf(f.name(k), "%s", err.Error())
	}
	return r, nil
}

// object reads a required nested object.
func (f fields) object(k string) (fields, error) {
	v, err := f.required(k)
	if err != nil {
		return fields{}, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fields{}, domain.Invalidf(f.name(k), "must be an object {...}, not %s", jsonKind(v))
	}
	return fields{m: m, prefix: f.name(k) + "."}, nil
}

// optList reads an optional list; absent or null = nil.
func (f fields) optList(k string) ([]any, error) {
	v, ok := f.get(k)
	if !ok {
		return nil, nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil, domain.Invalidf(f.name(k), "must be a list [...], not %s", jsonKind(v))
	}
	return a, nil
}

// reader reads fields in order and keeps the first refusal: a builder reads every
// field it needs and returns r.err once, and later reads after a refusal are no-ops,
// so the refusal names the first bad field in reading order.
type reader struct {
	f   fields
	err error
}

func (r *reader) keep(err error) bool {
	if r.err == nil && err != nil {
		r.err = err
	}
	return r.err == nil
}

// fail records a refusal of the builder's own.
func (r *reader) fail(field, format string, args ...any) {
	r.keep(domain.Invalidf(field, format, args...))
}

func readWith[T any](r *reader, read func() (T, error)) T {
	var zero T
	if r.err != nil {
		return zero
	}
	v, err := read()
	if !r.keep(err) {
		return zero
	}
	return v
}

func (r *reader) id(k string) string { return readWith(r, func() (string, error) { return r.f.id(k) }) }
func (r *reader) str(k string) string {
	return readWith(r, func() (string, error) { return r.f.str(k) })
}
func (r *reader) optID(k string) string {
	return readWith(r, func() (string, error) { return r.f.optID(k) })
}
func (r *reader) optText(k string) string {
	return readWith(r, func() (string, error) { return r.f.optText(k) })
}
func (r *reader) date(k string) domain.Date {
	return readWith(r, func() (domain.Date, error) { return r.f.date(k) })
}
func (r *reader) optDate(k string) domain.Date {
	if r.err != nil {
		return domain.NoDate // NoDate, not the zero Date (1970-01-01)
	}
	return readWith(r, func() (domain.Date, error) { return r.f.optDate(k) })
}
func (r *reader) currency(k string) domain.Currency {
	return readWith(r, func() (domain.Currency, error) { return r.f.currency(k) })
}
func (r *reader) amount(k string, c domain.Currency) decimal.Decimal {
	return readWith(r, func() (decimal.Decimal, error) { return r.f.amount(k, c) })
}
func (r *reader) decimalString(k string) string {
	return readWith(r, func() (string, error) { return r.f.decimalString(k) })
}
func (r *reader) integer(k string, lo, hi int) int {
	return readWith(r, func() (int, error) { return r.f.integer(k, lo, hi) })
}
func (r *reader) optBool(k string) bool {
	return readWith(r, func() (bool, error) { return r.f.optBool(k) })
}
func (r *reader) optList(k string) []any {
	return readWith(r, func() ([]any, error) { return r.f.optList(k) })
}

// result returns the command, or the first refusal.
func result[C domain.Command](c C, r *reader) (domain.Command, error) {
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

// --- builders ---------------------------------------------------------------------

func buildRegisterCustomer(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.RegisterCustomer{Meta: meta, Customer: r.id("customer"), Name: r.str("name"),
		Grade: r.integer("grade", 1, 5), TermsDays: r.integer("terms_days", 0, 3650), Collector: r.str("collector")}
	if c.Email = r.optID("email"); c.Email != "" {
		at := strings.Index(c.Email, "@")
		if at <= 0 || at == len(c.Email)-1 || strings.Count(c.Email, "@") != 1 || strings.ContainsAny(c.Email, " \t\r\n") {
			r.fail("email", "%q is not an email address (name@example.com)", c.Email)
		}
	}
	c.Phone = r.optText("phone")
	if c.Webhook = r.optID("webhook"); c.Webhook != "" {
		u, perr := url.Parse(c.Webhook)
		if perr != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.fail("webhook", "%q is not an absolute http:// or https:// URL", c.Webhook)
		}
	}
	return result(c, r)
}

// allocationFields are the members of one explicit allocation of a payment.
var allocationFields = []string{"invoice", "amount"}

var keyIndicators = []string{"annual_sales", "monthly_sales", "payment_method", "payment_record"}

func buildAssessCredit(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.AssessCredit{Meta: meta, Customer: r.id("customer")}
	key := readWith(r, func() (fields, error) { return f.object("key") })
	if r.keep(key.only(keyIndicators)) {
		for i, dst := range []*domain.Rating{&c.Key.AnnualSales, &c.Key.MonthlySales, &c.Key.PaymentMethod, &c.Key.PaymentRecord} {
			*dst = readWith(r, func() (domain.Rating, error) { return key.rating(keyIndicators[i]) })
		}
	}
	for i, v := range r.optList("other") {
		name := "other[" + strconv.Itoa(i) + "]"
		s, ok := v.(string)
		if !ok {
			r.fail(name, "must be \"A\", \"B\" or \"C\", not %s", jsonKind(v))
			break
		}
		rt, err := domain.ParseRating(s)
		if err != nil {
			r.fail(name, "%s", err.Error())
			break
		}
		c.Other = append(c.Other, rt)
	}
	return result(c, r)
}

func buildIssueInvoice(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.IssueInvoice{Meta: meta, Invoice: r.id("invoice"), Customer: r.id("customer"), Currency: r.currency("currency")}
	c.Amount = r.amount("amount", c.Currency)
	c.Due = r.optDate("due")
	return result(c, r)
}

func buildRecordPayment(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.RecordPayment{Meta: meta, Payment: r.id("payment"), Customer: r.id("customer"), Currency: r.currency("currency")}
	c.Amount = r.amount("amount", c.Currency)
	for i, v := range r.optList("allocations") {
		name := "allocations[" + strconv.Itoa(i) + "]"
		m, ok := v.(map[string]any)
		if !ok {
			r.fail(name, "must be an object {\"invoice\": ..., \"amount\": ...}, not %s", jsonKind(v))
			break
		}
		line := &reader{f: fields{m: m, prefix: name + "."}}
		line.keep(line.f.only(allocationFields))
		a := domain.AllocationRequest{Invoice: line.id("invoice")}
		a.Amount = line.amount("amount", c.Currency)
		if !r.keep(line.err) {
			break
		}
		c.Allocations = append(c.Allocations, a)
	}
	return result(c, r)
}

func buildIssueCreditNote(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.IssueCreditNote{Meta: meta, CreditNote: r.id("credit_note"), Customer: r.id("customer"), Currency: r.currency("currency")}
	c.Amount = r.amount("amount", c.Currency)
	c.Invoice = r.optID("invoice")
	return result(c, r)
}

func buildGrantExtension(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.GrantExtension{Meta: meta, Invoice: r.id("invoice"), Due: r.date("due")}
	return result(c, r)
}

// promiseSyntax is a currency with the most minor digits any currency has: it checks
// a promise amount's syntax before the invoice (and so its currency) is known.
var promiseSyntax = domain.MustCurrency("CLF")

func buildRecordPromise(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.RecordPromise{Meta: meta, Invoice: r.id("invoice"), Promised: r.date("promised"), Amount: r.decimalString("amount")}
	if r.err == nil {
		if _, err := domain.ParseAmount(c.Amount, promiseSyntax); err != nil {
			r.fail("amount", "%s", err.Error())
		}
	}
	return result(c, r)
}

func disputeFields(f fields) (invoice, reason string, err error) {
	r := &reader{f: f}
	invoice, reason = r.id("invoice"), r.optText("reason")
	return invoice, reason, r.err
}

func buildWriteOff(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.WriteOff{Meta: meta, Invoice: r.id("invoice")}
	if s := r.str("reason"); r.err == nil {
		var err error
		if c.Reason, err = domain.ParseWriteOffReason(s); err != nil {
			r.fail("reason", "%s", err.Error())
		}
	}
	c.Force = r.optBool("force")
	return result(c, r)
}

func buildRecordAction(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.RecordAction{Meta: meta, Customer: r.id("customer"), Invoice: r.optID("invoice")}
	if s := r.str("action"); r.err == nil {
		var err error
		if c.Action, err = domain.ParseAction(s); err != nil {
			r.fail("action", "%s", err.Error())
		}
	}
	c.Outcome, c.Note = r.optText("outcome"), r.optText("note")
	return result(c, r)
}

func buildAgreePriceProtection(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.AgreePriceProtection{Meta: meta, Customer: r.id("customer")}
	if s := r.decimalString("fund_rate"); r.err == nil {
		var err error
		if c.Rate, err = domain.ParseRate(s); err != nil {
			r.fail("fund_rate", "%s (a rate from 0 to below 1, at most 6 decimals)", err.Error())
		}
	}
	return result(c, r)
}

func buildReportViolation(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.ReportViolation{Meta: meta, Violation: r.id("violation"), Customer: r.id("customer")}
	_, hasReporter := f.get("reporter")
	_, hasName := f.get("reporter_name")
	switch {
	case r.err != nil:
	case hasReporter && hasName:
		r.fail("reporter", "give either reporter (a customer id) or reporter_name (an outside person), not both")
	case !hasReporter && !hasName:
		r.fail("reporter", "required: give reporter (a customer id) or reporter_name (an outside person)")
	case hasReporter:
		c.Reporter = r.id("reporter")
	default:
		c.ReporterName = r.str("reporter_name")
	}
	c.OccurredOn = r.date("occurred_on")
	return result(c, r)
}

func buildCloseQuarter(f fields, meta domain.Meta) (domain.Command, error) {
	r := &reader{f: f}
	c := &domain.CloseQuarter{Meta: meta}
	if s := r.str("quarter"); r.err == nil {
		var err error
		if c.Quarter, err = domain.ParseQuarter(s); err != nil {
			r.fail("quarter", "%s (e.g. 2026Q1)", err.Error())
		}
	}
	return result(c, r)
}
