package jsonquote

import (
	"bytes"
	"encoding/json"
	"testing"
)

// byEncodingJSON is s as encoding/json quotes it, with or without HTML escaping.
func byEncodingJSON(s string, escapeHTML bool) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// FuzzAppendAsEncodingJSON holds Append to encoding/json's quoting, byte for byte, in
// both modes: content hashes recorded with commands and stored commits must not
// change.
func FuzzAppendAsEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "plain C001", `"\`, "\b\f\n\r\t\x00\x01\x1f\x7f", "<>&",
		"\u2028\u2029", "\xff\xfe", "é😀", "a\xc3", "\xed\xa0\x80", "\ufffd", "tab\there"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{false, true} {
			if got, want := Append([]byte("x"), s, html), append([]byte("x"), byEncodingJSON(s, html)...); !bytes.Equal(got, want) {
				t.Fatalf("%q quoted as %s (escapeHTML %v), encoding/json quotes it %s", s, got, html, want)
			}
		}
	})
}

func TestAppendEscapesHTMLOnlyWhenAsked(t *testing.T) {
	if got := string(Append(nil, "<a&b>", false)); got != `"<a&b>"` {
		t.Errorf("without HTML escaping: %s", got)
	}
	if got := string(Append(nil, "<a&b>", true)); got != `"\u003ca\u0026b\u003e"` {
		t.Errorf("with HTML escaping: %s", got)
	}
}

// TestEveryByteAtEveryPlace puts each byte value at each place of a string longer
// than a few words, so that the eight-byte test meets every byte in every lane.
func TestEveryByteAtEveryPlace(t *testing.T) {
	for b := range 256 {
		for at := range 24 {
			s := []byte("abcdefghijklmnopqrstuvwx")
			s[at] = byte(b)
			for _, html := range []bool{false, true} {
				if got, want := Append(nil, string(s), html), byEncodingJSON(string(s), html); !bytes.Equal(got, want) {
					t.Fatalf("%q quoted as %s (escapeHTML %v), encoding/json quotes it %s", s, got, html, want)
				}
			}
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	s := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	buf := make([]byte, 0, 128)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = Append(buf[:0], s, true)
	}
}
