// Package csvimport imports ERP exports in CSV (SPEC section 8: "CSV import maps
// columns of ERP exports"). It does not record anything itself: Translate turns the
// rows into Appendix A commands as JSON Lines, which go through exactly the path of
// `arkeep import FILE.jsonl` (batch parsing, ledger.Service.Import), so validation,
// idempotency and refusals are the same. Import does both and reports refusals by
// CSV line and column.
//
// What a row becomes (Mapping says which column holds what):
//
//   - the customer, if it has no registration yet: RegisterCustomer dated on its
//     EARLIEST invoice in the file, emitted before the customer's first row (files
//     need not be sorted by date). It is attributed to that first row.
//   - IssueInvoice dated on the issue date, with the due date if the row has one;
//   - disputed: OpenDispute dated on the issue date, and, if settled, ResolveDispute
//     dated on the settled date;
//   - settled: RecordPayment (payment id PaymentPrefix+invoice) dated on the settled
//     date, of the full amount, explicitly allocated to the invoice.
//
// Command ids are derived from the row content ("csv:<invoice>:issue",
// "csv:<invoice>:open-dispute", "csv:<invoice>:resolve-dispute", "csv:<invoice>:pay",
// "csv:<customer>:register"), so importing the same file again records nothing new;
// a row whose content changed since is refused (same id, other content).
//
// The translator refuses a row as a whole (nothing of it is recorded) when a cell is
// missing or malformed, a due or settled date is before the issue date, the invoice
// id repeats an earlier row, or (Import) the books hold that invoice id for another
// customer. The engine may still refuse a translated command (a row changed since
// an earlier import: same command id, other content; an over-allocation...): then
// that command is reported against its CSV row and the column its field came from,
// and the row's other commands stand or fall on their own.
//
// The whole file is read and translated in memory before anything is recorded
// (registration dates need every row): fine for ERP exports of some hundred
// thousand rows; split larger ones.
package csvimport

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/ledger"
)

// Refusal is a refused CSV row, or one command translated from it that the engine
// refused.
type Refusal struct {
	Line    int    // CSV line (1-based; line 1 is the header)
	Column  string // the CSV column it is about; "" when it is about no one column
	Command string // the refused command ("IssueInvoice", ...); "" when the translator refused the row
	ID      string // that command's id
	Err     error  // the reason; for engine refusals a *domain.FieldError
}

func (r *Refusal) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d: ", r.Line)
	if r.Column != "" {
		b.WriteString(r.Column)
		b.WriteString(": ")
	}
	if r.Command != "" {
		fmt.Fprintf(&b, "%s %q: ", r.Command, r.ID)
	}
	b.WriteString(r.Err.Error())
	return b.String()
}

func (r *Refusal) Unwrap() error { return r.Err }

// Translation is a CSV file turned into Appendix A JSON Lines.
type Translation struct {
	Lines   int       // the CSV line of the last record (the header is line 1)
	Rows    int       // data rows
	Refused []Refusal // rows the translator refused, by line; nothing of them is in JSONL

	m       Mapping
	jsonl   bytes.Buffer
	origins []origin // per JSON line (index = line - 1)
}

// origin is where a JSON line came from.
type origin struct {
	line    int // CSV line
	command string
	id      string
}

// JSONL returns the translated commands, one JSON object per line.
func (t *Translation) JSONL() []byte { return t.jsonl.Bytes() }

// Reader reads JSONL.
func (t *Translation) Reader() io.Reader { return bytes.NewReader(t.jsonl.Bytes()) }

// Commands is the number of translated commands (JSON lines).
func (t *Translation) Commands() int { return len(t.origins) }

// CSVLine is the CSV line a JSON line (1-based) was translated from.
func (t *Translation) CSVLine(jsonLine int) (int, bool) {
	if jsonLine < 1 || jsonLine > len(t.origins) {
		return 0, false
	}
	return t.origins[jsonLine-1].line, true
}

