package batch

import (
	"encoding/json"
	"unicode/utf8"
)

// scanObject is the first of decodeObject's readers: a byte scanner for the lines an
// import is made of, one object of plain strings, numbers, booleans, nulls, objects
// and arrays. It reports false for anything else (a string with an escape, bad
// syntax, an empty or repeated name, nesting deeper than maxDepth, data after the
// object), and decodeObjectFast then reads the line with jsontext, and decodeObject
// with encoding/json, so what a line reads as and its refusal stay theirs.
// FuzzDecodeObject holds it to the careful reader for every line it accepts.
//
// jsontext's token walk, general and checking as it goes, was an eighth of an
// import's CPU.
func scanObject(trimmed []byte) (map[string]any, bool) {
	s := objScanner{b: trimmed}
	v, ok := s.value(0)
	if !ok || s.i != len(s.b) {
		return nil, false
	}
	obj, ok := v.(map[string]any)
	return obj, ok
}

type objScanner struct {
	b []byte
	i int
}

func (s *objScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips whitespace and reports the next byte, 0 at the end.
func (s *objScanner) next() byte {
	s.space()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *objScanner) value(depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	switch c := s.next(); {
	case c == '{':
		s.i++
		m := map[string]any{}
		if s.next() == '}' {
			s.i++
			return m, true
		}
		for {
			if s.next() != '"' {
				return nil, false
			}
			raw, ok := s.plain()
			if !ok || len(raw) == 0 {
				return nil, false
			}
			// A known name is the interned string: looking it up makes no copy of it.
			k, known := fieldNames[string(raw)]
			if !known {
				k = string(raw)
			}
			if s.next() != ':' {
				return nil, false
			}
			s.i++
			v, ok := s.value(depth + 1)
			if !ok {
				return nil, false
			}
			n := len(m)
			if m[k] = v; len(m) == n {
				return nil, false // the name was there already
			}
			switch s.next() {
			case ',':
				s.i++
			case '}':
				s.i++
				return m, true
			default:
				return nil, false
			}
		}
	case c == '[':
		s.i++
		a := []any{}
		if s.next() == ']' {
			s.i++
			return a, true
		}
		for {
			v, ok := s.value(depth + 1)
			if !ok {
				return nil, false
			}
			a = append(a, v)
			switch s.next() {
			case ',':
				s.i++
			case ']':
				s.i++
				return a, true
			default:
				return nil, false
			}
		}
	case c == '"':
		raw, ok := s.plain()
		if !ok {
			return nil, false
		}
		return string(raw), true
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return true, s.word("true")
	case c == 'f':
		return false, s.word("false")
	case c == 'n':
		return nil, s.word("null")
	}
	return nil, false
}

// plain reads a string with no escape and no control character, and valid UTF-8,
// and returns what is between its quotes.
func (s *objScanner) plain() ([]byte, bool) {
	start := s.i + 1
	ascii := true
	for i := start; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			s.i = i + 1
			raw := s.b[start:i]
			return raw, ascii || utf8.Valid(raw)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? as its text.
func (s *objScanner) number() (any, bool) {
	start := s.i
	if s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	intStart := s.i
	if n := digits(); n == 0 || n > 1 && s.b[intStart] == '0' {
		return nil, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return json.Number(s.b[start:s.i]), true
}

func (s *objScanner) word(w string) bool {
	if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return true
	}
	return false
}
