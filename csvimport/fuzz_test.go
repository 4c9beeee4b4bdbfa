package csvimport_test

// FuzzTranslateCSV feeds arbitrary bytes as an ERP export to the translator with the
// IBM preset. It must not panic, and every refusal must say where: a CSV line (>= 1)
// and the column. The rows it translates must be commands the batch parser accepts,
// or, if it refuses one, a refusal that maps back to a CSV line and column.
//
//	go test -run '^$' -fuzz FuzzTranslateCSV -fuzztime 1m ./csvimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/csvimport"
)

// fzWholeRow reports whether a refusal is, by the package's contract (Refusal.Column:
// "" when it is about no one column), about a whole line rather than one cell: a
// line that is not CSV, a row with more fields than the header, an empty file. A row
// with fewer fields names the first missing column, which has no name to give when
// the header cell is blank (a header ending in a delimiter, as spreadsheets write).
func fzWholeRow(r *csvimport.Refusal, blankHeader bool) bool {
	msg := r.Err.Error()
	return strings.HasPrefix(msg, "CSV syntax: ") ||
		strings.Contains(msg, "fields, the header") && strings.Contains(msg, "an unquoted") ||
		strings.HasPrefix(msg, "the file is empty") ||
		blankHeader && strings.HasPrefix(msg, "missing: the row has")
}

func fzCheckRefusal(t *testing.T, what string, r *csvimport.Refusal, lines int, blankHeader bool) {
	t.Helper()
	if r.Line < 1 || (lines > 0 && r.Line > lines) {
		t.Fatalf("%s %q: line %d, want 1..%d", what, r.Error(), r.Line, lines)
	}
	if r.Err == nil || r.Err.Error() == "" {
		t.Fatalf("%s on line %d: no reason", what, r.Line)
	}
	if r.Column == "" && !fzWholeRow(r, blankHeader) {
		t.Fatalf("%s %q names no column", what, r.Error())
	}
}

// fzBlankHeader reports whether the file's first record has a blank column name.
func fzBlankHeader(data []byte, comma rune) bool {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return false
	}
	for _, h := range header {
		if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == "" {
			return true
		}
	}
	return false
}

const fzIBMHeader = "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\r\n"

