package eventstore

import (
	"errors"
	"fmt"
	"strings"

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
)

// mapPublishErr translates JetStream publish errors into the package's
// sentinels, keeping the original error in the chain for diagnostics.
func mapPublishErr(err error) error {
	if err == nil {
		return nil
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	switch apiErr.ErrorCode {
	case codeWrongLastSequence, codeWrongLastSequenceConstant:
		return fmt.Errorf("%w: %w", ErrConflict, err)
	case codeAccountResourcesExceeded, codeInsufficientResources,
		codeMemoryResourcesExceeded, codeStorageResourcesExceeded:
		return fmt.Errorf("%w: %w", ErrStoreFull, err)
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
