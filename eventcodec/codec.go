package eventcodec

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/arkeep/arkeep/domain"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// FormatVersion is the version of the commit envelope written by EncodeCommit ("v").
const FormatVersion = 1

// Scopes of a commit.
const (
	ScopeAccount = "account"
	ScopeLedger  = "ledger"
)

// recordedAtLayout writes RecordedAt in UTC with a fixed nine-digit fraction, so
// every stored timestamp has the same width. Decoding accepts any RFC 3339 time.
const recordedAtLayout = "2006-01-02T15:04:05.000000000Z"

// ErrUnknownEventType is wrapped by the error DecodeEvent and DecodeCommit return for
// a type name this build does not read (an unknown type, or an unknown version of a
// known one).
var ErrUnknownEventType = errors.New("unknown event type")

// A Commit is what one JetStream message holds: the events that one or more commands
// produced for one scope.
type Commit struct {
	Scope    string // "account" or "ledger"
	Account  string // customer id; "" for the ledger scope
	Commands []CommandRecord
}

// A CommandRecord is one command's share of a commit.
type CommandRecord struct {
	ID         string    // client command id
	Hash       string    // content hash of the command (hex)
	RecordedAt time.Time // wall clock, UTC, when recorded
	Events     []domain.Event
}

// wireCommit and wireCommand are the stored shape of a commit and a command: the
// schema (docs/events) is made from them and TestPrintAsMarshal marshals them as the
// reference, while appendCommit (print.go) writes the same members by hand. A member
// added here must be added there too.
type wireCommit struct {
	V        int           `json:"v" schema:"version"`
	Scope    string        `json:"scope" schema:"scope"`
	Account  string        `json:"account,omitempty"`
	Commands []wireCommand `json:"commands"`
}

type wireCommand struct {
	ID         string         `json:"id"`
	Hash       string         `json:"hash"`
	RecordedAt string         `json:"recorded_at" schema:"timestamp"`
	Events     []wireEnvelope `json:"events"`
}

// wireEnvelope is one stored event. Data is a wire struct (pointer) when encoding
// and a json.RawMessage when decoding.
type wireEnvelope struct {
	Type string `json:"type"`
	On   string `json:"on" schema:"date"`
	Data any    `json:"data"`
}

// decodeEnvelope is wireEnvelope as read: the data stays raw until the type is known.
type decodeEnvelope struct {
	Type string          `json:"type"`
	On   string          `json:"on"`
	Data json.RawMessage `json:"data"`
}

type decodeCommand struct {
	ID         string           `json:"id"`
	Hash       string           `json:"hash"`
	RecordedAt string           `json:"recorded_at"`
	Events     []decodeEnvelope `json:"events"`
}

type decodeCommit struct {
	V        int             `json:"v"`
	Scope    string          `json:"scope"`
	Account  string          `json:"account"`
	Commands []decodeCommand `json:"commands"`
}

func checkScope(scope, account string) error {
	switch scope {
	case ScopeAccount:
		if account == "" {
			return errors.New("eventcodec: account scope without an account")
		}
	case ScopeLedger:
		if account != "" {
			return fmt.Errorf("eventcodec: ledger scope with account %q", account)
		}
	default:
		return fmt.Errorf("eventcodec: unknown scope %q", scope)
	}
	return nil
}

// EncodeCommit writes a commit in its stored form. It refuses a commit that could
// not be read back: an unknown scope, an event with a value the domain would not
// parse (zero currency, missing date, invalid rating...).
func EncodeCommit(c Commit) ([]byte, error) {
	if err := checkScope(c.Scope, c.Account); err != nil {
		return nil, err
	}
	n := 0
	for _, cmd := range c.Commands {
		n += len(cmd.Events)
	}
	// About 400 bytes an event, as an import writes them: one allocation, mostly.
	return appendCommit(make([]byte, 0, 128+512*n), c)
}

