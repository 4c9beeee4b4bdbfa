package domain

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// A dunning Policy is the table of SPEC section 6: for each credit grade 1..5 a ladder
// of rows (offset, action). The offset counts in calendar days from the effective due
// date ("+15", "-3", "0"), or is "0i": the issue date.
//
// The file format is JSON:
//
//	{"version": "default-1",
//	 "grades": {"1": ["0i:notice", "+1:due_reminder", ...], ..., "5": [...]}}
//
// ParsePolicy refuses: unknown or duplicate keys, a missing grade or one outside 1..5,
// an empty version, an empty ladder, a malformed row or offset (only "0i", "0", "+N" and
// "-N" with N a positive whole number of days without leading zeros, |N| <= 3660), an
// unknown action, the event-driven short_payment_notice (its identity is a payment,
// not a date, so it cannot be a ladder row) and the same row twice in one ladder.

//go:embed policy_default.json
var defaultPolicyJSON []byte

// MaxPolicyOffset bounds a ladder offset in days (about ten years).
const MaxPolicyOffset = 3660

// RepeatEvery is the interval, in days, of the automatic reminder that repeats after a
// ladder's last offset ("never give up on repeated failure").
const RepeatEvery = 30

// LadderRow is one row of a grade's ladder.
type LadderRow struct {
	AtIssue bool // "0i": dated on the issue date; Offset is then 0
	Offset  int  // days from the effective due date
	Action  Action
}

// OffsetString is the offset as written in the policy file: "0i", "0", "+7", "-3".
func (r LadderRow) OffsetString() string {
	switch {
	case r.AtIssue:
		return "0i"
	case r.Offset > 0:
		return "+" + strconv.Itoa(r.Offset)
	default:
		return strconv.Itoa(r.Offset)
	}
}

// String is the row as written in the policy file: "+7:call".
func (r LadderRow) String() string { return r.OffsetString() + ":" + r.Action.String() }

// Policy is a parsed, validated dunning policy. It is immutable: share it freely.
type Policy struct {
	version string
	ladders [6][]LadderRow // index = credit grade (1..5)
	last    [6]int         // largest due-relative offset of each ladder (0 if none)
}

// Version is the policy's version string (it appears in every step's explanation).
func (p *Policy) Version() string { return p.version }

// Ladder returns a copy of the rows of a credit grade in file order (nil outside 1..5).
func (p *Policy) Ladder(grade int) []LadderRow {
	if grade < 1 || grade > 5 {
		return nil
	}
	return append([]LadderRow(nil), p.ladders[grade]...)
}

// LastOffset is the ladder's last (largest) due-relative offset; the automatic reminder
// repeats every 30 days after it. A ladder of "0i" rows only has 0.
func (p *Policy) LastOffset(grade int) int {
	if grade < 1 || grade > 5 {
		return 0
	}
	return p.last[grade]
}

var (
	defaultPolicyOnce sync.Once
	defaultPolicy     *Policy
)

// DefaultPolicy is the policy shipped with arkeep (policy_default.json, the SPEC table).
// It panics if the embedded file is invalid, which the tests rule out.
func DefaultPolicy() *Policy {
	defaultPolicyOnce.Do(func() {
		p, err := ParsePolicy(defaultPolicyJSON)
		if err != nil {
			panic("domain: embedded policy_default.json: " + err.Error())
		}
		defaultPolicy = p
	})
	return defaultPolicy
}

// DefaultPolicyJSON returns a copy of the embedded default policy file.
func DefaultPolicyJSON() []byte { return append([]byte(nil), defaultPolicyJSON...) }

// ParsePolicy reads and validates a policy file (format above). Errors name the place:
// `policy: grades["3"][4] "+7:cal": "cal" is not a collection action`.
func ParsePolicy(data []byte) (*Policy, error) {
	p := &Policy{}
	seenVersion, seenGrades := false, false
	err := decodeObject(data, "policy", func(key string, dec *json.Decoder) error {
		switch key {
		case "version":
			seenVersion = true
			var v *string
			if err := dec.Decode(&v); err != nil {
				return fmt.Errorf("policy: version must be a string")
			}
			if v == nil || strings.TrimSpace(*v) == "" {
				return fmt.Errorf("policy: version must not be empty")
			}
			p.version = *v
			return nil
		case "grades":
			seenGrades = true
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("policy: grades: %v", err)
			}
			return p.parseGrades(raw)
		default:
			return fmt.Errorf("policy: unknown field %q (expected version, grades)", key)
		}
	})
	if err != nil {
		return nil, err
	}
	if !seenVersion {
		return nil, errors.New("policy: version is missing")
	}
	if !seenGrades {
		return nil, errors.New("policy: grades is missing")
	}
	return p, nil
}

