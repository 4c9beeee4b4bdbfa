package csvimport

import (
	"fmt"
	"sort"
	"strings"
)

// ibmAR is the preset "ibm-ar": the IBM Watson Analytics accounts-receivable sample
// (WA_Fn-UseC_-Accounts-Receivable, ar_late_payments.csv) with the header
//
//	countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,
//	InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate
//
// dates M/D/YYYY, amounts like 55.94. What each row becomes:
//
//   - customer = customerID, auto-registered (grade 3, terms 30 days, collector
//     "unassigned", name = the id) on the date of its EARLIEST invoice, before its
//     first command in the file (the file is not sorted by date);
//   - IssueInvoice invoiceNumber dated InvoiceDate, due DueDate, amount
//     InvoiceAmount in USD. The file has no currency column; the sample's amounts are
//     dollars, so the preset fixes USD (a mapping file can name another currency or a
//     currency column);
//   - Disputed "Yes": OpenDispute on the invoice dated InvoiceDate (the file does not
//     say when the dispute was raised, so it is counted from the issue date), and
//     ResolveDispute dated SettledDate, recorded before the payment (a settled
//     invoice's dispute has ended by then);
//   - SettledDate present: RecordPayment "PAY-"+invoiceNumber dated SettledDate of the
//     full InvoiceAmount, explicitly allocated to that invoice (the file has no paid
//     amount: settled means paid in full).
//
// countryCode, PaperlessDate, PaperlessBill, DaysToSettle and DaysLate are not
// imported: the last two follow from the books (DaysLate = max(0, SettledDate −
// DueDate), which the package's test checks on every row).
func ibmAR() Mapping {
	register, terms := true, 30
	return Mapping{
		Delimiter:  ",",
		DateLayout: "1/2/2006",
		Currency:   "USD",
		Columns: Columns{
			Customer: "customerID",
			Invoice:  "invoiceNumber",
			Issued:   "InvoiceDate",
			Due:      "DueDate",
			Amount:   "InvoiceAmount",
			Settled:  "SettledDate",
			Disputed: "Disputed",
		},
		DisputedValues: DisputedValues{True: []string{"Yes"}, False: []string{"No"}},
		Customers: CustomerDefaults{
			Register:  &register,
			Grade:     3,
			Collector: "unassigned",
			TermsDays: &terms,
		},
		IDs: IDs{Prefix: "csv", PaymentPrefix: "PAY-"},
	}
}

var presets = map[string]func() Mapping{
	"ibm-ar": ibmAR,
}

// Presets lists the names of the built-in mappings, sorted.
func Presets() []string {
	out := make([]string, 0, len(presets))
	for n := range presets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Preset returns a built-in mapping by name ("ibm-ar").
func Preset(name string) (Mapping, error) {
	p, ok := presets[name]
	if !ok {
		return Mapping{}, fmt.Errorf("%q is not a mapping preset (known: %s)", name, strings.Join(Presets(), ", "))
	}
	return p().normalize()
}
