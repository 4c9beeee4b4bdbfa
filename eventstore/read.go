package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Msg is one stored message.
type Msg struct {
	Subject string
	Seq     uint64 // stream sequence: a total order across all subjects
	Time    time.Time
	Data    []byte
}

const (
	// subjectBatch is the pull batch for ReadSubject: aggregates are small
	// (0..10k commits), so a few round trips at most.
	subjectBatch = 1000
	// replayBatch is the pull batch for Replay, sized for throughput over
	// millions of messages while bounding buffered memory.
	replayBatch = 4096
	// pullBytes bounds the bytes of one pull (at least two of the largest messages the
	// server takes, see pullLimit). The client asks for the next pull before the last
	// is used up, so about one and a half pulls are on their way at a time, and the
	// server closes a client with more than max_pending bytes queued for it (64 MiB
	// by default) as a slow consumer. A pull of 4096 messages of a million-command
	// ledger's group commits (tens of kilobytes each) went past that.
	pullBytes = 4 << 20
	// readerInactive is the server-side backstop for deleting a reader's
	// ephemeral consumer if our explicit delete is lost (e.g. a crash).
	readerInactive = 30 * time.Second
	// readerDeleteTimeout bounds the best-effort consumer cleanup.
	readerDeleteTimeout = 2 * time.Second
)

// ReadSubject returns every message on the exact subject with a sequence
// greater than afterSeq, in order. It reads up to the subject's last
// sequence as of the call; messages appended meanwhile may or may not be
// included, but the result is always a gap-free prefix of the subject.
func (s *Store) ReadSubject(ctx context.Context, subject string, afterSeq uint64) ([]Msg, error) {
	last, err := s.lastSubjectSeq(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("eventstore: read %s: %w", subject, err)
	}
	if last <= afterSeq {
		return nil, nil
	}
	var out []Msg
	_, err = s.readRange(ctx, []string{subject}, afterSeq, last, subjectBatch, func(m Msg) error {
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("eventstore: read %s after seq %d: %w", subject, afterSeq, err)
	}
	return out, nil
}

// Replay calls fn, in stream order, for every message with a sequence in
// (afterSeq, last], where last is the stream's last sequence when Replay
// starts; messages appended during the replay are left for the next call (or
// a Watch). It returns the last sequence delivered to fn, or afterSeq if
// none. An error from fn stops the replay and is returned wrapped, with
// lastSeq being the last message fn accepted.
func (s *Store) Replay(ctx context.Context, afterSeq uint64, fn func(Msg) error) (lastSeq uint64, err error) {
	last, err := s.LastSeq(ctx)
	if err != nil {
		return afterSeq, fmt.Errorf("eventstore: replay: %w", err)
	}
	if last <= afterSeq {
		return afterSeq, nil
	}
	delivered, err := s.readRange(ctx, nil, afterSeq, last, replayBatch, fn)
	if delivered == 0 {
		delivered = afterSeq
	}
	if err != nil {
		return delivered, fmt.Errorf("eventstore: replay after seq %d: %w", afterSeq, err)
	}
	return delivered, nil
}

// lastSubjectSeq returns the sequence of the last message on subject, 0 if
// the subject is empty.
func (s *Store) lastSubjectSeq(ctx context.Context, subject string) (uint64, error) {
	raw, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last message: %w", err)
	}
	return raw.Sequence, nil
}

// readRange streams messages matching filters (nil = all) with sequences in
// (afterSeq, last] to fn, through an ordered consumer: the client library
// detects gaps and recreates the consumer, so delivery is exactly-once and
// in order even across reconnects. Because the stream denies deletes there
// are no holes, but readRange does not rely on that: it stops at the first
// sequence >= last. It returns the last sequence handed to fn (0 if none).
func (s *Store) readRange(ctx context.Context, filters []string, afterSeq, last uint64, batch int, fn func(Msg) error) (uint64, error) {
	cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects:    filters,
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       afterSeq + 1,
		InactiveThreshold: readerInactive,
	})
	if err != nil {
		return 0, fmt.Errorf("create ordered consumer: %w", err)
	}
	// PullExpiry: on a cluster the first pull of a new consumer can miss it (it sits on
	// a replica that was not ready); a short expiry re-issues the pull within a second
	// instead of after the client's default of about ten.
	it, err := cons.Messages(jetstream.PullMaxMessagesWithBytesLimit(batch, s.pullLimit()), jetstream.PullExpiry(time.Second))
	if err != nil {
		return 0, fmt.Errorf("start reading: %w", err)
	}
	defer s.closeReader(cons, it)

	var delivered uint64
	for delivered < last {
		jm, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return delivered, fmt.Errorf("next message: %w", err)
		}
		m, err := toMsg(jm)
		if err != nil {
			return delivered, err
		}
		if m.Seq > last {
			// Only possible if (last) itself vanished; never deliver
			// past the snapshot point.
			break
		}
		if err := fn(m); err != nil {
			return delivered, err
		}
		delivered = m.Seq
	}
	return delivered, nil
}

// pullLimit is pullBytes, or twice the server's max_payload where that is larger: a
// pull must have room for any one message, or the consumer stalls.
func (s *Store) pullLimit() int {
	limit := pullBytes
	if nc := s.js.Conn(); nc != nil {
		limit = max(limit, 2*int(nc.MaxPayload()))
	}
	return limit
}

// closeReader stops the iterator and deletes its server-side consumer right
// away instead of leaving one ephemeral consumer per read around until the
// inactivity threshold. Failure is harmless (the threshold cleans up), so it
// is ignored.
func (s *Store) closeReader(cons jetstream.Consumer, it jetstream.MessagesContext) {
	it.Stop()
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), readerDeleteTimeout)
	defer cancel()
	_ = s.stream.DeleteConsumer(ctx, info.Name)
}

func toMsg(jm jetstream.Msg) (Msg, error) {
	md, err := jm.Metadata()
	if err != nil {
		return Msg{}, fmt.Errorf("message metadata on %s: %w", jm.Subject(), err)
	}
	return Msg{
		Subject: jm.Subject(),
		Seq:     md.Sequence.Stream,
		Time:    md.Timestamp,
		Data:    jm.Data(),
	}, nil
}