func (p *Policy) parseGrades(raw json.RawMessage) error {
	seen := [6]bool{}
	hasLast := [6]bool{} // last[g] holds an offset of the ladder
	err := decodeObject(raw, "policy: grades", func(key string, dec *json.Decoder) error {
		g, ok := map[string]int{"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}[key]
		if !ok {
			return fmt.Errorf("policy: grades: %q is not a credit grade (1..5)", key)
		}
		seen[g] = true
		var rows []*string
		if err := dec.Decode(&rows); err != nil {
			return fmt.Errorf("policy: grades[%q] must be an array of \"offset:action\" strings", key)
		}
		if len(rows) == 0 {
			return fmt.Errorf("policy: grades[%q] is an empty ladder", key)
		}
		dup := map[LadderRow]int{}
		for i, s := range rows {
			if s == nil {
				return fmt.Errorf("policy: grades[%q][%d] is null, want \"offset:action\"", key, i)
			}
			r, err := ParseLadderRow(*s)
			if err != nil {
				return fmt.Errorf("policy: grades[%q][%d] %q: %v", key, i, *s, err)
			}
			if j, ok := dup[r]; ok {
				return fmt.Errorf("policy: grades[%q][%d] %q repeats row %d", key, i, *s, j)
			}
			dup[r] = i
			p.ladders[g] = append(p.ladders[g], r)
			if !r.AtIssue && (!hasLast[g] || r.Offset > p.last[g]) {
				p.last[g], hasLast[g] = r.Offset, true
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for g := 1; g <= 5; g++ {
		if !seen[g] {
			return fmt.Errorf("policy: grades: grade %d is missing (every grade 1..5 needs a ladder)", g)
		}
	}
	return nil
}

// ParseLadderRow reads one "offset:action" row.
func ParseLadderRow(s string) (LadderRow, error) {
	off, act, ok := strings.Cut(s, ":")
	if !ok {
		return LadderRow{}, errors.New(`want "offset:action", e.g. "+7:call"`)
	}
	a, err := ParseAction(act)
	if err != nil {
		return LadderRow{}, err
	}
	if a == ActShortPaymentNotice {
		return LadderRow{}, errors.New("short_payment_notice follows payments, it cannot be a ladder row")
	}
	r := LadderRow{Action: a}
	switch {
	case off == "0i":
		r.AtIssue = true
	case off == "0":
	case len(off) >= 2 && (off[0] == '+' || off[0] == '-') && off[1] >= '1' && off[1] <= '9':
		n, err := strconv.Atoi(off[1:])
		if err != nil || strings.ContainsAny(off[1:], "+-") || n > MaxPolicyOffset {
			return LadderRow{}, fmt.Errorf("offset %q: want \"0i\", \"0\" or a signed number of days up to %d", off, MaxPolicyOffset)
		}
		if off[0] == '-' {
			n = -n
		}
		r.Offset = n
	default:
		return LadderRow{}, fmt.Errorf("offset %q: want \"0i\" (issue date), \"0\" or a signed number of days such as \"+15\" or \"-3\"", off)
	}
	return r, nil
}

// decodeObject walks one JSON object, calling field for each key (the decoder is
// positioned on the value, which field must consume). It refuses duplicate keys, which
// encoding/json would silently merge, and anything after the object.
func decodeObject(data []byte, what string, field func(key string, dec *json.Decoder) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %v", what, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%s must be a JSON object", what)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %v", what, err)
		}
		key := tok.(string) // object keys are always strings
		if seen[key] {
			return fmt.Errorf("%s: field %q appears twice", what, key)
		}
		seen[key] = true
		if err := field(key, dec); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // closing '}'
		return fmt.Errorf("%s: %v", what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%s: unexpected data after the object", what)
	}
	return nil
}
