package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

func FuzzParseCommand(f *testing.F) {
	for _, tc := range validLines {
		f.Add([]byte(tc.line))
	}
	f.Add([]byte(invoice(`"12."`, `"CNY"`)))
	f.Add([]byte(payment(`[{"invoice":"I","amount":"1"}]`)))
	f.Fuzz(func(t *testing.T, line []byte) {
		cmd, hash, err := ParseCommand(line)
		if err != nil {
			var le *LineError
			if errors.As(err, &le) {
				err = le.Err
			}
			var fe *domain.FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error %T %v has no field", err, err)
			}
			if cmd != nil || hash != "" {
				t.Fatalf("refusal with a command")
			}
			return
		}
		if cmd == nil || len(hash) != 64 {
			t.Fatalf("accepted without command or hash")
		}
		if !json.Valid(bytes.TrimSpace(line)) {
			t.Fatalf("accepted a line that is not valid JSON")
		}
		// the hash is a function of the content
		if _, h2, err := ParseCommand(line); err != nil || h2 != hash {
			t.Fatalf("second parse differs")
		}
	})
}

// FuzzDecodeObject holds decodeObject's token walk to json.Valid: a line it accepts is
// valid JSON, so no second scan is needed. It also holds the fast reader to the
// careful one: a line the fast reader accepts reads as the same object both ways.
func FuzzDecodeObject(f *testing.F) {
	for _, tc := range validLines {
		f.Add([]byte(tc.line))
	}
	for _, s := range []string{
		`{}`, ` {"a":1} `, `{"a":1,}`, `{"a":1 "b":2}`, `{"a" 1}`, `{"a"::1}`, `{,"a":1}`,
		`{"a":[1,]}`, `{"a":[,1]}`, `{"a":[1 2]}`, `{"a":{"b":}}`, `{"a":01}`, `{"a":1.}`,
		`{"a":-}`, `{"a":.5}`, `{"a":1e}`, `{"a":tru}`, `{"a":nul}`, `{"a":"\x"}`,
		`{"a":"\u12"}`, "{\"a\":\"\x01\"}", `{"a":1}}`, `{"a":1}{`, `{"a":1}x`, `{"a":1`,
		`{"a":"b}`, `{'a':1}`, `{a:1}`, `{"a":NaN}`, `{"a":+1}`, `{"a":[}`, `{"a":]}`,
		"{\"a\":1}\u00a0", "\u00a0{\"a\":1}", "{\"a\":\f1}", `{"a":1}//`, `{"a":"\ud800"}`,
		// where the fast and the careful reader could differ
		`{"a":-0,"b":1E5,"c":1e+5,"d":-1.250e-3,"e":123456789012345678901234567890}`,
		`{"a":"\u00e9\ud83d\ude00\/\"\\\b\f\n\r\t","b":"é😀"}`, `{"a":"\udc00x"}`,
		`{"a":1,"\u0061":2}`, `{"":1}`, `{"a":{"":1}}`, `{"a":[true,false,null,{},[]]}`,
		`{"a":` + strings.Repeat("[", 15) + strings.Repeat("]", 15) + `}`,
		`{"a":` + strings.Repeat("[", 16) + strings.Repeat("]", 16) + `}`,
		`{"a":null,"b":{"c":null}}`, "{\"a\":1,\t\"b\" : [ 1 , 2 ]\r\n}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if _, err := decodeObject(line); err == nil && !json.Valid(bytes.TrimSpace(line)) {
			t.Fatalf("decodeObject accepted %q, which is not valid JSON", line)
		}
		trimmed := bytes.TrimSpace(line)
		for name, fast := range map[string]func([]byte) (map[string]any, bool){"scanObject": scanObject, "tokenObject": tokenObject} {
			got, ok := fast(trimmed)
			if !ok {
				continue
			}
			careful, err := decodeObjectCarefully(trimmed)
			if err != nil {
				t.Fatalf("%s accepted %q, the careful reader refuses it: %v", name, line, err)
			}
			if !reflect.DeepEqual(got, careful) {
				t.Fatalf("%q reads as %#v with %s, %#v carefully", line, got, name, careful)
			}
		}
	})
}

// A command's content hash is recorded with it and compared on every re-import, so
// it must never change: this one was computed before the hash had its own quoting.
func TestContentHashIsPinned(t *testing.T) {
	line := "{\"cmd\":\"RegisterCustomer\",\"id\":\"c1\\u0001\\b\",\"on\":\"2026-01-05\",\"customer\":\"C\\u2028<&>\\\"\\\\\"," +
		"\"name\":\"Ac\\u00e9me \\ud83d\\ude00 \\t\\n\",\"grade\":2,\"terms_days\":30,\"collector\":\"w\\u007f\",\"email\":null}"
	_, hash, err := ParseCommand([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := "aaa0559c6c9c3a871eca3d115c36fe1c4ba34ef94951f641e752955b78ef968d"; hash != want {
		t.Fatalf("content hash %s, recorded hashes have %s", hash, want)
	}
}
