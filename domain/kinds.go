package domain

import "fmt"

// Action is a collection action. The set is closed: outside code gets one only through
// ParseAction, and it is persisted as its string.
type Action struct{ name string }

var (
	ActNotice             = Action{"notice"}
	ActPreDueReminder     = Action{"pre_due_reminder"}
	ActDueReminder        = Action{"due_reminder"}
	ActReminder           = Action{"reminder"}
	ActShortPaymentNotice = Action{"short_payment_notice"}
	ActCall               = Action{"call"}
	ActVisit              = Action{"visit"}
	ActDirectDemand       = Action{"direct_demand"}
	ActCreditHold         = Action{"credit_hold"}
	ActEscalate           = Action{"escalate"}
	ActBadDebtReview      = Action{"bad_debt_review"}
)

var actions = map[string]Action{}

func init() {
	for _, a := range []Action{ActNotice, ActPreDueReminder, ActDueReminder, ActReminder,
		ActShortPaymentNotice, ActCall, ActVisit, ActDirectDemand, ActCreditHold,
		ActEscalate, ActBadDebtReview} {
		actions[a.name] = a
	}
}

// ParseAction reads an action name.
func ParseAction(s string) (Action, error) {
	if a, ok := actions[s]; ok {
		return a, nil
	}
	return Action{}, fmt.Errorf("%q is not a collection action", s)
}

func (a Action) String() string { return a.name }

// IsZero reports whether the action is unset.
func (a Action) IsZero() bool { return a.name == "" }

// Automatic actions are sent by the engine (email, SMS, webhook); the others are
// manual tasks for the account's collector.
func (a Action) Automatic() bool {
	switch a {
	case ActNotice, ActPreDueReminder, ActDueReminder, ActReminder, ActShortPaymentNotice:
		return true
	}
	return false
}

// WriteOffReason is why finance wrote an invoice off; a closed set.
type WriteOffReason struct{ name string }

var (
	ReasonBankruptcy    = WriteOffReason{"bankruptcy"}
	ReasonWilfulDefault = WriteOffReason{"wilful_default"}
	ReasonUncollectable = WriteOffReason{"uncollectable"}
	ReasonOther         = WriteOffReason{"other"}
)

// ParseWriteOffReason reads a write-off reason.
func ParseWriteOffReason(s string) (WriteOffReason, error) {
	for _, r := range []WriteOffReason{ReasonBankruptcy, ReasonWilfulDefault, ReasonUncollectable, ReasonOther} {
		if r.name == s {
			return r, nil
		}
	}
	return WriteOffReason{}, fmt.Errorf("%q is not a write-off reason (bankruptcy, wilful_default, uncollectable, other)", s)
}

func (r WriteOffReason) String() string { return r.name }

// unmarshalText is the body of the UnmarshalBinary methods of the value types that
// snapshots carry as text: the empty text is the zero value, any other is parsed.
// On error *dst is left as it was.
func unmarshalText[T any](dst *T, b []byte, parse func(string) (T, error)) error {
	if len(b) == 0 {
		var zero T
		*dst = zero
		return nil
	}
	v, err := parse(string(b))
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// MarshalBinary and UnmarshalBinary let snapshots carry an action by name.
func (a Action) MarshalBinary() ([]byte, error) { return []byte(a.name), nil }

// UnmarshalBinary: see MarshalBinary.
func (a *Action) UnmarshalBinary(b []byte) error { return unmarshalText(a, b, ParseAction) }

// MarshalBinary and UnmarshalBinary let snapshots carry a reason by name.
func (r WriteOffReason) MarshalBinary() ([]byte, error) { return []byte(r.name), nil }

// UnmarshalBinary: see MarshalBinary.
func (r *WriteOffReason) UnmarshalBinary(b []byte) error {
	return unmarshalText(r, b, ParseWriteOffReason)
}

// ChannelManual is the channel recorded on reminder.sent.v1 when the engine had no
// contact to send an automatic step to: the step becomes a collector's call.
const ChannelManual = "manual"
