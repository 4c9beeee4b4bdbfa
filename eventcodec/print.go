package eventcodec

import (
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/arkeep/arkeep/internal/jsonquote"
)

// The writing side of the wire structs: EncodeCommit and EncodeEvent append a
// commit's JSON straight into one buffer, with the same field tables as the scanner
// (scan.go), instead of going through encoding/json's Marshal. Marshal of an event's
// data behind an interface, and its quoting of every string, were a tenth of an
// import's CPU.
//
// The bytes are exactly those Marshal writes (struct fields in order, omitempty,
// strings quoted with HTML escaping): what is stored must not depend on which of the
// two wrote it, and TestPrintAsMarshal and FuzzPrintAsMarshal hold them to it.

// mustPrint panics, when the tables are made, on a wire field appendWire cannot
// write: a new wire struct with another kind of field must extend the printer first.
func mustPrint(f reflect.StructField) {
	switch t := f.Type; t.Kind() {
	case reflect.String, reflect.Int, reflect.Bool, reflect.Struct:
		return
	case reflect.Slice:
		if k := t.Elem().Kind(); k == reflect.String || k == reflect.Struct {
			return
		}
	}
	panic(fmt.Sprintf("eventcodec: wire field %s of type %s cannot be printed", f.Name, f.Type))
}

// appendWire appends the wire struct v as Marshal writes it.
func appendWire(dst []byte, v reflect.Value) []byte {
	tab := wireTables[v.Type()]
	dst = append(dst, '{')
	first := true
	for i, key := range tab.keys {
		f := v.Field(i)
		if tab.omit&(1<<i) != 0 && empty(f) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, key...)
		dst = appendValue(dst, f)
	}
	return append(dst, '}')
}

// empty is what omitempty leaves out, for the kinds of field a wire struct has.
func empty(f reflect.Value) bool {
	switch f.Kind() {
	case reflect.String, reflect.Slice:
		return f.Len() == 0
	case reflect.Int:
		return f.Int() == 0
	case reflect.Bool:
		return !f.Bool()
	}
	return false
}

func appendValue(dst []byte, f reflect.Value) []byte {
	switch f.Kind() {
	case reflect.String:
		return jsonquote.Append(dst, f.String(), true)
	case reflect.Int:
		return strconv.AppendInt(dst, f.Int(), 10)
	case reflect.Bool:
		return strconv.AppendBool(dst, f.Bool())
	case reflect.Struct:
		return appendWire(dst, f)
	}
	// A slice (mustPrint allows no other kind).
	if f.IsNil() {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i := range f.Len() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendValue(dst, f.Index(i))
	}
	return append(dst, ']')
}

// appendEnvelope appends one stored event: {"type":...,"on":...,"data":{...}}.
func appendEnvelope(dst []byte, env wireEnvelope) []byte {
	dst = append(dst, `{"type":`...)
	dst = jsonquote.Append(dst, env.Type, true)
	dst = append(dst, `,"on":`...)
	dst = jsonquote.Append(dst, env.On, true)
	dst = append(dst, `,"data":`...)
	dst = appendWire(dst, reflect.ValueOf(env.Data).Elem())
	return append(dst, '}')
}

// appendCommit appends a commit's stored form. A run of commands with one instant,
// as a group commit has, has it printed once and copied.
func appendCommit(dst []byte, c Commit) ([]byte, error) {
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, FormatVersion, 10)
	dst = append(dst, `,"scope":`...)
	dst = jsonquote.Append(dst, c.Scope, true)
	if c.Account != "" {
		dst = append(dst, `,"account":`...)
		dst = jsonquote.Append(dst, c.Account, true)
	}
	dst = append(dst, `,"commands":[`...)
	var lastAt time.Time
	var lastText []byte // lastAt as printed, with its quotes
	for i, cmd := range c.Commands {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = jsonquote.Append(dst, cmd.ID, true)
		dst = append(dst, `,"hash":`...)
		dst = jsonquote.Append(dst, cmd.Hash, true)
		dst = append(dst, `,"recorded_at":`...)
		if i > 0 && cmd.RecordedAt.Equal(lastAt) {
			dst = append(dst, lastText...)
		} else {
			// Only digits, '-', ':', '.', 'T' and 'Z': nothing to escape.
			start := len(dst)
			dst = append(dst, '"')
			dst = cmd.RecordedAt.UTC().AppendFormat(dst, recordedAtLayout)
			dst = append(dst, '"')
			lastAt, lastText = cmd.RecordedAt, dst[start:len(dst):len(dst)]
		}
		dst = append(dst, `,"events":[`...)
		for j, e := range cmd.Events {
			env, err := envelope(e)
			if err != nil {
				return nil, fmt.Errorf("eventcodec: command %q event %d: %w", cmd.ID, j, err)
			}
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendEnvelope(dst, env)
		}
		dst = append(dst, "]}"...)
	}
	return append(dst, "]}"...), nil
}
