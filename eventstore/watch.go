package eventstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// watchBatch is the pull batch of Watch (the client's default for Consume), bounded
// in bytes as Replay's is (see pullBytes).
const watchBatch = 500

// Watch delivers every message with a sequence greater than afterSeq to fn,
// in stream order, first the backlog and then live appends, until stop is
// called or ctx ends. It is meant for live projections: replay with Replay,
// then Watch from the sequence it returned.
//
// fn is called from a single goroutine, one message at a time; a slow fn
// slows delivery but loses nothing (the ordered consumer resumes from the
// last delivered sequence after reconnects). fn may still be running when
// stop returns.
func (s *Store) Watch(ctx context.Context, afterSeq uint64, fn func(Msg)) (stop func(), err error) {
	cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   afterSeq + 1,
	})
	if err != nil {
		return nil, fmt.Errorf("eventstore: watch after seq %d: create ordered consumer: %w", afterSeq, err)
	}
	cc, err := cons.Consume(func(jm jetstream.Msg) {
		m, err := toMsg(jm)
		if err != nil {
			// Only a malformed reply subject can cause this; the
			// ordered consumer would not have delivered it.
			return
		}
		fn(m)
	}, jetstream.PullMaxMessagesWithBytesLimit(watchBatch, s.pullLimit()))
	if err != nil {
		return nil, fmt.Errorf("eventstore: watch after seq %d: consume: %w", afterSeq, err)
	}

	done := make(chan struct{})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			cc.Stop()
			if info := cons.CachedInfo(); info != nil {
				// Best effort; the server's inactivity threshold is the
				// backstop.
				dctx, cancel := context.WithTimeout(context.Background(), readerDeleteTimeout)
				defer cancel()
				_ = s.stream.DeleteConsumer(dctx, info.Name)
			}
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-done:
		}
	}()
	return stop, nil
}