// unmarshal decodes stored commits and their events where DecodeCommit's fast path
// (scan.go) gives up, and the strings with escapes for it. It is the encoding/json
// emulation of the encoding/json v2 prototype (github.com/go-json-experiment/json/v1,
// already in the module graph through chromedp), documented as semantically
// identical to encoding/json's Unmarshal and twice as fast on commits
// (BenchmarkDecodeCommit: 182-207 µs -> 85-108 µs a commit).
// FuzzDecodeCommitAsEncodingJSON holds both paths to encoding/json's results. A
// variable only so that the test can decode with encoding/json as well.
var unmarshal = jsonv1.Unmarshal

// DecodeCommit reads a commit written by EncodeCommit (any version this build knows,
// with old event types upcast to current ones).
func DecodeCommit(data []byte) (Commit, error) {
	if fastDecode {
		if c, ok := scanCommit(data); ok {
			return c, nil
		}
	}
	var w decodeCommit
	if err := unmarshal(data, &w); err != nil {
		return Commit{}, fmt.Errorf("eventcodec: commit: %w", err)
	}
	if w.V != FormatVersion {
		return Commit{}, fmt.Errorf("eventcodec: unknown commit format version %d", w.V)
	}
	if err := checkScope(w.Scope, w.Account); err != nil {
		return Commit{}, err
	}
	c := Commit{Scope: w.Scope, Account: w.Account}
	if len(w.Commands) > 0 {
		c.Commands = make([]CommandRecord, len(w.Commands))
	}
	for i := range w.Commands {
		wc := &w.Commands[i]
		t, err := time.Parse(time.RFC3339Nano, wc.RecordedAt)
		if err != nil {
			return Commit{}, fmt.Errorf("eventcodec: command %q: recorded_at: %w", wc.ID, err)
		}
		cr := CommandRecord{ID: wc.ID, Hash: wc.Hash, RecordedAt: t.UTC()}
		if len(wc.Events) > 0 {
			cr.Events = make([]domain.Event, len(wc.Events))
		}
		for j := range wc.Events {
			env := &wc.Events[j]
			e, err := decodeEvent(env.Type, env.On, env.Data)
			if err != nil {
				return Commit{}, fmt.Errorf("eventcodec: command %q event %d: %w", wc.ID, j, err)
			}
			cr.Events[j] = e
		}
		c.Commands[i] = cr
	}
	return c, nil
}

// EncodeEvent writes one event envelope: {"type":..., "on":..., "data":{...}}.
func EncodeEvent(e domain.Event) (json.RawMessage, error) {
	env, err := envelope(e)
	if err != nil {
		return nil, fmt.Errorf("eventcodec: %w", err)
	}
	return appendEnvelope(nil, env), nil
}

// DecodeEvent reads one event envelope written by EncodeEvent.
func DecodeEvent(raw json.RawMessage) (domain.Event, error) {
	var env decodeEnvelope
	if err := unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("eventcodec: event: %w", err)
	}
	e, err := decodeEvent(env.Type, env.On, env.Data)
	if err != nil {
		return nil, fmt.Errorf("eventcodec: %w", err)
	}
	return e, nil
}

func envelope(e domain.Event) (wireEnvelope, error) {
	if e == nil {
		return wireEnvelope{}, errors.New("nil event")
	}
	en := enc{typ: e.Type()}
	on := en.date("on", e.Date())
	if en.err != nil {
		return wireEnvelope{}, en.err
	}
	data, err := encodeData(e)
	if err != nil {
		return wireEnvelope{}, err
	}
	return wireEnvelope{Type: en.typ, On: on, Data: data}, nil
}

// decodeEvent upcasts an old type to the current one, then decodes its data through
// the explicit switch in decodeData.
func decodeEvent(typ, on string, data json.RawMessage) (domain.Event, error) {
	typ, data, err := upcast(typ, data)
	if err != nil {
		return nil, err
	}
	d, err := domain.ParseDate(on)
	if err != nil {
		return nil, fmt.Errorf("%s: on: %w", typ, err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: missing data", typ)
	}
	return decodeData(typ, d, data)
}