// Refusal maps the refusal of a JSON line (as ledger.Service.Import reports it) back to
// its CSV row, naming the column its field came from.
func (t *Translation) Refusal(jsonLine int, err error) Refusal {
	if jsonLine < 1 || jsonLine > len(t.origins) {
		return Refusal{Line: 0, Err: fmt.Errorf("translated line %d: %w", jsonLine, err)}
	}
	o := t.origins[jsonLine-1]
	r := Refusal{Line: o.line, Command: o.command, ID: o.id, Err: err}
	if fe, ok := domain.Refusal(err); ok {
		r.Column = t.columnOf(o.command, fe.Field)
	}
	return r
}

// columnOf names the CSV column a command field was taken from.
func (t *Translation) columnOf(command, field string) string {
	c := t.m.Columns
	if i := strings.LastIndexByte(field, '.'); i >= 0 && strings.HasPrefix(field, "allocations[") {
		field = field[i+1:]
	}
	switch field {
	case "on":
		if command == "RecordPayment" || command == "ResolveDispute" {
			return c.Settled
		}
		return c.Issued
	case "invoice", "payment":
		return c.Invoice
	case "customer":
		return c.Customer
	case "amount":
		return c.Amount
	case "due":
		return c.Due
	case "currency":
		return c.Currency
	case "name":
		if c.Name != "" {
			return c.Name
		}
		return c.Customer
	}
	return ""
}

// Translate reads a CSV export and translates its rows into Appendix A commands, as
// described in the package comment. The whole file is read first (the customers'
// registration dates need every row). An error (unreadable input, a bad mapping, a
// header lacking a mapped column) means nothing may be imported; refused rows are
// in Translation.Refused.
func Translate(r io.Reader, m Mapping) (*Translation, error) {
	return translate(r, m, nil)
}

// row is one valid data row.
type row struct {
	line                 int
	customer, invoice    string
	name                 string
	issued, due, settled domain.Date
	amount, currency     string
	disputed             bool
}

// rowError refuses a row for one column.
type rowError struct {
	column string
	msg    string
}

// translate is Translate against the books seen through view (nil: none): customers
// registered there are not registered again, and a row naming an invoice that belongs
// to another customer there is refused (its dispute commands, which name only the
// invoice, would otherwise reach that customer's invoice).
func translate(r io.Reader, m Mapping, view func(func(*domain.Books))) (*Translation, error) {
	m, err := m.normalize()
	if err != nil {
		return nil, err
	}
	t := &Translation{m: m}
	cr := csv.NewReader(r)
	cr.Comma, _ = firstRune(m.Delimiter)
	cr.FieldsPerRecord = -1

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Refusal{Line: 1, Err: errors.New("the file is empty: no header line")}
	}
	if err != nil {
		return nil, csvError(err)
	}
	t.Lines = 1
	idx, err := headerIndex(header, m)
	if err != nil {
		return nil, err
	}

	var rows []row
	firstLine := map[string]int{} // invoice id -> CSV line of its row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, err
			}
			t.Lines = max(t.Lines, pe.Line)
			t.Rows++
			t.Refused = append(t.Refused, Refusal{Line: pe.StartLine, Err: fmt.Errorf("CSV syntax: %v", pe.Err)})
			continue
		}
		line, _ := cr.FieldPos(0)
		last, _ := cr.FieldPos(len(rec) - 1)
		t.Lines = max(t.Lines, last)
		t.Rows++
		rw, rerr := parseRow(rec, header, idx, m)
		if rerr == nil {
			if prev, dup := firstLine[rw.invoice]; dup {
				rerr = &rowError{m.Columns.Invoice, fmt.Sprintf("invoice %q is already on line %d", rw.invoice, prev)}
			} else if owner, ok := invoiceOwner(view, rw.invoice); ok && owner != rw.customer {
				rerr = &rowError{m.Columns.Invoice, fmt.Sprintf("invoice %q exists already, of customer %q", rw.invoice, owner)}
			}
		}
		if rerr != nil {
			t.Refused = append(t.Refused, Refusal{Line: line, Column: rerr.column, Err: errors.New(rerr.msg)})
			continue
		}
		rw.line = line
		firstLine[rw.invoice] = line
		rows = append(rows, rw)
	}

	// The row that dates each customer's registration: its earliest invoice (file
	// order on a tie).
	first := map[string]*row{}
	for i := range rows {
		rw := &rows[i]
		if f, ok := first[rw.customer]; !ok || rw.issued < f.issued {
			first[rw.customer] = rw
		}
	}
	registerDone := map[string]bool{}
	for i := range rows {
		rw := &rows[i]
		if m.register() && !registerDone[rw.customer] {
			registerDone[rw.customer] = true
			if !registered(view, rw.customer) {
				t.emitRegister(rw.line, first[rw.customer])
			}
		}
		t.emitRow(rw)
	}
	return t, nil
}

