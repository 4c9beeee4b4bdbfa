package projections_test

import (
	"bufio"
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/bench/ledgergen"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/internal/stacktest"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
)

// Fold decodes commits on several goroutines ahead of the fold. Its books must be
// those of folding each message in turn, with a knownAt cut included, and a commit
// that cannot be decoded must stop it with an error that names its sequence.
func TestFoldDecodingAheadEqualsFoldInTurn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := stacktest.StartStore(t).Store
	// One command per commit, so the stream has thousands of messages and the
	// decoders run far ahead of the fold.
	svc := ledger.New(st, time.Now)
	var gen bytes.Buffer
	w := bufio.NewWriter(&gen)
	ledgergen.Generate(w, 3000, 30, 11)
	w.Flush()
	if _, refused, err := svc.Import(ctx, &gen, ledger.ImportOptions{Workers: 1, NoGroupCommit: true}); err != nil || len(refused) > 0 {
		t.Fatalf("import: %v, %d refused", err, len(refused))
	}
	cut := time.Now()
	var gen2 bytes.Buffer
	w = bufio.NewWriter(&gen2)
	ledgergen.Generate(w, 500, 30, 12)
	w.Flush()
	later := strings.NewReplacer(`"C0`, `"D0`, `"INV-`, `"INV2-`, `"PAY-`, `"PAY2-`, `"CN-`, `"CN2-`).Replace(gen2.String())
	importBytes(t, svc, []byte(later))

	for _, knownAt := range []time.Time{{}, cut} {
		inTurn := domain.NewBooks()
		if _, err := st.Replay(ctx, 0, func(m eventstore.Msg) error {
			return projections.ApplyMsg(inTurn, m, knownAt)
		}); err != nil {
			t.Fatal(err)
		}
		ahead, last, err := projections.Fold(ctx, st, knownAt)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.StreamInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if last != info.State.LastSeq {
			t.Errorf("knownAt %v: folded to %d, stream ends at %d", knownAt, last, info.State.LastSeq)
		}
		if got, want := allReports(t, ahead), allReports(t, inTurn); got != want {
			t.Errorf("knownAt %v: reports of the decode-ahead fold differ from folding in turn", knownAt)
		}
	}

	bad, _, err := st.Append(ctx, eventstore.AccountSubject("broken"), "", 0, []byte(`{"v":1,"scope":`))
	if err != nil {
		t.Fatalf("append a bad commit: %v", err)
	}
	importBytes(t, svc, []byte(strings.NewReplacer(`"D0`, `"E0`, `"INV2-`, `"INV3-`, `"PAY2-`, `"PAY3-`, `"CN2-`, `"CN3-`).Replace(later)))
	_, _, err = projections.Fold(ctx, st, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "stream sequence "+strconv.FormatUint(bad, 10)) {
		t.Fatalf("fold over a bad commit at %d: err = %v", bad, err)
	}
}
