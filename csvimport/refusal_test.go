package csvimport_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/csvimport"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/ledger"
)

const ibmHeader = "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\r\n"

// TestBadRowsAreRefusedByLineAndColumn: each bad row is refused naming its CSV line
// and column, nothing of it is recorded, and the good rows are.
func TestBadRowsAreRefusedByLineAndColumn(t *testing.T) {
	e := newEnv(t)
	csvText := ibmHeader +
		"391,C-1,4/6/2013,INV-1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\r\n" + // 2 good
		"391,C-1,4/6/2013,INV-2,1/3/2013,2/2/2013,\"12,5\",No,1/15/2013,Paper,12,0\r\n" + // 3 bad amount
		"391,C-1,4/6/2013,INV-3,2/30/2013,3/1/2013,10.00,No,3/15/2013,Paper,13,0\r\n" + // 4 impossible date
		"391,C-1,4/6/2013,INV-4,1/2/2013,2/1/2013\r\n" + // 5 missing columns
		"391,C-1,4/6/2013,INV-5,1/2/2013,2/1/2013,10.00,Maybe,1/15/2013,Paper,13,0\r\n" + // 6 bad flag
		"391,C-2,4/6/2013,INV-1,1/2/2013,2/1/2013,10.00,No,1/15/2013,Paper,13,0\r\n" + // 7 invoice id again
		"391,C-2,4/6/2013,INV-6,1/20/2013,2/19/2013,10.00,No,1/15/2013,Paper,13,0\r\n" + // 8 settled before issue
		"391,C-2,4/6/2013,INV-7,1/2/2013,2/1/2013,0.00,No,1/15/2013,Paper,13,0\r\n" + // 9 zero amount
		"391,C-2,4/6/2013,INV-8,1/2/2013,2/1/2013,10.001,No,1/15/2013,Paper,13,0\r\n" + // 10 3 decimals
		"391,C-2,4/6/2013,INV-9,2013-01-02,2/1/2013,10.00,No,,Paper,13,0\r\n" + // 11 wrong layout
		"391,C-2,4/6/2013,,1/2/2013,2/1/2013,10.00,No,,Paper,13,0\r\n" + // 12 no invoice id
		"391,C-2,4/6/2013,INV-10,1/2/2013,12/1/2012,10.00,No,,Paper,13,0\r\n" + // 13 due before issue
		"\r\n" + // 14 blank: skipped
		"406,C-3,4/6/2013,INV-11,3/2/2013,4/1/2013,77.70,Yes,,Paper,,\r\n" // 15 good, not settled
	st, refs := e.importCSV(csvText, ibm(t))

	want := []string{
		`line 3: InvoiceAmount: "12,5" is not a plain decimal (digits with an optional point) (USD allows 2 decimals)`,
		`line 4: InvoiceDate: "2/30/2013" is not a date in the layout "1/2/2006"`,
		`line 5: InvoiceAmount: missing: the row has 6 fields, the header 12`,
		`line 6: Disputed: "Maybe" is neither a yes ("Yes") nor a no ("No")`,
		`line 7: invoiceNumber: invoice "INV-1" is already on line 2`,
		`line 8: SettledDate: "1/15/2013" is before the issue date "1/20/2013" (InvoiceDate)`,
		`line 9: InvoiceAmount: "0.00" must be greater than zero (USD allows 2 decimals)`,
		`line 10: InvoiceAmount: "10.001" has 3 decimals; at most 2 allowed (USD allows 2 decimals)`,
		`line 11: InvoiceDate: "2013-01-02" is not a date in the layout "1/2/2006"`,
		`line 12: invoiceNumber: required: the cell is empty`,
		`line 13: DueDate: "12/1/2012" is before the issue date "1/2/2013" (InvoiceDate)`,
	}
	if got := strings.TrimSpace(refusalText(refs)); got != strings.Join(want, "\n") {
		t.Fatalf("refusals:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	for _, r := range refs {
		if r.Command != "" {
			t.Errorf("%v: refused by the engine, want by the translator", &r)
		}
	}
	if st.Rows != 13 || st.Refused != len(want) || st.Commands.Refused != 0 {
		t.Fatalf("stats %+v", st)
	}
	// C-1: register, INV-1 issue + pay; C-3: register, INV-11 issue + dispute (open).
	if st.Commands.Recorded != 6 {
		t.Fatalf("recorded %d commands, want 6: %+v", st.Commands.Recorded, st)
	}
	b := e.books()
	if _, ok := b.Existing("C-2"); ok {
		t.Error("C-2 has only bad rows but was registered")
	}
	for _, id := range []string{"INV-2", "INV-3", "INV-4", "INV-5", "INV-6", "INV-7", "INV-8", "INV-9", "INV-10"} {
		if owner, ok := b.InvoiceOwner(id); ok {
			t.Errorf("refused invoice %s recorded for %s", id, owner)
		}
	}
	if owner, _ := b.InvoiceOwner("INV-1"); owner != "C-1" {
		t.Errorf("INV-1 belongs to %q, want C-1", owner)
	}
	c3, _ := b.Existing("C-3")
	inv, _ := c3.Invoice("INV-11")
	if !inv.Disputed() || !inv.Outstanding().Equal(inv.Amount()) || inv.Due != domain.MustDate("2013-04-01") {
		t.Errorf("INV-11: disputed %v, outstanding %s, due %s", inv.Disputed(), inv.Outstanding(), inv.Due)
	}
}

// TestMissingHeaderColumnRecordsNothing: a header without a mapped column refuses the
// whole file at line 1, naming the column.
func TestMissingHeaderColumnRecordsNothing(t *testing.T) {
	e := newEnv(t)
	text := "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,Amount,Disputed,SettledDate\n" +
		"391,C-1,4/6/2013,INV-1,1/2/2013,2/1/2013,55.94,No,1/15/2013\n"
	_, _, err := csvimport.Import(ctxT(t), e.svc, strings.NewReader(text), ibm(t), ledger.ImportOptions{})
	var r *csvimport.Refusal
	if !errors.As(err, &r) || r.Line != 1 || r.Column != "InvoiceAmount" {
		t.Fatalf("err = %v, want a refusal of line 1, column InvoiceAmount", err)
	}
	if !strings.HasPrefix(err.Error(), "line 1: InvoiceAmount: column missing from the header") {
		t.Fatalf("err = %v", err)
	}
	if len(e.books().Accounts()) != 0 {
		t.Fatal("something was recorded")
	}
	if _, err := csvimport.Translate(strings.NewReader(""), ibm(t)); err == nil {
		t.Fatal("an empty file translated")
	}
}

// TestEngineRefusalsAreReportedByCSVLine: when the engine refuses a translated
// command, the refusal names the CSV row and the column, not the JSON line.
func TestEngineRefusalsAreReportedByCSVLine(t *testing.T) {
	e := newEnv(t)
	rows := []string{
		"391,C-1,4/6/2013,INV-1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\r\n",
		"391,C-1,4/6/2013,INV-2,1/3/2013,2/2/2013,20.00,Yes,2/10/2013,Paper,38,8\r\n",
		"391,C-2,4/6/2013,INV-3,1/4/2013,2/3/2013,30.00,No,,Paper,,\r\n",
	}
	if st, refs := e.importCSV(ibmHeader+strings.Join(rows, ""), ibm(t)); len(refs) > 0 || st.Commands.Recorded != 9 {
		t.Fatalf("first import: %+v\n%s", st, refusalText(refs))
	}
	// A later export without INV-1: the ERP changed INV-3's amount and settled it
	// (line 3); INV-4 (line 4) is new; and line 5 names C-1's invoice INV-1 for C-2.
	changed := ibmHeader + rows[1] +
		"391,C-2,4/6/2013,INV-3,1/4/2013,2/3/2013,35.00,No,2/1/2013,Paper,28,0\r\n" +
		"391,C-2,4/6/2013,INV-4,1/5/2013,2/4/2013,40.00,No,,Paper,,\r\n" +
		"391,C-2,4/6/2013,INV-1,1/5/2013,2/4/2013,40.00,No,,Paper,,\r\n"
	st, refs := e.importCSV(changed, ibm(t))
	want := []string{
		`line 3: IssueInvoice "csv:INV-3:issue": id: `,
		`line 3: InvoiceAmount: RecordPayment "csv:INV-3:pay": allocations[0].amount: `,
		`line 5: invoiceNumber: invoice "INV-1" exists already, of customer "C-1"`,
	}
	if len(refs) != len(want) {
		t.Fatalf("refusals:\n%s", refusalText(refs))
	}
	for i, w := range want {
		if !strings.HasPrefix(refs[i].Error(), w) {
			t.Errorf("refusal %d: %v\nwant it to start with %s", i, &refs[i], w)
		}
	}
	t.Logf("refusals:\n%s", refusalText(refs))
	if fe, ok := domain.Refusal(refs[0].Err); !ok || fe.Reason != domain.Duplicate {
		t.Errorf("refusal %v: want a duplicate-id refusal", &refs[0])
	}
	// Two rows refused; INV-4 issued (its customer C-2 is known: not registered again);
	// the unchanged rows are already recorded.
	if st.Refused != 2 || st.Commands.Refused != 2 || st.Commands.Recorded != 1 || st.Commands.Duplicates != 4 {
		t.Fatalf("stats %+v", st)
	}
	if _, ok := e.books().Account("C-2").Invoice("INV-4"); !ok {
		t.Fatal("INV-4 not recorded")
	}
}

// TestCSVSyntaxErrorRefusesThatRow: a row the CSV reader cannot read is refused by
// line; the rows after it are translated, with their own line numbers (a quoted
// value may span lines).
func TestCSVSyntaxErrorRefusesThatRow(t *testing.T) {
	text := ibmHeader +
		"391,C-1,4/6/2013,INV-1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n" + // 2
		"391,C-1,4/6/2013,IN\"V-2,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n" + // 3 bare quote
		"391,C-1,4/6/2013,INV-3,1/2/2013,2/1/2013,55.94,No,1/15/2013,\"two\nlines\",13,0\n" + // 4-5
		"391,C-1,4/6/2013,INV-4,1/2/2013,2/1/2013,5x,No,1/15/2013,Paper,13,0\n" // 6
	tr, err := csvimport.Translate(strings.NewReader(text), ibm(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Refused) != 2 || tr.Refused[0].Line != 3 || !strings.Contains(tr.Refused[0].Error(), "CSV syntax") ||
		tr.Refused[1].Line != 6 || tr.Refused[1].Column != "InvoiceAmount" {
		t.Fatalf("refused: %v", tr.Refused)
	}
	if tr.Rows != 4 || tr.Lines != 6 || tr.Commands() != 5 {
		t.Fatalf("rows %d, lines %d, commands %d", tr.Rows, tr.Lines, tr.Commands())
	}
	if l, _ := tr.CSVLine(4); l != 4 {
		t.Fatalf("INV-3's issue is from CSV line %d, want 4", l)
	}
}