func registered(view func(func(*domain.Books)), customer string) (ok bool) {
	if view != nil {
		view(func(b *domain.Books) { _, ok = b.Existing(customer) })
	}
	return ok
}

func invoiceOwner(view func(func(*domain.Books)), invoice string) (owner string, ok bool) {
	if view != nil {
		view(func(b *domain.Books) { owner, ok = b.InvoiceOwner(invoice) })
	}
	return owner, ok
}

func firstRune(s string) (rune, bool) {
	for _, r := range s {
		return r, true
	}
	return 0, false
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Refusal{Line: pe.StartLine, Err: fmt.Errorf("CSV syntax: %v", pe.Err)}
	}
	return err
}

// headerIndex finds each header name's field index and checks that every mapped
// column is there, once.
func headerIndex(header []string, m Mapping) (map[string]int, error) {
	idx := map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // UTF-8 byte order mark
		}
		h = strings.TrimSpace(h)
		header[i] = h
		if _, dup := idx[h]; dup {
			idx[h] = -1 // ambiguous
			continue
		}
		idx[h] = i
	}
	c := m.Columns
	for _, col := range []struct{ key, name string }{
		{"customer", c.Customer}, {"invoice", c.Invoice}, {"issued", c.Issued}, {"amount", c.Amount},
		{"due", c.Due}, {"currency", c.Currency}, {"settled", c.Settled}, {"disputed", c.Disputed}, {"name", c.Name},
	} {
		if col.name == "" {
			continue
		}
		i, ok := idx[col.name]
		switch {
		case !ok:
			return nil, &Refusal{Line: 1, Column: col.name, Err: fmt.Errorf("column missing from the header (mapped as columns.%s; the header has %s)",
				col.key, strings.Join(header, m.Delimiter))}
		case i < 0:
			return nil, &Refusal{Line: 1, Column: col.name, Err: fmt.Errorf("column appears more than once in the header (mapped as columns.%s)", col.key)}
		}
	}
	return idx, nil
}

