package csvimport_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/csvimport"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
)

// env is a real embedded JetStream on a temp directory with a loaded Service.
type env struct {
	t   *testing.T
	st  *eventstore.Store
	svc *ledger.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	nc, err := eventstore.ConnectEmbedded(srv)
	if err != nil {
		srv.Shutdown()
		t.Fatalf("ConnectEmbedded: %v", err)
	}
	t.Cleanup(func() {
		nc.Close()
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	st, err := eventstore.Open(ctxT(t), nc, eventstore.Config{})
	if err != nil {
		t.Fatalf("eventstore.Open: %v", err)
	}
	svc := ledger.New(st, time.Now)
	if err := svc.Load(ctxT(t)); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return &env{t: t, st: st, svc: svc}
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// importCSV imports CSV text with a mapping; errors other than refusals fail the test.
func (e *env) importCSV(text string, m csvimport.Mapping) (csvimport.Stats, []csvimport.Refusal) {
	e.t.Helper()
	st, refs, err := csvimport.Import(ctxT(e.t), e.svc, strings.NewReader(text), m, ledger.ImportOptions{Workers: 64})
	if err != nil {
		e.t.Fatalf("Import: %v", err)
	}
	return st, refs
}

// books folds the stream from zero, as the reports do.
func (e *env) books() *domain.Books {
	e.t.Helper()
	b, _, err := projections.Fold(ctxT(e.t), e.st, time.Time{})
	if err != nil {
		e.t.Fatalf("Fold: %v", err)
	}
	return b
}

func ibm(t *testing.T) csvimport.Mapping {
	t.Helper()
	m, err := csvimport.Preset("ibm-ar")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func refusalText(refs []csvimport.Refusal) string {
	var b strings.Builder
	for i := range refs {
		b.WriteString(refs[i].Error())
		b.WriteByte('\n')
	}
	return b.String()
}
