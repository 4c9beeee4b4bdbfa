// Package eventstore stores and reads opaque event payloads on a JetStream
// stream. It is the persistence layer of arkeep's event-sourced ledger: every
// command's commit is appended to a per-account subject with an optimistic
// concurrency check (expected last subject sequence) and a message id for
// idempotent retries.
//
// The package knows nothing about the domain. Payloads are []byte, subjects
// are built with the helpers in subject.go, and the only guarantees offered
// are the ones JetStream gives: per-subject compare-and-set, publish
// de-duplication within the stream's duplicate window, and a total order
// (the stream sequence) across all subjects.
package eventstore
