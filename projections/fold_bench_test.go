package projections_test

import (
	"bufio"
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/arkeep/arkeep/bench/ledgergen"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/internal/stacktest"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
)

// BenchmarkFold folds a 20k-command stream from zero; BenchmarkReplay is its baseline,
// the same stream read with nothing done per message (run both: -bench 'Fold|Replay').
func BenchmarkFold(b *testing.B)   { benchStream(b, true) }
func BenchmarkReplay(b *testing.B) { benchStream(b, false) }

func benchStream(b *testing.B, fold bool) {
	ctx := context.Background()
	st := stacktest.StartStore(b).Store
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	ledgergen.Generate(w, 20000, 200, 1)
	w.Flush()
	svc := ledger.New(st, time.Now)
	if _, refused, err := svc.Import(ctx, &buf, ledger.ImportOptions{}); err != nil || len(refused) > 0 {
		b.Fatalf("import: %v %d", err, len(refused))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if fold {
			if _, _, err := projections.Fold(ctx, st, time.Time{}); err != nil {
				b.Fatal(err)
			}
		} else if _, err := st.Replay(ctx, 0, func(eventstore.Msg) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
