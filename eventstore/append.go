package eventstore

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Append publishes data on subject and waits for the stream's ack.
//
// expectedLastSubjectSeq is always sent: the write succeeds only if the last
// message on subject has that stream sequence, 0 meaning the subject must be
// empty. Otherwise the error wraps ErrConflict.
//
// msgID (Nats-Msg-Id) lets the server drop a retried publish within the
// duplicate window: then duplicate is true and seq is the original message's
// sequence. Note the server checks the expected sequence before the message
// id, so a retry whose original did land usually gets ErrConflict rather than
// duplicate=true (the subject has moved past the expected sequence). Callers
// that retry must be prepared to read the subject and recognise their own
// commit. An empty msgID disables de-duplication.
//
// A write refused for lack of storage wraps ErrStoreFull.
func (s *Store) Append(ctx context.Context, subject, msgID string, expectedLastSubjectSeq uint64, data []byte) (seq uint64, duplicate bool, err error) {
	ack, err := s.js.PublishMsg(ctx, newMsg(subject, data), publishOpts(msgID, expectedLastSubjectSeq)...)
	if err != nil {
		return 0, false, fmt.Errorf("eventstore: append to %s (expected seq %d): %w",
			subject, expectedLastSubjectSeq, mapPublishErr(err))
	}
	return ack.Sequence, ack.Duplicate, nil
}

// Pending is an asynchronous append awaiting its ack.
type Pending struct {
	subject  string
	expected uint64
	fut      jetstream.PubAckFuture
}

// Wait blocks until the append is acknowledged or refused, or ctx ends.
// Results and errors are as for Append. Abandoning the wait does not cancel
// the publish: it may still be stored.
func (p Pending) Wait(ctx context.Context) (seq uint64, duplicate bool, err error) {
	select {
	case ack := <-p.fut.Ok():
		return ack.Sequence, ack.Duplicate, nil
	case err := <-p.fut.Err():
		return 0, false, fmt.Errorf("eventstore: append to %s (expected seq %d): %w",
			p.subject, p.expected, mapPublishErr(err))
	case <-ctx.Done():
		return 0, false, fmt.Errorf("eventstore: append to %s: waiting for ack: %w", p.subject, ctx.Err())
	}
}

// AppendAsync publishes like Append but returns before the ack arrives, so
// independent appends (e.g. to different accounts) can be pipelined.
// Appends to the same subject must still be chained through Wait, since each
// needs the previous one's sequence as its expectation.
// The client caps unacknowledged async publishes (4000 by default) and
// returns an error rather than block forever when the cap stays reached, so
// callers with large bursts should Wait in batches.
func (s *Store) AppendAsync(subject, msgID string, expected uint64, data []byte) (Pending, error) {
	fut, err := s.js.PublishMsgAsync(newMsg(subject, data), publishOpts(msgID, expected)...)
	if err != nil {
		return Pending{}, fmt.Errorf("eventstore: async append to %s: %w", subject, mapPublishErr(err))
	}
	return Pending{subject: subject, expected: expected, fut: fut}, nil
}

// AsyncPending is the number of asynchronous appends not yet acknowledged.
func (s *Store) AsyncPending() int {
	return s.js.PublishAsyncPending()
}

func newMsg(subject string, data []byte) *nats.Msg {
	return &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
}

func publishOpts(msgID string, expected uint64) []jetstream.PublishOpt {
	opts := []jetstream.PublishOpt{jetstream.WithExpectLastSequencePerSubject(expected)}
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	return opts
}