// parseRow reads and checks the mapped cells of one record.
func parseRow(rec, header []string, idx map[string]int, m Mapping) (row, *rowError) {
	if len(rec) != len(header) {
		if len(rec) < len(header) {
			return row{}, &rowError{header[len(rec)], fmt.Sprintf("missing: the row has %d fields, the header %d", len(rec), len(header))}
		}
		return row{}, &rowError{"", fmt.Sprintf("the row has %d fields, the header %d (an unquoted %q inside a value?)", len(rec), len(header), m.Delimiter)}
	}
	cell := func(col string) string {
		if col == "" {
			return ""
		}
		return strings.TrimSpace(rec[idx[col]])
	}
	required := func(col string) (string, *rowError) {
		v := cell(col)
		if v == "" {
			return "", &rowError{col, "required: the cell is empty"}
		}
		return v, nil
	}
	date := func(col string, opt bool) (domain.Date, *rowError) {
		v := cell(col)
		if v == "" {
			if opt {
				return domain.NoDate, nil
			}
			return domain.NoDate, &rowError{col, "required: the cell is empty"}
		}
		tm, err := time.Parse(m.DateLayout, v)
		if err != nil {
			return domain.NoDate, &rowError{col, fmt.Sprintf("%q is not a date in the layout %q", v, m.DateLayout)}
		}
		y, mo, d := tm.Date()
		if y < 1 || y > 9999 {
			return domain.NoDate, &rowError{col, fmt.Sprintf("%q is out of the years 0001-9999", v)}
		}
		return domain.NewDate(y, mo, d), nil
	}
	c := m.Columns
	var rw row
	var e *rowError
	if rw.customer, e = required(c.Customer); e != nil {
		return row{}, e
	}
	if rw.invoice, e = required(c.Invoice); e != nil {
		return row{}, e
	}
	if rw.issued, e = date(c.Issued, false); e != nil {
		return row{}, e
	}
	if rw.due, e = date(c.Due, true); e != nil {
		return row{}, e
	}
	if rw.due != domain.NoDate && rw.due < rw.issued {
		return row{}, &rowError{c.Due, fmt.Sprintf("%q is before the issue date %q (%s)", cell(c.Due), cell(c.Issued), c.Issued)}
	}
	rw.currency = m.Currency
	if c.Currency != "" {
		if rw.currency, e = required(c.Currency); e != nil {
			return row{}, e
		}
	}
	cur, err := domain.ParseCurrency(rw.currency)
	if err != nil {
		return row{}, &rowError{c.Currency, err.Error()}
	}
	if rw.amount, e = required(c.Amount); e != nil {
		return row{}, e
	}
	if _, err := domain.ParseAmount(rw.amount, cur); err != nil {
		return row{}, &rowError{c.Amount, fmt.Sprintf("%v (%s allows %d decimals)", err, cur.Code(), cur.Digits())}
	}
	if rw.settled, e = date(c.Settled, true); e != nil {
		return row{}, e
	}
	if rw.settled != domain.NoDate && rw.settled < rw.issued {
		return row{}, &rowError{c.Settled, fmt.Sprintf("%q is before the issue date %q (%s)", cell(c.Settled), cell(c.Issued), c.Issued)}
	}
	if c.Disputed != "" {
		v := cell(c.Disputed)
		switch {
		case oneOf(v, m.DisputedValues.True):
			rw.disputed = true
		case oneOf(v, m.DisputedValues.False):
		default:
			return row{}, &rowError{c.Disputed, fmt.Sprintf("%q is neither a yes (%s) nor a no (%s)", v,
				quoteAll(m.DisputedValues.True), quoteAll(m.DisputedValues.False))}
		}
	}
	rw.name = cell(c.Name)
	if rw.name == "" {
		rw.name = rw.customer
	}
	return rw, nil
}

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if strings.EqualFold(strings.TrimSpace(s), v) {
			return true
		}
	}
	return false
}

