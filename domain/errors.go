package domain

import (
	"errors"
	"fmt"
)

// Reason classifies why a command was refused, so that callers (HTTP, batch) can map
// it to a status without parsing text.
type Reason string

const (
	// Invalid input: malformed, out of range, unknown field.
	Invalid Reason = "invalid"
	// Unknown: the command names a customer, invoice or violation that does not exist.
	Unknown Reason = "unknown"
	// Duplicate: an entity id or a command id with other content already exists.
	Duplicate Reason = "duplicate"
	// Refused: well-formed, but the books' rules forbid it (over-allocation, a third
	// extension, a write-off of an invoice that is not doubtful, ...).
	Refused Reason = "refused"
)

// FieldError is a refusal that names the field it is about. Nothing is recorded for a
// command refused with it.
type FieldError struct {
	Field  string
	Reason Reason
	Msg    string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

func fieldErr(field string, r Reason, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: r, Msg: fmt.Sprintf(format, args...)}
}

// Refusal returns the FieldError inside err, if any.
func Refusal(err error) (*FieldError, bool) {
	var fe *FieldError
	ok := errors.As(err, &fe)
	return fe, ok
}

// Invalidf builds an invalid-input refusal for a field; parsers outside the domain use
// it so that every refusal has one shape.
func Invalidf(field, format string, args ...any) *FieldError {
	return fieldErr(field, Invalid, format, args...)
}
