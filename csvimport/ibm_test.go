package csvimport_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/arkeep/arkeep/csvimport"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/ledger"
)

// ibmFile is the IBM accounts-receivable sample, shared next to the repository.
var ibmFile = filepath.Join("..", "..", "shared", "data", "ar_late_payments.csv")

func readIBM(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(ibmFile)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("the IBM sample %s is absent: nothing to check", ibmFile)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIBMSampleDaysLateMatchTheBooks imports the whole IBM sample into a real
// embedded JetStream and checks, for every row, that the days late at settlement
// computed from the engine's books (the payment application's date against the
// invoice's effective due date) equal the file's DaysLate column. A re-import
// records nothing new.
func TestIBMSampleDaysLateMatchTheBooks(t *testing.T) {
	data := readIBM(t)
	e := newEnv(t)
	m := ibm(t)

	start := time.Now()
	st, refs, err := csvimport.Import(ctxT(t), e.svc, bytes.NewReader(data), m, ledger.ImportOptions{Workers: 64})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	t.Logf("first import in %v: %+v", time.Since(start).Round(time.Millisecond), st)
	if len(refs) > 0 || st.Refused != 0 || st.Commands.Refused != 0 {
		t.Fatalf("%d rows refused:\n%s", st.Refused, refusalText(refs[:min(len(refs), 10)]))
	}

	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, rows := rows[0], rows[1:]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	if st.Rows != len(rows) {
		t.Fatalf("Rows = %d, the file has %d", st.Rows, len(rows))
	}
	customers, disputed := map[string]bool{}, 0
	for _, r := range rows {
		customers[r[col["customerID"]]] = true
		if r[col["Disputed"]] == "Yes" {
			disputed++
		}
	}
	// register per customer; issue + pay per row (every row is settled); open and
	// resolve per disputed row.
	wantCmds := len(customers) + 2*len(rows) + 2*disputed
	if st.Commands.Commands != wantCmds || st.Commands.Recorded != wantCmds {
		t.Fatalf("commands %d, recorded %d; want %d of each", st.Commands.Commands, st.Commands.Recorded, wantCmds)
	}

	books := e.books()
	checked, mismatches := 0, 0
	for i, r := range rows {
		line := i + 2
		cust, id := r[col["customerID"]], r[col["invoiceNumber"]]
		want, err := strconv.Atoi(r[col["DaysLate"]])
		if err != nil {
			t.Fatalf("line %d: DaysLate %q: %v", line, r[col["DaysLate"]], err)
		}
		acct, ok := books.Existing(cust)
		if !ok {
			t.Fatalf("line %d: customer %s is not registered", line, cust)
		}
		inv, ok := acct.Invoice(id)
		if !ok {
			t.Fatalf("line %d: invoice %s of %s is not in the books", line, id, cust)
		}
		var paid []domain.Application
		for _, ap := range inv.Apps {
			if ap.Kind == domain.AppPayment {
				paid = append(paid, ap)
			}
		}
		if len(paid) != 1 || !paid[0].Amount.Equal(inv.Amount()) || inv.Outstanding().IsPositive() {
			t.Fatalf("line %d: invoice %s: want one payment of the full %s, got %+v (outstanding %s)",
				line, id, inv.Amount(), paid, inv.Outstanding())
		}
		payOn := paid[0].MoneyOn
		late := max(0, int(payOn-inv.DueAsOf(payOn)))
		checked++
		if late != want {
			mismatches++
			if mismatches <= 5 {
				t.Errorf("line %d: invoice %s paid %s, due %s: %d days late in the books, DaysLate %d in the file",
					line, id, payOn, inv.DueAsOf(payOn), late, want)
			}
		}
		if wantDisputed := r[col["Disputed"]] == "Yes"; len(inv.Disputes()) != map[bool]int{true: 2, false: 0}[wantDisputed] || inv.Disputed() {
			t.Errorf("line %d: invoice %s: disputes %+v (disputed now: %v), file says Disputed %s",
				line, id, inv.Disputes(), inv.Disputed(), r[col["Disputed"]])
		}
	}
	t.Logf("DaysLate: %d rows checked, %d mismatches", checked, mismatches)
	if checked != len(rows) {
		t.Fatalf("checked %d rows of %d", checked, len(rows))
	}

	// Registration on the earliest invoice, whatever the file order.
	earliest := map[string]domain.Date{}
	for _, r := range rows {
		d, err := time.Parse("1/2/2006", r[col["InvoiceDate"]])
		if err != nil {
			t.Fatal(err)
		}
		dd := domain.NewDate(d.Date())
		if e, ok := earliest[r[col["customerID"]]]; !ok || dd < e {
			earliest[r[col["customerID"]]] = dd
		}
	}
	for c, d := range earliest {
		acct, _ := books.Existing(c)
		if p := acct.Profile(); p.RegisteredOn != d || p.TermsDays != 30 || p.Collector != "unassigned" || acct.GradeOn(d) != 3 {
			t.Errorf("customer %s: registered %+v (grade %d), want on %s, terms 30, grade 3, collector unassigned",
				c, p, acct.GradeOn(d), d)
		}
	}

	// The same file again records nothing new.
	st2, refs2, err := csvimport.Import(ctxT(t), e.svc, bytes.NewReader(data), m, ledger.ImportOptions{Workers: 64})
	if err != nil {
		t.Fatalf("re-import: %v", err)
	}
	if len(refs2) > 0 || st2.Commands.Recorded != 0 || st2.Commands.Events != 0 {
		t.Fatalf("re-import: %+v\n%s", st2, refusalText(refs2))
	}
	// Customers already in the books are not registered again.
	if want := 2*len(rows) + 2*disputed; st2.Commands.Duplicates != want {
		t.Fatalf("re-import: %d already recorded, want %d", st2.Commands.Duplicates, want)
	}
	// And a fresh service, loading the stream, sees the same.
	svc2 := ledger.New(e.st, time.Now)
	if err := svc2.Load(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st3, refs3, err := csvimport.Import(ctxT(t), svc2, bytes.NewReader(data), m, ledger.ImportOptions{Workers: 64})
	if err != nil || len(refs3) > 0 || st3.Commands.Recorded != 0 {
		t.Fatalf("re-import on a fresh service: %+v, %v\n%s", st3, err, refusalText(refs3))
	}
}

// TestIBMTranslationIsDeterministic: the same file gives the same JSON Lines, and the
// registration of a customer comes before its first invoice.
func TestIBMTranslationIsDeterministic(t *testing.T) {
	data := readIBM(t)
	a, err := csvimport.Translate(bytes.NewReader(data), ibm(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := csvimport.Translate(bytes.NewReader(data), ibm(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.JSONL(), b.JSONL()) {
		t.Fatal("two translations of the same file differ")
	}
	if len(a.Refused) != 0 {
		t.Fatalf("refused: %v", a.Refused)
	}
	first := bytes.SplitN(a.JSONL(), []byte("\n"), 3)
	const wantReg = `{"cmd":"RegisterCustomer","id":"csv:0379-NEVHP:register","on":"2012-02-12","customer":"0379-NEVHP","name":"0379-NEVHP","grade":3,"terms_days":30,"collector":"unassigned"}`
	const wantInv = `{"cmd":"IssueInvoice","id":"csv:0000611365:issue","on":"2013-01-02","invoice":"0000611365","customer":"0379-NEVHP","amount":"55.94","currency":"USD","due":"2013-02-01"}`
	if string(first[0]) != wantReg || string(first[1]) != wantInv {
		t.Fatalf("first lines:\n%s\n%s\nwant\n%s\n%s", first[0], first[1], wantReg, wantInv)
	}
	if l, ok := a.CSVLine(2); !ok || l != 2 {
		t.Fatalf("CSVLine(2) = %d, %v; want line 2", l, ok)
	}
}