func FuzzTranslateCSV(f *testing.F) {
	for _, s := range []string{
		// valid rows: settled, disputed and settled, open, disputed and open
		fzIBMHeader + "391,0379-NEVHP,4/6/2013,611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\r\n" +
			"406,8976-AMJEO,3/3/2012,7900770,1/26/2013,2/25/2013,61.74,Yes,3/3/2013,Electronic,36,6\r\n" +
			"391,2820-XGXSB,1/26/2012,9231909,7/3/2013,8/2/2013,65.88,No,,Paper,,\r\n" +
			"818,9322-YCTQO,4/12/2012,9888306,2/10/2013,3/12/2013,105.92,Yes,,Electronic,,\n",
		// the bad rows of TestBadRowsAreRefusedByLineAndColumn
		fzIBMHeader +
			"391,C-1,4/6/2013,INV-2,1/3/2013,2/2/2013,\"12,5\",No,1/15/2013,Paper,12,0\r\n" +
			"391,C-1,4/6/2013,INV-3,2/30/2013,3/1/2013,10.00,No,3/15/2013,Paper,13,0\r\n" +
			"391,C-1,4/6/2013,INV-4,1/2/2013,2/1/2013\r\n" +
			"391,C-1,4/6/2013,INV-5,1/2/2013,2/1/2013,10.00,Maybe,1/15/2013,Paper,13,0\r\n" +
			"391,C-2,4/6/2013,INV-5,1/2/2013,2/1/2013,10.00,No,1/15/2013,Paper,13,0\r\n" +
			"391,C-2,4/6/2013,INV-6,1/20/2013,2/19/2013,10.00,No,1/15/2013,Paper,13,0\r\n" +
			"391,C-2,4/6/2013,INV-7,1/2/2013,2/1/2013,0.00,No,1/15/2013,Paper,13,0\r\n" +
			"391,C-2,4/6/2013,INV-8,1/2/2013,2/1/2013,10.001,No,1/15/2013,Paper,13,0\r\n" +
			"391,C-2,4/6/2013,INV-9,2013-01-02,2/1/2013,10.00,No,,Paper,13,0\r\n" +
			"391,C-2,4/6/2013,,1/2/2013,2/1/2013,10.00,No,,Paper,13,0\r\n" +
			"391,C-2,4/6/2013,INV-10,1/2/2013,12/1/2012,10.00,No,,Paper,13,0\r\n" +
			"\r\n" +
			"391,C-3,4/6/2013,INV-11,1/2/2013,2/1/2013,10.00,No,,Paper,13,0,extra\r\n" +
			"391,C-3,4/6/2013,\"INV-\"12\",1/2/2013,2/1/2013,10.00,No,,Paper,13,0\r\n" +
			"391,\" \",4/6/2013,INV-13,1/2/2013,2/1/2013,10.00,No,,Paper,13,0\r\n" +
			"391,C-4,4/6/2013,INV-14,1/2/10000,2/1/2013,10.00,No,,Paper,13,0\r\n",
		// header problems
		"",
		"\ufeff" + fzIBMHeader + "391,C-1,4/6/2013,INV-1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\r\n",
		"countryCode,customerID,invoiceNumber\r\n391,C-1,INV-1\r\n",
		"countryCode,customerID,customerID,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate\r\n",
		"\"unterminated,header\r\n",
		// a header ending in a delimiter: a blank column name
		"customerID,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,\n,,,,,,",
		fzIBMHeader + "391,C-1,4/6/2013,INV-1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper\r\n",
		fzIBMHeader + "\"unterminated\r\n",
		// quoted newline inside a cell, so the row spans two lines
		fzIBMHeader + "391,\"C\n1\",4/6/2013,INV-1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\r\n",
		// semicolons, an invalid UTF-8 cell
		strings.ReplaceAll(fzIBMHeader, ",", ";") + "391;C-1;4/6/2013;INV-1;1/2/2013;2/1/2013;55.94;No;1/15/2013;Paper;13;0\r\n",
		fzIBMHeader + "391,C-\xff,4/6/2013,INV-\xfe,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\r\n",
	} {
		f.Add([]byte(s))
	}
	m, err := csvimport.Preset("ibm-ar")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := csvimport.Translate(bytes.NewReader(data), m)
		blank := fzBlankHeader(data, ',')
		if err != nil {
			var r *csvimport.Refusal
			if !errors.As(err, &r) {
				t.Fatalf("Translate of in-memory bytes: %T %v, want a *csvimport.Refusal", err, err)
			}
			fzCheckRefusal(t, "file refusal", r, 0, blank)
			if tr != nil {
				t.Fatalf("file refused (%v) with a translation", err)
			}
			return
		}
		if tr.Lines < 1 {
			t.Fatalf("translation of %d lines: the header is line 1", tr.Lines)
		}
		prev := 0
		for i := range tr.Refused {
			r := &tr.Refused[i]
			fzCheckRefusal(t, "row refusal", r, tr.Lines, blank)
			if r.Line <= prev {
				t.Fatalf("refusals not by line, one per row: line %d after %d", r.Line, prev)
			}
			prev = r.Line
		}
		// Every translated command is one the batch parser accepts; if it refuses one,
		// the refusal maps back to a CSV line and column like the engine's would.
		invoices := 0
		lines := bytes.Split(bytes.TrimSuffix(tr.JSONL(), []byte("\n")), []byte("\n"))
		if len(tr.JSONL()) == 0 {
			lines = nil
		}
		if len(lines) != tr.Commands() {
			t.Fatalf("%d JSON lines, %d commands", len(lines), tr.Commands())
		}
		for i, line := range lines {
			csvLine, ok := tr.CSVLine(i + 1)
			if !ok || csvLine < 2 || csvLine > tr.Lines {
				t.Fatalf("JSON line %d comes from CSV line %d (%v), want 2..%d", i+1, csvLine, ok, tr.Lines)
			}
			if bytes.HasPrefix(line, []byte(`{"cmd":"IssueInvoice",`)) {
				invoices++
			}
			if _, _, err := batch.ParseCommand(line); err != nil {
				r := tr.Refusal(i+1, err)
				fzCheckRefusal(t, "translated command refused", &r, tr.Lines, false)
				if r.Column == "" {
					t.Fatalf("translated command %s refused, naming no column: %v", line, r.Error())
				}
			}
		}
		// Each data row is either refused (once) or translated into one invoice.
		if len(tr.Refused)+invoices != tr.Rows {
			t.Fatalf("%d rows: %d refused, %d invoices", tr.Rows, len(tr.Refused), invoices)
		}
	})
}
