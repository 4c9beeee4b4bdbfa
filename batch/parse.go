// Package batch reads the JSON Lines batch interface of SPEC Appendix A: it turns each
// line into a domain command and the content hash used to recognise a resubmitted
// command. Every refusal is a *domain.FieldError naming the field.
package batch

import (
	"encoding/json"
	"net/url"
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
	if err := f.only(append([]string{"cmd", "id", "on"}, sp.fields...)); err != nil {
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
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	var extra []string
	for k := range f.m {
		if !ok[k] {
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

// --- builders ---------------------------------------------------------------------

func buildRegisterCustomer(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.RegisterCustomer{Meta: meta}
	var err error
	if c.Customer, err = f.id("customer"); err != nil {
		return nil, err
	}
	if c.Name, err = f.str("name"); err != nil {
		return nil, err
	}
	if c.Grade, err = f.integer("grade", 1, 5); err != nil {
		return nil, err
	}
	if c.TermsDays, err = f.integer("terms_days", 0, 3650); err != nil {
		return nil, err
	}
	if c.Collector, err = f.str("collector"); err != nil {
		return nil, err
	}
	if c.Email, err = f.optID("email"); err != nil {
		return nil, err
	}
	if c.Email != "" {
		at := strings.Index(c.Email, "@")
		if at <= 0 || at == len(c.Email)-1 || strings.Count(c.Email, "@") != 1 || strings.ContainsAny(c.Email, " \t\r\n") {
			return nil, domain.Invalidf("email", "%q is not an email address (name@example.com)", c.Email)
		}
	}
	if c.Phone, err = f.optText("phone"); err != nil {
		return nil, err
	}
	if c.Webhook, err = f.optID("webhook"); err != nil {
		return nil, err
	}
	if c.Webhook != "" {
		u, perr := url.Parse(c.Webhook)
		if perr != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, domain.Invalidf("webhook", "%q is not an absolute http:// or https:// URL", c.Webhook)
		}
	}
	return c, nil
}

var keyIndicators = []string{"annual_sales", "monthly_sales", "payment_method", "payment_record"}

func buildAssessCredit(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.AssessCredit{Meta: meta}
	var err error
	if c.Customer, err = f.id("customer"); err != nil {
		return nil, err
	}
	key, err := f.object("key")
	if err != nil {
		return nil, err
	}
	if err := key.only(keyIndicators); err != nil {
		return nil, err
	}
	for i, dst := range []*domain.Rating{&c.Key.AnnualSales, &c.Key.MonthlySales, &c.Key.PaymentMethod, &c.Key.PaymentRecord} {
		if *dst, err = key.rating(keyIndicators[i]); err != nil {
			return nil, err
		}
	}
	other, err := f.optList("other")
	if err != nil {
		return nil, err
	}
	for i, v := range other {
		name := "other[" + strconv.Itoa(i) + "]"
		s, ok := v.(string)
		if !ok {
			return nil, domain.Invalidf(name, "must be \"A\", \"B\" or \"C\", not %s", jsonKind(v))
		}
		r, err := domain.ParseRating(s)
		if err != nil {
			return nil, domain.Invalidf(name, "%s", err.Error())
		}
		c.Other = append(c.Other, r)
	}
	return c, nil
}

func buildIssueInvoice(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.IssueInvoice{Meta: meta}
	var err error
	if c.Invoice, err = f.id("invoice"); err != nil {
		return nil, err
	}
	if c.Customer, err = f.id("customer"); err != nil {
		return nil, err
	}
	if c.Currency, err = f.currency("currency"); err != nil {
		return nil, err
	}
	if c.Amount, err = f.amount("amount", c.Currency); err != nil {
		return nil, err
	}
	if c.Due, err = f.optDate("due"); err != nil {
		return nil, err
	}
	return c, nil
}

func buildRecordPayment(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.RecordPayment{Meta: meta}
	var err error
	if c.Payment, err = f.id("payment"); err != nil {
		return nil, err
	}
	if c.Customer, err = f.id("customer"); err != nil {
		return nil, err
	}
	if c.Currency, err = f.currency("currency"); err != nil {
		return nil, err
	}
	if c.Amount, err = f.amount("amount", c.Currency); err != nil {
		return nil, err
	}
	list, err := f.optList("allocations")
	if err != nil {
		return nil, err
	}
	for i, v := range list {
		name := "allocations[" + strconv.Itoa(i) + "]"
		m, ok := v.(map[string]any)
		if !ok {
			return nil, domain.Invalidf(name, "must be an object {\"invoice\": ..., \"amount\": ...}, not %s", jsonKind(v))
		}
		a := fields{m: m, prefix: name + "."}
		if err := a.only([]string{"invoice", "amount"}); err != nil {
			return nil, err
		}
		var r domain.AllocationRequest
		if r.Invoice, err = a.id("invoice"); err != nil {
			return nil, err
		}
		if r.Amount, err = a.amount("amount", c.Currency); err != nil {
			return nil, err
		}
		c.Allocations = append(c.Allocations, r)
	}
	return c, nil
}

func buildIssueCreditNote(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.IssueCreditNote{Meta: meta}
	var err error
	if c.CreditNote, err = f.id("credit_note"); err != nil {
		return nil, err
	}
	if c.Customer, err = f.id("customer"); err != nil {
		return nil, err
	}
	if c.Currency, err = f.currency("currency"); err != nil {
		return nil, err
	}
	if c.Amount, err = f.amount("amount", c.Currency); err != nil {
		return nil, err
	}
	if c.Invoice, err = f.optID("invoice"); err != nil {
		return nil, err
	}
	return c, nil
}

func buildGrantExtension(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.GrantExtension{Meta: meta}
	var err error
	if c.Invoice, err = f.id("invoice"); err != nil {
		return nil, err
	}
	if c.Due, err = f.date("due"); err != nil {
		return nil, err
	}
	return c, nil
}

// promiseSyntax is a currency with the most minor digits any currency has: it checks
// a promise amount's syntax before the invoice (and so its currency) is known.
var promiseSyntax = domain.MustCurrency("CLF")

func buildRecordPromise(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.RecordPromise{Meta: meta}
	var err error
	if c.Invoice, err = f.id("invoice"); err != nil {
		return nil, err
	}
	if c.Promised, err = f.date("promised"); err != nil {
		return nil, err
	}
	if c.Amount, err = f.decimalString("amount"); err != nil {
		return nil, err
	}
	if _, err := domain.ParseAmount(c.Amount, promiseSyntax); err != nil {
		return nil, domain.Invalidf("amount", "%s", err.Error())
	}
	return c, nil
}

func disputeFields(f fields) (invoice, reason string, err error) {
	if invoice, err = f.id("invoice"); err != nil {
		return "", "", err
	}
	if reason, err = f.optText("reason"); err != nil {
		return "", "", err
	}
	return invoice, reason, nil
}

func buildWriteOff(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.WriteOff{Meta: meta}
	var err error
	if c.Invoice, err = f.id("invoice"); err != nil {
		return nil, err
	}
	s, err := f.str("reason")
	if err != nil {
		return nil, err
	}
	if c.Reason, err = domain.ParseWriteOffReason(s); err != nil {
		return nil, domain.Invalidf("reason", "%s", err.Error())
	}
	if c.Force, err = f.optBool("force"); err != nil {
		return nil, err
	}
	return c, nil
}

func buildRecordAction(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.RecordAction{Meta: meta}
	var err error
	if c.Customer, err = f.id("customer"); err != nil {
		return nil, err
	}
	if c.Invoice, err = f.optID("invoice"); err != nil {
		return nil, err
	}
	s, err := f.str("action")
	if err != nil {
		return nil, err
	}
	if c.Action, err = domain.ParseAction(s); err != nil {
		return nil, domain.Invalidf("action", "%s", err.Error())
	}
	if c.Outcome, err = f.optText("outcome"); err != nil {
		return nil, err
	}
	if c.Note, err = f.optText("note"); err != nil {
		return nil, err
	}
	return c, nil
}

func buildAgreePriceProtection(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.AgreePriceProtection{Meta: meta}
	var err error
	if c.Customer, err = f.id("customer"); err != nil {
		return nil, err
	}
	s, err := f.decimalString("fund_rate")
	if err != nil {
		return nil, err
	}
	if c.Rate, err = domain.ParseRate(s); err != nil {
		return nil, domain.Invalidf("fund_rate", "%s (a rate from 0 to below 1, at most 6 decimals)", err.Error())
	}
	return c, nil
}

func buildReportViolation(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.ReportViolation{Meta: meta}
	var err error
	if c.Violation, err = f.id("violation"); err != nil {
		return nil, err
	}
	if c.Customer, err = f.id("customer"); err != nil {
		return nil, err
	}
	_, hasReporter := f.get("reporter")
	_, hasName := f.get("reporter_name")
	switch {
	case hasReporter && hasName:
		return nil, domain.Invalidf("reporter", "give either reporter (a customer id) or reporter_name (an outside person), not both")
	case !hasReporter && !hasName:
		return nil, domain.Invalidf("reporter", "required: give reporter (a customer id) or reporter_name (an outside person)")
	case hasReporter:
		if c.Reporter, err = f.id("reporter"); err != nil {
			return nil, err
		}
	default:
		if c.ReporterName, err = f.str("reporter_name"); err != nil {
			return nil, err
		}
	}
	if c.OccurredOn, err = f.date("occurred_on"); err != nil {
		return nil, err
	}
	return c, nil
}

func buildCloseQuarter(f fields, meta domain.Meta) (domain.Command, error) {
	c := &domain.CloseQuarter{Meta: meta}
	s, err := f.str("quarter")
	if err != nil {
		return nil, err
	}
	// domain.ParseQuarter reads the year with Sscanf, which also takes a sign or a
	// space ("+026Q1"); insist on four digits here.
	if len(s) != 6 || strings.Trim(s[:4], "0123456789") != "" {
		return nil, domain.Invalidf("quarter", "%q is not a quarter of the form YYYYQn (e.g. 2026Q1)", s)
	}
	if c.Quarter, err = domain.ParseQuarter(s); err != nil {
		return nil, domain.Invalidf("quarter", "%s (e.g. 2026Q1)", err.Error())
	}
	return c, nil
}
