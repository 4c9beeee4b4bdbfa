package eventcodec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

// decodeWithEncodingJSON is DecodeCommit with encoding/json's Unmarshal, the decoder
// stored commits were read with before.
func decodeWithEncodingJSON(data []byte) (Commit, error) {
	fast := unmarshal
	unmarshal, fastDecode = json.Unmarshal, false
	defer func() { unmarshal, fastDecode = fast, true }()
	return DecodeCommit(data)
}

// FuzzDecodeCommitAsEncodingJSON holds the commit decoder to encoding/json's results:
// for any bytes, both refuse them or both decode the same commit. Stored events are
// immutable, so a commit must read the same whichever decoder reads it. The seeds are
// a commit of every event type and the spellings where JSON decoders differ most:
// keys in another case, repeated keys, escapes, invalid UTF-8, numbers where strings
// belong, nulls and trailing bytes.
func FuzzDecodeCommitAsEncodingJSON(f *testing.F) {
	// One small commit per event type: the fuzzer minimises what it finds, and a
	// commit of every type at once kept it minimising for the whole run.
	var raw []byte
	for _, e := range sampleEvents() {
		c := sampleCommit()
		c.Commands = c.Commands[:1]
		c.Commands[0].Events = []domain.Event{e}
		b, err := EncodeCommit(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if raw == nil {
			raw = b
		}
	}
	for _, edit := range [][2]string{
		{`"scope"`, `"Scope"`},
		{`"type"`, `"TYPE"`},
		{`"name"`, `"nAmE"`},
		{`"v":1`, `"v":1,"v":1`},
		{`"account":"C1"`, `"account":"C1","account":"C2"`},
		{`"id":"cmd-1"`, `"id":"cmd-\u00311"`},
		{`"id":"cmd-1"`, "\"id\":\"cmd-\xff1\""},
		{`"v":1`, `"v":1.0`},
		{`"v":1`, `"v":"1"`},
		{`"hash":`, `"hash":null,"hash":`},
		{`"events":[`, `"events":null,"x":[`},
		{`"data":{`, `"data":null,"d":{`},
		// What DecodeCommit's fast path (scan.go) takes or leaves to unmarshal.
		{`"data":{`, `"data":{"extra":1,`},
		{`{"type":"customer.registered.v1","on":"2026-01-01"`, `{"on":"2026-01-01","type":"customer.registered.v1"`},
		{`"on":"2026-01-01"`, `"on":"2026-02-30"`},
		{`"grade":2`, `"grade":-0`},
		{`"grade":2`, `"grade":02`},
		{`"grade":2`, `"grade":2e0`},
		{`"grade":2`, `"grade":99999999999999999999`},
		{`"collector":"alice"`, "\"collector\":\"al\xe9ice\""},
		{`"collector":"alice"`, `"collector":"\ud800alice"`},
		{`"collector":"alice"`, `"coll\u0065ctor":"alice"`},
		{`10:00:00.123456789Z`, `10:00:00.1Z`},
		{`10:00:00.123456789Z`, `10:00:00.123456789+08:00`},
		{`2026-11-23T10:00:00`, `2026-02-29T10:00:00`},
		{`2026-11-23T10:00:00`, `2026-11-23T24:00:00`},
	} {
		edited := bytes.Replace(raw, []byte(edit[0]), []byte(edit[1]), 1)
		if bytes.Equal(edited, raw) {
			f.Fatalf("seed edit %q finds nothing to change", edit[0])
		}
		f.Add(edited)
	}
	f.Add(append(append([]byte(nil), raw...), " \n"...))
	f.Add(append(append([]byte(nil), raw...), "x"...))
	f.Add([]byte(`{"v":1,"scope":"ledger","commands":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gotErr := DecodeCommit(data)
		want, wantErr := decodeWithEncodingJSON(data)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("decoder error %v, encoding/json error %v", gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded\n%#v\nencoding/json decoded\n%#v", got, want)
		}
	})
}

// Every commit EncodeCommit writes goes DecodeCommit's fast path; a change that made it
// give up would only show as a slower rebuild.
func TestScanReadsWhatEncodeCommitWrites(t *testing.T) {
	for _, c := range []Commit{sampleCommit(), importCommit()} {
		raw, err := EncodeCommit(c)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := scanCommit(raw)
		if !ok {
			t.Fatalf("the fast path gave up on %s", raw)
		}
		want, err := decodeWithEncodingJSON(raw)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("fast path read\n%#v\nencoding/json read\n%#v (%v)", got, want, err)
		}
	}
}
