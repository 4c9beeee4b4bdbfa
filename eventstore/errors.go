package eventstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var (
	// ErrConflict means the subject's last sequence was not the expected
	// one: someone else appended first. The caller should reload and retry
	// its command.
	ErrConflict = errors.New("eventstore: conflict: subject moved past the expected sequence")

	// ErrStoreFull means JetStream refused the write because a storage limit
	// was reached. Nothing was written; existing data is intact and readable.
	// It needs operator action (more disk or a higher MaxFileStore), retrying
	// will not help.
	ErrStoreFull = errors.New("eventstore: store full: JetStream storage limit reached, write refused")

	// ErrUnavailable means the stream could not take the write right now and
	// did not: no stream leader answered (an election on a cluster), the
	// expected-sequence check was temporarily unavailable (10163), or an
	// earlier publish with the same message id is still being stored (10158).
	// This call wrote nothing; retrying the same command later is safe.
	// A timeout is not ErrUnavailable: then the write may have landed.
	ErrUnavailable = errors.New("eventstore: stream temporarily unavailable, nothing written: retry")

	// ErrTooLarge means the message is larger than the connection or the stream
	// accepts (NATS's max_payload, 1 MiB by default; the stream's MaxMsgSize).
	// Nothing was written; the same data will never be accepted.
	ErrTooLarge = errors.New("eventstore: message too large to store, nothing written")
)

// JetStream error codes, from nats-server's errors.json
// (server/jetstream_errors_generated.go). The client library only exports a
// few of them.
const (
	// JSStreamWrongLastSequenceErrF, "wrong last sequence: {seq}" — what a
	// single server (and R1) answers to a failed expected-sequence check.
	codeWrongLastSequence jetstream.ErrorCode = 10071
	// JSStreamWrongLastSequenceConstantErr, "wrong last sequence" — the
	// same failure as reported by replicated (R>1) streams.
	codeWrongLastSequenceConstant jetstream.ErrorCode = 10164

	// JSStreamExpectedLastSeqPerSubjectNotReady, "expected last sequence per
	// subject temporarily unavailable" (503): defined by the server, though
	// 2.14.9 has no code path that sends it.
	codeExpectedLastSeqNotReady jetstream.ErrorCode = 10163
	// JSStreamDuplicateMessageConflict, "duplicate message id is in process"
	// (409): a clustered stream leader got a message id whose first publish
	// is still being proposed; its outcome is not known yet.
	codeDuplicateInProcess jetstream.ErrorCode = 10158

	// JSAccountResourcesExceededErr, "resource limits exceeded for account".
	codeAccountResourcesExceeded jetstream.ErrorCode = 10002
	// JSInsufficientResourcesErr, "insufficient resources": the server is
	// over its own JetStream storage limit.
	codeInsufficientResources jetstream.ErrorCode = 10023
	// JSMemoryResourcesExceededErr, "insufficient memory resources available".
	codeMemoryResourcesExceeded jetstream.ErrorCode = 10028
	// JSStorageResourcesExceededErr, "insufficient storage resources available".
	codeStorageResourcesExceeded jetstream.ErrorCode = 10047
	// JSStreamStoreFailedF, "{err}": a generic store failure. Only some of
	// the wrapped errors (stream limits hit with DiscardNew) mean "full".
	codeStreamStoreFailed jetstream.ErrorCode = 10077
	// JSStreamMessageExceedsMaximumErr, "message size exceeds maximum allowed".
	codeMessageExceedsMaximum jetstream.ErrorCode = 10054
)

// mapPublishErr translates JetStream publish errors into the package's
// sentinels, keeping the original error in the chain for diagnostics.
func mapPublishErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, jetstream.ErrNoStreamResponse) {
		// Nobody took the request: on a cluster, the stream has no leader.
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if errors.Is(err, nats.ErrMaxPayload) {
		// Refused by the client before sending: larger than the server's max_payload.
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	switch apiErr.ErrorCode {
	case codeWrongLastSequence, codeWrongLastSequenceConstant:
		return fmt.Errorf("%w: %w", ErrConflict, err)
	case codeExpectedLastSeqNotReady, codeDuplicateInProcess:
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	case codeAccountResourcesExceeded, codeInsufficientResources,
		codeMemoryResourcesExceeded, codeStorageResourcesExceeded:
		return fmt.Errorf("%w: %w", ErrStoreFull, err)
	case codeMessageExceedsMaximum:
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	case codeStreamStoreFailed:
		// The server's ErrMaxBytes / ErrMaxMsgs texts. Other store
		// failures (message too large, I/O) are not "full".
		d := apiErr.Description
		if strings.Contains(d, "maximum bytes exceeded") || strings.Contains(d, "maximum messages exceeded") {
			return fmt.Errorf("%w: %w", ErrStoreFull, err)
		}
	}
	return err
}
