package csvimport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/arkeep/arkeep/domain"
	// yaml.v3 reads the mapping files: a well-kept, widely used YAML parser whose
	// Decoder.KnownFields refuses misspelt keys, so a typo in a mapping is an error
	// rather than a silently ignored column.
	"gopkg.in/yaml.v3"
)

// Mapping says how the columns of an ERP export become Appendix A commands. It is
// read from YAML (ParseMapping, LoadMapping) or taken from a built-in preset
// (Preset). Every column name is matched exactly against the CSV header.
//
// Example (the keys; see preset_ibm.go for a complete one):
//
//	delimiter: ","              # one character; default ","
//	date_layout: "1/2/2006"     # Go time layout of every date column
//	currency: USD               # fixed currency of every row ...
//	columns:
//	  customer: customerID      # required
//	  invoice: invoiceNumber    # required
//	  issued: InvoiceDate       # required: the invoice's issue date (on)
//	  amount: InvoiceAmount     # required: plain decimal, e.g. 55.94
//	  due: DueDate              # optional; an empty cell = issue date + terms days
//	  currency: ""              # ... or the column holding it (exactly one of the two)
//	  settled: SettledDate      # optional; a date = paid in full that day
//	  disputed: Disputed        # optional; see disputed_values
//	  name: ""                  # optional customer name column (default: the id)
//	disputed_values:            # matched without regard to case; default below
//	  true_values: [Yes, Y, True, "1"]
//	  false_values: [No, N, False, "0", ""]
//	customers:
//	  register: true            # auto-register each customer (default true)
//	  grade: 3                  # 1..5, default 3
//	  collector: unassigned     # default "unassigned"
//	  terms_days: 30            # fixed terms (default 30) ...
//	  terms_from_first_invoice: false # ... or due - issue of the earliest invoice
//	ids:
//	  prefix: csv               # command ids "csv:<invoice>:issue", ...
//	  payment_prefix: PAY-      # payment id = prefix + invoice id
type Mapping struct {
	Delimiter      string           `yaml:"delimiter"`
	DateLayout     string           `yaml:"date_layout"`
	Currency       string           `yaml:"currency"`
	Columns        Columns          `yaml:"columns"`
	DisputedValues DisputedValues   `yaml:"disputed_values"`
	Customers      CustomerDefaults `yaml:"customers"`
	IDs            IDs              `yaml:"ids"`
}

// Columns names the CSV columns (header names) that hold each value; "" = none.
type Columns struct {
	Customer string `yaml:"customer"`
	Invoice  string `yaml:"invoice"`
	Issued   string `yaml:"issued"`
	Amount   string `yaml:"amount"`
	Due      string `yaml:"due"`
	Currency string `yaml:"currency"`
	Settled  string `yaml:"settled"`
	Disputed string `yaml:"disputed"`
	Name     string `yaml:"name"`
}

// DisputedValues are the cell values of the disputed column read as yes and as no,
// compared without regard to case after trimming spaces. Any other value refuses
// the row.
type DisputedValues struct {
	True  []string `yaml:"true_values"`
	False []string `yaml:"false_values"`
}

// CustomerDefaults are what RegisterCustomer gets for auto-registered customers.
type CustomerDefaults struct {
	// Register auto-registers each customer of the file (nil = true), dated on its
	// earliest invoice and recorded before its first command. With false the
	// customers must already be registered.
	Register  *bool  `yaml:"register"`
	Grade     int    `yaml:"grade"`
	Collector string `yaml:"collector"`
	// TermsDays are the payment terms (nil = 30) unless TermsFromFirstInvoice.
	TermsDays *int `yaml:"terms_days"`
	// TermsFromFirstInvoice derives the terms from the customer's earliest invoice
	// (by issue date, then file order): its due date − its issue date. It needs a
	// due column with a date on that row, else the fixed terms apply.
	TermsFromFirstInvoice bool `yaml:"terms_from_first_invoice"`
}

