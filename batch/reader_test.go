package batch

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

type got struct {
	line  int
	field string // "" for a command
	cmd   string
}

func readAll(t *testing.T, r *Reader) []got {
	t.Helper()
	var out []got
	for i := 0; i < 1000; i++ {
		it, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %T %v is not a *LineError", err, err)
			}
			fe, ok := domain.Refusal(err)
			if !ok || fe.Field == "" {
				t.Fatalf("line error %v has no field", err)
			}
			out = append(out, got{line: le.Line, field: fe.Field})
			continue
		}
		if it.Cmd == nil || len(it.Hash) != 64 {
			t.Fatalf("item %+v incomplete", it)
		}
		out = append(out, got{line: it.Line, cmd: domain.CommandMeta(it.Cmd).ID})
	}
	t.Fatal("reader does not end")
	return nil
}

func TestReader(t *testing.T) {
	input := "\xef\xbb\xbf" + `{"cmd":"CloseQuarter","id":"q1","on":"2026-04-01","quarter":"2026Q1"}` + "\n" +
		"\n" +
		"   \t \r\n" +
		`{"cmd":"IssueInvoice","id":"i1","on":"2026-01-10","invoice":"INV-1","customer":"C001","amount":"12.","currency":"CNY"}` + "\n" +
		`not json at all` + "\r\n" +
		`{"cmd":"ConfirmViolation","id":"v3","on":"2026-02-11","violation":"V-1"}` + "\r\n" +
		"\n" +
		`{"cmd":"RejectViolation","id":"v4","on":"2026-02-11","violation":"V-2"}` // no final newline
	want := []got{
		{line: 1, cmd: "q1"},
		{line: 4, field: "amount"},
		{line: 5, field: FieldJSON},
		{line: 6, cmd: "v3"},
		{line: 8, cmd: "v4"},
	}
	r := NewReader(strings.NewReader(input))
	res := readAll(t, r)
	if len(res) != len(want) {
		t.Fatalf("got %+v, want %+v", res, want)
	}
	for i := range want {
		if res[i] != want[i] {
			t.Errorf("item %d: got %+v, want %+v", i, res[i], want[i])
		}
	}
	// EOF is sticky
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the end: %v", err)
	}
}

func TestReaderItemAndMessage(t *testing.T) {
	line := `{"cmd":"ConfirmViolation","id":"v3","on":"2026-02-11","violation":"V-1"}`
	bad := `{"cmd":"ConfirmViolation","id":"v3","on":"2026-02-11","violation":"V-1","amount":"1"}`
	r := NewReader(strings.NewReader(line + "\r\n\n\n" + bad + "\n"))
	it, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if it.Line != 1 {
		t.Errorf("item on line %d, want 1", it.Line)
	}
	cmd, h, _ := ParseCommand([]byte(line))
	if it.Hash != h {
		t.Errorf("reader hash differs from ParseCommand")
	}
	if !reflect.DeepEqual(it.Cmd, cmd) {
		t.Errorf("reader command %+v, ParseCommand %+v", it.Cmd, cmd)
	}
	_, err = r.Next()
	if err == nil || err.Error() != "line 4: amount: unknown field (allowed here: cmd, id, on, violation)" {
		t.Errorf("error %v", err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("want EOF, got %v", err)
	}
}

func TestReaderEmpty(t *testing.T) {
	for _, in := range []string{"", "\n", "\n\n  \n"} {
		if _, err := NewReader(strings.NewReader(in)).Next(); err != io.EOF {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestReaderLongLines(t *testing.T) {
	long := `{"cmd":"OpenDispute","id":"d","on":"2026-02-05","invoice":"I","reason":"` + strings.Repeat("x", 1<<20) + `"}`
	tooLong := strings.Repeat(" ", MaxLine+1)
	next := `{"cmd":"ConfirmViolation","id":"v3","on":"2026-02-11","violation":"V-1"}`
	r := NewReader(strings.NewReader(long + "\n" + tooLong + "\n" + next + "\n" + tooLong))
	it, err := r.Next()
	if err != nil || it.Line != 1 || len(it.Cmd.(*domain.OpenDispute).Reason) != 1<<20 {
		t.Fatalf("long line: %v", err)
	}
	_, err = r.Next()
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 {
		t.Fatalf("too long line: %v", err)
	}
	if it, err = r.Next(); err != nil || it.Line != 3 {
		t.Fatalf("after too long line: %v", err)
	}
	if _, err = r.Next(); !errors.As(err, &le) || le.Line != 4 {
		t.Fatalf("too long last line: %v", err)
	}
	if _, err = r.Next(); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
	// exactly MaxLine bytes is allowed (and here blank)
	if _, err := NewReader(bytes.NewReader(bytes.Repeat([]byte(" "), MaxLine))).Next(); err != io.EOF {
		t.Errorf("MaxLine blank line: %v", err)
	}
}

type failing struct{ n int }

func (f *failing) Read(p []byte) (int, error) {
	if f.n == 0 {
		f.n++
		return copy(p, `{"cmd":"ConfirmViolation","id":"v3","on":"2026-02-11","violation":"V-1"}`+"\n"), nil
	}
	return 0, errors.New("disk on fire")
}

func TestReaderIOError(t *testing.T) {
	r := NewReader(&failing{})
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err := r.Next()
	var le *LineError
	if err == nil || errors.As(err, &le) || err.Error() != "disk on fire" {
		t.Errorf("io error: %v", err)
	}
}
