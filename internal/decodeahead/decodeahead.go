// Package decodeahead replays the event stream with its commits decoded on several
// goroutines ahead of the one that folds them, for the folds that read the whole
// stream: a projection rebuilt from zero and a service's books at start.
package decodeahead

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/arkeep/arkeep/eventcodec"
	"github.com/arkeep/arkeep/eventstore"
)

// decodeAheadQueue is how many messages may wait between the reader and the fold.
const decodeAheadQueue = 512

// errFoldStopped ends a replay whose fold has already failed.
var errFoldStopped = errors.New("decodeahead: fold stopped")

// Replayer is the part of the event store a replay reads.
type Replayer interface {
	Replay(ctx context.Context, afterSeq uint64, fn func(eventstore.Msg) error) (uint64, error)
}

// Replay replays the stream after afterSeq and calls fn with each message and,
// for commits, the decoded commit (nil for other subjects), in stream order, on one
// goroutine.
//
// Decoding the JSON is most of a rebuild's work (about four fifths of a fold's
// CPU), and unlike applying it needs no order: workers, one per CPU, decode
// messages as they arrive while fn applies those already decoded. fn's first error
// (or a commit that does not decode) stops the replay and is returned.
//
// Like eventstore.Store.Replay, it returns the last sequence fn accepted, or
// afterSeq if none: on an error that is where a later catch-up must take up, and the
// reader may by then have delivered messages beyond it that were never folded.
func Replay(ctx context.Context, r Replayer, afterSeq uint64, fn func(eventstore.Msg, *eventcodec.Commit) error) (uint64, error) {
	type item struct {
		m     eventstore.Msg
		c     *eventcodec.Commit
		err   error
		ready chan struct{} // closed when c or err is set
	}
	todo := make(chan *item, decodeAheadQueue)    // to the decoders, any order
	inOrder := make(chan *item, decodeAheadQueue) // to the fold, stream order
	var decoders sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		decoders.Go(func() {
			for it := range todo {
				c, err := eventcodec.DecodeCommit(it.m.Data)
				if err != nil {
					it.err = fmt.Errorf("stream sequence %d: %w", it.m.Seq, err)
				} else {
					it.c = &c
				}
				close(it.ready)
			}
		})
	}
	var foldErr error
	folded := afterSeq // the last sequence fn accepted
	var failed atomic.Bool
	foldDone := make(chan struct{})
	go func() {
		defer close(foldDone)
		for it := range inOrder {
			<-it.ready
			if foldErr != nil {
				continue // drain, so the reader and the decoders never block
			}
			foldErr = it.err
			if foldErr == nil {
				foldErr = fn(it.m, it.c)
			}
			if foldErr != nil {
				failed.Store(true)
				continue
			}
			folded = it.m.Seq
		}
	}()
	_, err := r.Replay(ctx, afterSeq, func(m eventstore.Msg) error {
		if failed.Load() {
			return errFoldStopped
		}
		it := &item{m: m, ready: make(chan struct{})}
		inOrder <- it
		if eventstore.IsCommitSubject(m.Subject) {
			todo <- it
		} else {
			close(it.ready)
		}
		return nil
	})
	close(todo)
	close(inOrder)
	decoders.Wait()
	<-foldDone
	if foldErr != nil {
		return folded, foldErr
	}
	return folded, err
}
