package eventstore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The error codes a 3-node cluster can answer a publish with map to the sentinels
// callers act on; the original error stays in the chain.
func TestMapPublishErrClusterCodes(t *testing.T) {
	api := func(code jetstream.ErrorCode, desc string) error {
		return fmt.Errorf("publish: %w", &jetstream.APIError{Code: 400, ErrorCode: code, Description: desc})
	}
	cases := []struct {
		name string
		err  error
		want error // nil: no sentinel
	}{
		{"10071 wrong last sequence (single node, and R3 for a stale expectation)", api(10071, "wrong last sequence: 7"), ErrConflict},
		{"10164 wrong last sequence (R3, subject write in flight)", api(10164, "wrong last sequence"), ErrConflict},
		{"10163 expected last sequence temporarily unavailable", api(10163, "expected last sequence per subject temporarily unavailable"), ErrUnavailable},
		{"10158 duplicate message id is in process", api(10158, "duplicate message id is in process"), ErrUnavailable},
		{"no stream leader", fmt.Errorf("publish: %w", jetstream.ErrNoStreamResponse), ErrUnavailable},
		{"10047 storage exceeded", api(10047, "insufficient storage resources available"), ErrStoreFull},
		{"10054 message exceeds the stream's maximum", api(10054, "message size exceeds maximum allowed"), ErrTooLarge},
		{"over the server's max_payload (refused by the client)", fmt.Errorf("publish: %w", nats.ErrMaxPayload), ErrTooLarge},
		{"timeout: outcome unknown", fmt.Errorf("publish: %w", errors.New("context deadline exceeded")), nil},
	}
	sentinels := []error{ErrConflict, ErrUnavailable, ErrStoreFull, ErrTooLarge}
	for _, c := range cases {
		got := mapPublishErr(c.err)
		for _, s := range sentinels {
			if errors.Is(got, s) != (s == c.want) {
				t.Errorf("%s: errors.Is(%v, %v) = %v", c.name, got, s, errors.Is(got, s))
			}
		}
		if !errors.Is(got, errors.Unwrap(c.err)) {
			t.Errorf("%s: original error lost from %v", c.name, got)
		}
	}
}
