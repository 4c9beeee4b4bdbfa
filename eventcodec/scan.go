package eventcodec

import (
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/internal/jsonquote"
)

// The fast path of DecodeCommit: a scanner for the bytes EncodeCommit writes (what
// encoding/json's Marshal makes of the wire structs). It fills the wire structs
// through a table of their fields made once per struct, instead of unmarshal's
// general machinery and its second pass over each event's data.
//
// It takes only what it is sure to read as unmarshal does: members by their exact
// names, each once, and none unknown; integers without fraction or exponent; no null
// and no whitespace. A string with escapes or invalid UTF-8 is read by unmarshal
// itself. Anything else, and any commit that would not decode without an error, makes
// it give up, and DecodeCommit reads the commit again with unmarshal, which gives the
// answer and the error message. FuzzDecodeCommitAsEncodingJSON holds the two paths to
// the same commits.

// fastDecode switches the fast path on; the fuzz test switches it off for the
// reference decode.
var fastDecode = true

// scanner reads b from i; ok turns false at the first byte it does not take, and
// every method is then a no-op.
type scanner struct {
	b  []byte
	i  int
	ok bool
	// whole is b seen as a string, without a copy: the strings that are only parsed
	// (amounts, dates...) are slices of it rather than one allocation each. They live
	// only while the commit is decoded: nothing the decoded commit keeps may point into
	// it, or the commit would change when the caller reuses its buffer
	// (TestDecodedCommitKeepsNothingOfItsBytes). Copying each message into a string
	// of its own was a tenth of a rebuild's CPU.
	whole string
	// at is the last recorded_at read and its time: a group commit's commands share
	// one, which is parsed once.
	at     string
	atTime time.Time
}

// wireTable holds a wire struct's member names (its json tags), field by field,
// which fields are parsed into something else (those with a schema tag: amounts,
// dates, currencies...), whose strings the events never keep, which are left out
// when empty (omitempty), and each member's name as the printer writes it before the
// value (print.go).
type wireTable struct {
	names  []string
	parsed uint64
	omit   uint64
	keys   []string // `"name":`
}

// wireTables are the tables of every wire struct, made once; read-only afterwards.
var wireTables = func() map[reflect.Type]*wireTable {
	tables := map[reflect.Type]*wireTable{}
	add := func(t reflect.Type) {
		tab := &wireTable{names: make([]string, t.NumField()), keys: make([]string, t.NumField())}
		for i := range tab.names {
			f := t.Field(i)
			var opts string
			tab.names[i], opts, _ = strings.Cut(f.Tag.Get("json"), ",")
			if f.Tag.Get("schema") != "" {
				tab.parsed |= 1 << i
			}
			if opts == "omitempty" {
				tab.omit |= 1 << i
			}
			tab.keys[i] = string(append(jsonquote.Append(nil, tab.names[i], true), ':'))
			mustPrint(f)
		}
		tables[t] = tab
	}
	for _, typ := range knownTypes {
		add(reflect.TypeOf(newWire(typ)).Elem())
	}
	for _, w := range []any{wireKey{}, wireApplied{}, wireAllocation{}, wireRecovery{}} {
		add(reflect.TypeOf(w))
	}
	return tables
}()

// index finds a member name among names: first at next, where the previous member's
// field ends (the order Marshal writes them in), then anywhere; -1 if it is not there.
func index(names []string, name []byte, next int) int {
	if next < len(names) && names[next] == string(name) {
		return next
	}
	for i, n := range names {
		if n == string(name) {
			return i
		}
	}
	return -1
}

func (s *scanner) fail() { s.ok = false }

