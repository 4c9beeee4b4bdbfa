package batch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/internal/jsonquote"
	"github.com/go-json-experiment/json/jsontext"
)

// FieldJSON is the field named by refusals of a line that is not one well-formed JSON
// object (malformed JSON, trailing data, not an object, too long, not UTF-8).
const FieldJSON = "json"

// maxDepth bounds nesting: no command needs more than 3 levels.
const maxDepth = 16

// decodeObject reads line as exactly one JSON object. Numbers stay json.Number;
// duplicate keys are refused.
func decodeObject(line []byte) (map[string]any, error) {
	if !utf8.Valid(line) {
		return nil, domain.Invalidf(FieldJSON, "the line is not valid UTF-8 text")
	}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		return nil, domain.Invalidf(FieldJSON, "the line is empty; expected a JSON object")
	}
	if trimmed[0] != '{' {
		return nil, domain.Invalidf(FieldJSON, "the line must be one JSON object {...}")
	}
	if obj, ok := decodeObjectFast(trimmed); ok {
		return obj, nil
	}
	return decodeObjectCarefully(trimmed)
}

// decodeObjectCarefully reads a trimmed line with encoding/json's token walk, which
// names what is wrong with a line that is not one well-formed object.
func decodeObjectCarefully(trimmed []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	v, err := readValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, domain.Invalidf(FieldJSON, "the line must be one JSON object {...}")
	}
	// The token walk has checked every delimiter, key and value (FuzzDecodeObject holds
	// it to json.Valid), so the line needs no second scan.
	if _, err := dec.Token(); err != io.EOF {
		return nil, domain.Invalidf(FieldJSON, "unexpected data after the JSON object (at byte %d); put one command per line", dec.InputOffset())
	}
	return obj, nil
}

// decodeObjectFast reads a trimmed line that is one well-formed JSON object, with
// scanObject or else the tokenizer of the encoding/json v2 prototype (jsontext):
// encoding/json's Token allocated an error value at the end of every value, and the
// token walk was about a fifth of an import's CPU. It reports false for anything it
// does not accept as it is: bad syntax, nesting deeper than maxDepth, an empty or
// repeated field name, data after the object. decodeObject then reads the line
// carefully, so a refusal and its message are what they always were.
// FuzzDecodeObject holds both fast readers to the careful one for every line they
// accept.
func decodeObjectFast(trimmed []byte) (map[string]any, bool) {
	if obj, ok := scanObject(trimmed); ok {
		return obj, true
	}
	return tokenObject(trimmed)
}

// tokenObject is decodeObjectFast with jsontext's tokenizer, for the lines scanObject
// does not take (strings with escapes, mostly).
func tokenObject(trimmed []byte) (map[string]any, bool) {
	dec := fastDecoders.Get().(*jsontext.Decoder)
	defer fastDecoders.Put(dec)
	// From a bytes.Buffer the decoder reads the line where it is instead of copying it
	// into a buffer of its own. Repeated names are an error by default.
	dec.Reset(bytes.NewBuffer(trimmed))
	v, ok := fastValue(dec, 0)
	if !ok {
		return nil, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, false
	}
	obj, ok := v.(map[string]any)
	return obj, ok
}

// fastDecoders keeps decoders for reuse: a new one per line was half a kilobyte of
// garbage, its state for telling repeated names included.
var fastDecoders = sync.Pool{New: func() any { return jsontext.NewDecoder(bytes.NewBuffer(nil)) }}

// fieldNames interns the member names of Appendix A commands and of the objects in
// them, so that reading a line does not allocate a string for each of its names.
var fieldNames = func() map[string]string {
	m := map[string]string{}
	for _, names := range append(slices.Collect(maps.Values(allowedFields)), keyIndicators, allocationFields) {
		for _, n := range names {
			m[n] = n
		}
	}
	return m
}()

// fastValue is readValue on jsontext: strings, json.Number (the number's text as
// written), bools, nil, map[string]any and []any.
func fastValue(dec *jsontext.Decoder, depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, false
	}
	switch tok.Kind() {
	case '{':
		m := map[string]any{}
		for dec.PeekKind() == '"' {
			kt, err := dec.ReadToken()
			if err != nil {
				return nil, false
			}
			// A known name is the interned string: looking it up makes no copy of it.
			k, known := fieldNames[kt.String()]
			if !known {
				k = kt.String()
			}
			if k == "" {
				return nil, false
			}
			v, ok := fastValue(dec, depth+1)
			if !ok {
				return nil, false
			}
			m[k] = v
		}
		if end, err := dec.ReadToken(); err != nil || end.Kind() != '}' {
			return nil, false
		}
		return m, true
	case '[':
		a := []any{}
		for k := dec.PeekKind(); k != ']' && k != 0; k = dec.PeekKind() {
			v, ok := fastValue(dec, depth+1)
			if !ok {
				return nil, false
			}
			a = append(a, v)
		}
		if end, err := dec.ReadToken(); err != nil || end.Kind() != ']' {
			return nil, false
		}
		return a, true
	case '"':
		return tok.String(), true
	case '0':
		return json.Number(tok.String()), true
	case 't', 'f':
		return tok.Bool(), true
	case 'n':
		return nil, true
	}
	return nil, false
}