func quoteAll(set []string) string {
	q := make([]string, len(set))
	for i, s := range set {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// --- emitting commands ------------------------------------------------------------

type registerJSON struct {
	Cmd       string `json:"cmd"`
	ID        string `json:"id"`
	On        string `json:"on"`
	Customer  string `json:"customer"`
	Name      string `json:"name"`
	Grade     int    `json:"grade"`
	TermsDays int    `json:"terms_days"`
	Collector string `json:"collector"`
}

type invoiceJSON struct {
	Cmd      string `json:"cmd"`
	ID       string `json:"id"`
	On       string `json:"on"`
	Invoice  string `json:"invoice"`
	Customer string `json:"customer"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
	Due      string `json:"due,omitempty"`
}

type disputeJSON struct {
	Cmd     string `json:"cmd"`
	ID      string `json:"id"`
	On      string `json:"on"`
	Invoice string `json:"invoice"`
}

type allocationJSON struct {
	Invoice string `json:"invoice"`
	Amount  string `json:"amount"`
}

type paymentJSON struct {
	Cmd         string           `json:"cmd"`
	ID          string           `json:"id"`
	On          string           `json:"on"`
	Payment     string           `json:"payment"`
	Customer    string           `json:"customer"`
	Amount      string           `json:"amount"`
	Currency    string           `json:"currency"`
	Allocations []allocationJSON `json:"allocations"`
}

func (t *Translation) emit(line int, command, id string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings and ints always marshal
	}
	t.jsonl.Write(b)
	t.jsonl.WriteByte('\n')
	t.origins = append(t.origins, origin{line: line, command: command, id: id})
}

func (t *Translation) cmdID(key, what string) string { return t.m.IDs.Prefix + ":" + key + ":" + what }

// emitRegister registers first.customer on its earliest invoice; line is the
// customer's first row in the file.
func (t *Translation) emitRegister(line int, first *row) {
	cd := t.m.Customers
	terms := *cd.TermsDays
	if cd.TermsFromFirstInvoice && first.due != domain.NoDate {
		terms = min(int(first.due-first.issued), 3650)
	}
	id := t.cmdID(first.customer, "register")
	t.emit(line, "RegisterCustomer", id, registerJSON{Cmd: "RegisterCustomer", ID: id, On: first.issued.String(),
		Customer: first.customer, Name: first.name, Grade: cd.Grade, TermsDays: terms, Collector: cd.Collector})
}

func (t *Translation) emitRow(rw *row) {
	id := t.cmdID(rw.invoice, "issue")
	inv := invoiceJSON{Cmd: "IssueInvoice", ID: id, On: rw.issued.String(), Invoice: rw.invoice,
		Customer: rw.customer, Amount: rw.amount, Currency: rw.currency}
	if rw.due != domain.NoDate {
		inv.Due = rw.due.String()
	}
	t.emit(rw.line, inv.Cmd, id, inv)
	if rw.disputed {
		id := t.cmdID(rw.invoice, "open-dispute")
		t.emit(rw.line, "OpenDispute", id, disputeJSON{Cmd: "OpenDispute", ID: id, On: rw.issued.String(), Invoice: rw.invoice})
		if rw.settled != domain.NoDate {
			id := t.cmdID(rw.invoice, "resolve-dispute")
			t.emit(rw.line, "ResolveDispute", id, disputeJSON{Cmd: "ResolveDispute", ID: id, On: rw.settled.String(), Invoice: rw.invoice})
		}
	}
	if rw.settled != domain.NoDate {
		id := t.cmdID(rw.invoice, "pay")
		t.emit(rw.line, "RecordPayment", id, paymentJSON{Cmd: "RecordPayment", ID: id, On: rw.settled.String(),
			Payment: t.m.IDs.PaymentPrefix + rw.invoice, Customer: rw.customer, Amount: rw.amount, Currency: rw.currency,
			Allocations: []allocationJSON{{Invoice: rw.invoice, Amount: rw.amount}}})
	}
}

// --- importing ---------------------------------------------------------------------

// Stats counts what a CSV import did.
type Stats struct {
	Lines   int // the CSV line of the last record (the header is line 1)
	Rows    int // data rows
	Refused int // rows with a refusal: by the translator, or of a command translated from it
	// Commands counts the translated commands as ledger.Service.Import recorded them
	// (its Lines are lines of the translation, not of the CSV file).
	Commands ledger.ImportStats
}

// Import translates a CSV export and records the commands with svc.Import. Customers
// the books already have are not registered again, and rows naming another
// customer's invoice are refused. Refusals are reported by CSV line
// (sorted); an error (unreadable file, a header lacking a mapped column, a store
// failure) is returned as such, and for a header error nothing is recorded.
func Import(ctx context.Context, svc *ledger.Service, r io.Reader, m Mapping, opts ledger.ImportOptions) (Stats, []Refusal, error) {
	tr, err := translate(r, m, svc.View)
	if err != nil {
		return Stats{}, nil, err
	}
	st := Stats{Lines: tr.Lines, Rows: tr.Rows}
	refusals := append([]Refusal(nil), tr.Refused...)
	cs, engine, err := svc.Import(ctx, tr.Reader(), opts)
	st.Commands = cs
	for _, ref := range engine {
		refusals = append(refusals, tr.Refusal(ref.Line, ref.Err))
	}
	sort.SliceStable(refusals, func(i, j int) bool { return refusals[i].Line < refusals[j].Line })
	rows := map[int]bool{}
	for _, ref := range refusals {
		rows[ref.Line] = true
	}
	st.Refused = len(rows)
	return st, refusals, err
}