// IDs shape the ids the translator derives from the rows.
type IDs struct {
	// Prefix of every command id (default "csv"): "csv:<invoice>:issue",
	// "csv:<invoice>:open-dispute", "csv:<invoice>:resolve-dispute",
	// "csv:<invoice>:pay", "csv:<customer>:register".
	Prefix string `yaml:"prefix"`
	// PaymentPrefix + invoice id is the payment id of a settled row (default "PAY-").
	PaymentPrefix string `yaml:"payment_prefix"`
}

// LoadMapping reads a mapping YAML file.
func LoadMapping(path string) (Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Mapping{}, err
	}
	m, err := ParseMapping(b)
	if err != nil {
		return Mapping{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ParseMapping reads a mapping from YAML, refusing unknown keys, fills in the
// defaults and checks it.
func ParseMapping(b []byte) (Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return Mapping{}, errors.New("mapping: empty document")
		}
		return Mapping{}, fmt.Errorf("mapping: %w", err)
	}
	return m.normalize()
}

func (m Mapping) register() bool { return m.Customers.Register == nil || *m.Customers.Register }

// normalize fills in defaults and checks the mapping.
func (m Mapping) normalize() (Mapping, error) {
	bad := func(format string, args ...any) (Mapping, error) {
		return Mapping{}, fmt.Errorf("mapping: "+format, args...)
	}
	if m.Delimiter == "" {
		m.Delimiter = ","
	}
	if r, n := utf8.DecodeRuneInString(m.Delimiter); n != len(m.Delimiter) || r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError {
		return bad("delimiter: %q must be one character other than a quote or a line break", m.Delimiter)
	}
	if m.DateLayout == "" {
		return bad("date_layout: required (a Go time layout such as \"1/2/2006\" or \"2006-01-02\")")
	}
	c := m.Columns
	for _, req := range []struct{ key, col string }{
		{"columns.customer", c.Customer}, {"columns.invoice", c.Invoice},
		{"columns.issued", c.Issued}, {"columns.amount", c.Amount},
	} {
		if strings.TrimSpace(req.col) == "" {
			return bad("%s: required (the header name of that column)", req.key)
		}
	}
	switch {
	case m.Currency == "" && c.Currency == "":
		return bad("currency: set a fixed currency (currency: USD) or a column (columns.currency)")
	case m.Currency != "" && c.Currency != "":
		return bad("currency: set either a fixed currency or columns.currency, not both")
	case m.Currency != "":
		if _, err := domain.ParseCurrency(m.Currency); err != nil {
			return bad("currency: %v", err)
		}
	}
	if m.DisputedValues.True == nil && m.DisputedValues.False == nil {
		m.DisputedValues = DisputedValues{True: []string{"Yes", "Y", "True", "1"}, False: []string{"No", "N", "False", "0", ""}}
	}
	seen := map[string]string{}
	for _, v := range m.DisputedValues.True {
		seen[strings.ToLower(strings.TrimSpace(v))] = "true_values"
	}
	for _, v := range m.DisputedValues.False {
		if seen[strings.ToLower(strings.TrimSpace(v))] == "true_values" {
			return bad("disputed_values: %q is both a true and a false value", v)
		}
	}
	cd := &m.Customers
	if cd.Grade == 0 {
		cd.Grade = 3
	}
	if cd.Grade < 1 || cd.Grade > 5 {
		return bad("customers.grade: %d is not a grade from 1 to 5", cd.Grade)
	}
	if cd.Collector == "" {
		cd.Collector = "unassigned"
	}
	if strings.TrimSpace(cd.Collector) == "" {
		return bad("customers.collector: must not be blank")
	}
	if cd.TermsDays == nil {
		thirty := 30
		cd.TermsDays = &thirty
	}
	if *cd.TermsDays < 0 || *cd.TermsDays > 3650 {
		return bad("customers.terms_days: %d is not from 0 to 3650", *cd.TermsDays)
	}
	if cd.TermsFromFirstInvoice && c.Due == "" {
		return bad("customers.terms_from_first_invoice: needs columns.due")
	}
	if m.IDs.Prefix == "" {
		m.IDs.Prefix = "csv"
	}
	if m.IDs.PaymentPrefix == "" {
		m.IDs.PaymentPrefix = "PAY-"
	}
	return m, nil
}