// eat consumes c if it is the next byte.
func (s *scanner) eat(c byte) bool {
	if s.ok && s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// quoted steps over a string and returns it with its quotes, and whether it is
// plain: no escapes, all ASCII or valid UTF-8.
func (s *scanner) quoted() (q []byte, plain bool) {
	if !s.eat('"') {
		s.fail()
		return nil, false
	}
	start := s.i - 1
	plain, ascii := true, true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			q = s.b[start:s.i]
			if plain && !ascii {
				plain = utf8.Valid(q)
			}
			return q, plain
		case c == '\\':
			plain = false
			s.i++ // the escaped byte; a \u's hex digits are plain bytes
		case c < 0x20:
			s.fail()
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	s.fail()
	return nil, false
}

// name reads a member name; only plain ones are taken.
func (s *scanner) name() []byte {
	q, plain := s.quoted()
	if !plain {
		s.fail()
		return nil
	}
	return q[1 : len(q)-1]
}

// str reads a string value. One with escapes or invalid UTF-8 is read by unmarshal,
// so that it is read exactly as unmarshal reads it (invalid UTF-8 and lone
// surrogates become U+FFFD).
func (s *scanner) str(dst *string) {
	q, plain := s.quoted()
	switch {
	case !s.ok:
	case plain:
		*dst = string(q[1 : len(q)-1])
	default:
		if v, ok := unquote(q); ok {
			*dst = v
		} else {
			s.fail()
		}
	}
}

// view is str for a string that is parsed and dropped: a plain one is a slice of
// s.whole.
func (s *scanner) view(dst *string) {
	q, plain := s.quoted()
	switch {
	case !s.ok:
	case plain:
		if s.whole == "" {
			s.whole = unsafe.String(unsafe.SliceData(s.b), len(s.b))
		}
		end := s.i - 1
		*dst = s.whole[end-(len(q)-2) : end]
	default:
		if v, ok := unquote(q); ok {
			*dst = v
		} else {
			s.fail()
		}
	}
}

// unquote reads a quoted string with unmarshal. Apart from str, so that str's dst
// does not escape to the heap (unmarshal takes an any) on the common path.
//
//go:noinline
func unquote(q []byte) (string, bool) {
	var v string
	err := unmarshal(q, &v)
	return v, err == nil
}

// integer reads -?(0|[1-9][0-9]*) of at most 18 digits, which fits any int.
func (s *scanner) integer(dst *int) {
	if !s.ok {
		return
	}
	neg := s.eat('-')
	start, n := s.i, 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		n = n*10 + int(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || digits > 18 || (digits > 1 && s.b[start] == '0') {
		s.fail()
		return
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.fail() // a fraction or an exponent: unmarshal refuses it for an int
		return
	}
	if neg {
		n = -n
	}
	*dst = n
}

func (s *scanner) literal(word string) bool {
	if s.ok && len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

func (s *scanner) boolean(dst *bool) {
	switch {
	case s.literal("true"):
		*dst = true
	case s.literal("false"):
		*dst = false
	default:
		s.fail()
	}
}

// members reads an object's members, calling member with each name once the colon
// is read; member reads the value.
func (s *scanner) members(member func(name []byte)) {
	if !s.eat('{') {
		s.fail()
		return
	}
	if s.eat('}') {
		return
	}
	for s.ok {
		name := s.name()
		if !s.eat(':') {
			s.fail()
			return
		}
		member(name)
		if s.eat(',') {
			continue
		}
		if !s.eat('}') {
			s.fail()
		}
		return
	}
}

// fields reads an object whose member names are among names, each at most once (one
// it does not know, or one repeated, makes it give up), calling member with the index
// of each once its colon is read; member reads the value.
func (s *scanner) fields(names []string, member func(i int)) {
	var seen uint64
	next := 0
	s.members(func(name []byte) {
		i := index(names, name, next)
		if i < 0 || seen&(1<<i) != 0 {
			s.fail()
			return
		}
		seen |= 1 << i
		next = i + 1
		member(i)
	})
}

// object fills the wire struct w points to. Its fields are strings, ints, bools,
// other wire structs, and slices of strings or of wire structs.
func (s *scanner) object(w any) {
	rv := reflect.ValueOf(w).Elem()
	tab, ok := wireTables[rv.Type()]
	if !ok {
		s.fail()
		return
	}
	s.fields(tab.names, func(i int) {
		s.value(rv.Field(i).Addr().Interface(), tab.parsed&(1<<i) != 0)
	})
}

// value reads a field's value; parsed: its strings are parsed and dropped.
func (s *scanner) value(ptr any, parsed bool) {
	str := s.str
	if parsed {
		str = s.view
	}
	switch p := ptr.(type) {
	case *string:
		str(p)
	case *int:
		s.integer(p)
	case *bool:
		s.boolean(p)
	case *wireKey:
		s.object(p)
	case *[]string:
		array(s, p, str)
	case *[]wireApplied:
		array(s, p, func(v *wireApplied) { s.object(v) })
	case *[]wireAllocation:
		array(s, p, func(v *wireAllocation) { s.object(v) })
	case *[]wireRecovery:
		array(s, p, func(v *wireRecovery) { s.object(v) })
	default:
		s.fail()
	}
}

// array reads an array into *dst; [] is an empty slice, not nil, as with unmarshal.
func array[T any](s *scanner, dst *[]T, elem func(*T)) {
	if !s.eat('[') {
		s.fail()
		return
	}
	out := []T{}
	if !s.eat(']') {
		for s.ok {
			var zero T
			out = append(out, zero)
			elem(&out[len(out)-1])
			if s.eat(',') {
				continue
			}
			if !s.eat(']') {
				s.fail()
			}
			break
		}
	}
	*dst = out
}

// The members of a commit and of a command, as EncodeCommit writes them.
var (
	commitMembers  = []string{"v", "scope", "account", "commands"}
	commandMembers = []string{"id", "hash", "recorded_at", "events"}
)

// scanCommit is DecodeCommit's fast path; false: read the commit with unmarshal.
func scanCommit(data []byte) (Commit, bool) {
	s := &scanner{b: data, ok: true}
	var (
		v           int
		scope, acct string
		cmds        []CommandRecord
	)
	s.fields(commitMembers, func(i int) {
		switch commitMembers[i] {
		case "v":
			s.integer(&v)
		case "scope":
			s.str(&scope)
		case "account":
			s.str(&acct)
		case "commands":
			cmds = scanCommands(s)
		}
	})
	if !s.ok || s.i != len(data) || v != FormatVersion || checkScope(scope, acct) != nil {
		return Commit{}, false
	}
	return Commit{Scope: scope, Account: acct, Commands: cmds}, true
}

// scanCommands reads the commands array; nil when it is empty, as DecodeCommit makes
// it.
func scanCommands(s *scanner) []CommandRecord {
	var out []CommandRecord
	array(s, &out, func(c *CommandRecord) { *c = scanCommand(s) })
	return nilIfEmpty(out)
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func scanCommand(s *scanner) CommandRecord {
	var (
		cr         CommandRecord
		recordedAt string
	)
	s.fields(commandMembers, func(i int) {
		switch commandMembers[i] {
		case "id":
			s.str(&cr.ID)
		case "hash":
			s.str(&cr.Hash)
		case "recorded_at":
			s.view(&recordedAt)
		case "events":
			cr.Events = scanEvents(s)
		}
	})
	if !s.ok {
		return cr
	}
	if recordedAt == s.at && s.at != "" {
		cr.RecordedAt = s.atTime
		return cr
	}
	t, ok := parseRecordedAt(recordedAt)
	if !ok {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, recordedAt); err != nil {
			s.fail()
			return cr
		}
	}
	cr.RecordedAt = t.UTC()
	s.at, s.atTime = recordedAt, cr.RecordedAt
	return cr
}

// parseRecordedAt reads a timestamp of recordedAtLayout's exact form, in range, as
// time.Parse(time.RFC3339Nano) does; false: let time.Parse read it.
func parseRecordedAt(v string) (time.Time, bool) {
	const layout = "dddd-dd-ddTdd:dd:dd.dddddddddZ"
	if len(v) != len(layout) {
		return time.Time{}, false
	}
	for i := range len(layout) {
		if c := v[i]; layout[i] == 'd' && (c < '0' || c > '9') || layout[i] != 'd' && c != layout[i] {
			return time.Time{}, false
		}
	}
	num := func(from, to int) int {
		n := 0
		for _, c := range []byte(v[from:to]) {
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d := num(0, 4), num(5, 7), num(8, 10)
	h, mi, sec, ns := num(11, 13), num(14, 16), num(17, 19), num(20, 29)
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	if t.Day() != d { // past the month's last day: time.Date moved it on
		return time.Time{}, false
	}
	return t, true
}

// scanEvents reads the events array; nil when it is empty, as DecodeCommit makes it.
func scanEvents(s *scanner) []domain.Event {
	var out []domain.Event
	array(s, &out, func(e *domain.Event) { *e = scanEvent(s) })
	return nilIfEmpty(out)
}

// scanEvent reads an envelope whose members come in the order EncodeEvent writes
// them: type, on, data (the data's struct depends on the type).
func scanEvent(s *scanner) domain.Event {
	var typ, on string
	if !s.literal(`{"type":`) {
		s.fail()
		return nil
	}
	s.view(&typ)
	if !s.literal(`,"on":`) {
		s.fail()
		return nil
	}
	s.view(&on)
	if !s.literal(`,"data":`) || !s.ok {
		s.fail()
		return nil
	}
	w := newWire(typ)
	if w == nil || len(upcasters) > 0 && upcasters[typ] != nil {
		s.fail() // not a current type: unmarshal and the upcasters read it
		return nil
	}
	s.object(w)
	if !s.eat('}') {
		s.fail()
		return nil
	}
	d, err := domain.ParseDate(on)
	if err != nil {
		s.fail()
		return nil
	}
	e, err := w.event(d)
	if err != nil {
		s.fail()
		return nil
	}
	return e
}
