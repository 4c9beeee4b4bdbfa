// Package eventcodec is the stored form of arkeep's domain events: versioned JSON
// with explicit field names, independent of the Go types in package domain.
//
// One JetStream message holds one Commit: the events one or more commands produced
// for one scope (an account, or the ledger). Every event is an envelope
//
//	{"type":"invoice.issued.v1","on":"2026-01-01","data":{...}}
//
// whose data is one of the unexported wire structs in wire.go. Decoding goes through
// an explicit switch on the type name (never reflection on Go type names), after the
// upcasters in upcast.go have rewritten old stored types into current ones.
//
// Amounts and rates are JSON strings holding the exact decimal; dates are
// "YYYY-MM-DD"; currencies, quarters, actions, write-off reasons and ratings are
// their string forms and are validated by the domain's parsers on the way back in.
// A value that could not be read back (a zero currency, a missing business date) is
// refused on encode, so nothing unreadable is ever stored.
//
// The JSON Schemas of the stored form are in docs/events/ and are generated from the
// wire structs; TestEventSchemasUpToDate fails when they drift
// (go test ./eventcodec -run TestEventSchemasUpToDate -update rewrites them).
package eventcodec