func malformed(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return domain.Invalidf(FieldJSON, "the JSON object is cut short (unexpected end of line)")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return domain.Invalidf(FieldJSON, "not valid JSON at byte %d: %s", se.Offset, se.Error())
	}
	return domain.Invalidf(FieldJSON, "not valid JSON near byte %d: %s", dec.InputOffset(), err.Error())
}

// readValue reads one JSON value with Token. path names the value in errors.
func readValue(dec *json.Decoder, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, domain.Invalidf(FieldJSON, "the JSON is nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed(dec, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, malformed(dec, err)
				}
				k, ok := kt.(string)
				if !ok {
					return nil, domain.Invalidf(FieldJSON, "not valid JSON near byte %d: expected a field name", dec.InputOffset())
				}
				if k == "" {
					return nil, domain.Invalidf(FieldJSON, "a field name is empty (\"\")")
				}
				name := joinPath(path, k)
				if _, dup := m[k]; dup {
					return nil, domain.Invalidf(name, "the field is given twice")
				}
				v, err := readValue(dec, name, depth+1)
				if err != nil {
					return nil, err
				}
				m[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, malformed(dec, err)
			}
			return m, nil
		case '[':
			a := []any{}
			for i := 0; dec.More(); i++ {
				v, err := readValue(dec, fmt.Sprintf("%s[%d]", path, i), depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, malformed(dec, err)
			}
			return a, nil
		default:
			return nil, domain.Invalidf(FieldJSON, "not valid JSON near byte %d: unexpected %q", dec.InputOffset(), string(t))
		}
	default: // string, json.Number, bool, nil
		return t, nil
	}
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// contentHash is the hex sha256 of the canonical JSON of v: object keys sorted by
// bytes, no insignificant whitespace, null-valued fields removed, integers in
// shortest form.
func contentHash(v any) string {
	c := canonWriters.Get().(*canonWriter)
	defer canonWriters.Put(c)
	c.buf = c.buf[:0]
	c.value(v)
	sum := sha256.Sum256(c.buf)
	return hex.EncodeToString(sum[:])
}

// canonWriter writes canonical JSON into buf. keys is a stack of the sorted keys of
// the objects being written, the innermost last.
type canonWriter struct {
	buf  []byte
	keys []string
}

// canonWriters keeps writers for reuse: every imported line is hashed, and growing a
// new buffer and key list for each was a tenth of an import's garbage.
var canonWriters = sync.Pool{New: func() any { return &canonWriter{buf: make([]byte, 0, 512)} }}

func (c *canonWriter) value(v any) {
	switch t := v.(type) {
	case map[string]any:
		start := len(c.keys)
		for k, x := range t {
			if x != nil {
				c.keys = append(c.keys, k)
			}
		}
		// Objects inside push their keys after these and pop them before returning.
		keys := c.keys[start:]
		slices.Sort(keys)
		c.buf = append(c.buf, '{')
		for i, k := range keys {
			if i > 0 {
				c.buf = append(c.buf, ',')
			}
			c.buf = jsonquote.Append(c.buf, k, false)
			c.buf = append(c.buf, ':')
			c.value(t[k])
		}
		c.buf = append(c.buf, '}')
		clear(c.keys[start:]) // no key outlives its line in the pool
		c.keys = c.keys[:start]
	case []any:
		c.buf = append(c.buf, '[')
		for i, x := range t {
			if i > 0 {
				c.buf = append(c.buf, ',')
			}
			c.value(x)
		}
		c.buf = append(c.buf, ']')
	case string:
		c.buf = jsonquote.Append(c.buf, t, false)
	case json.Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			c.buf = strconv.AppendInt(c.buf, n, 10)
		} else {
			c.buf = append(c.buf, t...)
		}
	case bool:
		c.buf = strconv.AppendBool(c.buf, t)
	case nil:
		c.buf = append(c.buf, "null"...)
	}
}
