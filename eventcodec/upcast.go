package eventcodec

import (
	"encoding/json"
	"fmt"
)

// An Upcaster rewrites the data of a stored event of an old type into the data of a
// newer type. It gets the data object only: the envelope's "on" is the business date
// and never changes between versions.
type Upcaster func(data json.RawMessage) (newType string, newData json.RawMessage, err error)

// upcasters maps an old stored type name to the function that rewrites it into the
// next version; they run before the decoding switch, chained until a type has no
// upcaster (x.v1 -> x.v2 -> x.v3). When a wire struct changes shape:
//
//  1. add a new type name (x.v2) to package domain and make the domain event use it;
//  2. add its wire struct and its case in decodeData (and drop x.v1's case);
//  3. add "x.v1": func(data) { ...; return "x.v2", newData, nil } here, with a test
//     decoding a stored x.v1 sample.
//
// Stored data is never rewritten in place; old messages stay readable through this
// map forever. It is empty while every type is at v1.
var upcasters = map[string]Upcaster{}

// maxUpcasts bounds a chain of upcasters, so a cycle is an error, not a hang.
const maxUpcasts = 16

// upcast applies the upcasters for typ until the type is current.
func upcast(typ string, data json.RawMessage) (string, json.RawMessage, error) {
	for range maxUpcasts {
		up, ok := upcasters[typ]
		if !ok {
			return typ, data, nil
		}
		newType, newData, err := up(data)
		if err != nil {
			return "", nil, fmt.Errorf("upcasting %s: %w", typ, err)
		}
		typ, data = newType, newData
	}
	return "", nil, fmt.Errorf("upcasting %s: more than %d steps (a cycle?)", typ, maxUpcasts)
}
