package ledger

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Claim log messages were written with json.Marshal; appendEntries must write the
// same bytes, strings that need escaping included.
func TestEntriesPrintAsMarshal(t *testing.T) {
	for _, entries := range [][]claimEntry{
		{},
		{{Kind: "invoice", ID: "INV-1", Owner: "C1\ni-1"}},
		{{Kind: "payment", ID: "P<&>\"\\\u2028é\xff", Owner: "C\x01\nc", Release: true},
			{Kind: "violation", ID: "V1", Owner: "\ncmd"}},
	} {
		want, err := json.Marshal(entries)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendEntries(nil, entries); !bytes.Equal(got, want) {
			t.Errorf("printed %s\nMarshal %s", got, want)
		}
	}
}
