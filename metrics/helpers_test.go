package metrics

import (
	"bufio"
	"context"
	"github.com/arkeep/arkeep/internal/stacktest"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/eventstore"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// env is a real embedded JetStream with the ledger service writing to it and a live
// projection following it.
type env struct {
	t    *testing.T
	ctx  context.Context
	st   *eventstore.Store
	svc  *ledger.Service
	live *projections.Live
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	stack := stacktest.Start(t, ctx)
	st, svc, live := stack.Store, stack.Service, stack.Live
	return &env{t: t, ctx: ctx, st: st, svc: svc, live: live}
}

// record executes Appendix A command lines in order; each must be recorded.
func (e *env) record(lines ...string) {
	e.t.Helper()
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		cmd, hash, err := batch.ParseCommand([]byte(l))
		if err != nil {
			e.t.Fatalf("ParseCommand(%s): %v", l, err)
		}
		res, err := e.svc.Execute(e.ctx, cmd, hash)
		if err != nil {
			e.t.Fatalf("Execute(%s): %v", l, err)
		}
		if !res.Recorded {
			e.t.Fatalf("Execute(%s): not recorded", l)
		}
	}
}

// sync waits until the live projection has folded the whole stream.
func (e *env) sync() {
	e.t.Helper()
	last, err := e.st.LastSeq(e.ctx)
	if err != nil {
		e.t.Fatalf("LastSeq: %v", err)
	}
	if err := e.live.WaitFor(e.ctx, last); err != nil {
		e.t.Fatalf("WaitFor(%d): %v", last, err)
	}
}

// day is a settable business date.
type day struct {
	mu sync.Mutex
	d  domain.Date
}

func (d *day) set(s string) { d.mu.Lock(); d.d = domain.MustDate(s); d.mu.Unlock() }
func (d *day) get() domain.Date {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.d
}

// serve registers collectors in a fresh registry and serves it over real HTTP.
func serve(t *testing.T, cs ...prometheus.Collector) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	for _, c := range cs {
		reg.MustRegister(c)
	}
	hs := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(hs.Close)
	return hs.URL + "/metrics"
}

// exposition is one scrape: the value of each series keyed as written in the text
// format (`name{label="v",...}`, labels in name order), and the TYPE of each family.
type exposition struct {
	values map[string]float64
	types  map[string]string
}

func scrape(t *testing.T, url string) exposition {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	x := exposition{values: map[string]float64{}, types: map[string]string{}}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			x.types[f[2]] = f[3]
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad exposition line %q: %v", line, err)
		}
		x.values[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return x
}

// want checks exact values of series.
func (x exposition) want(t *testing.T, want map[string]float64) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		got, ok := x.values[k]
		switch {
		case !ok:
			t.Errorf("%s: missing from the scrape", k)
		case got != want[k]:
			t.Errorf("%s = %v, want %v", k, got, want[k])
		}
	}
}

// family lists the series of one metric name.
func (x exposition) family(name string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range x.values {
		if k == name || strings.HasPrefix(k, name+"{") {
			out[k] = v
		}
	}
	return out
}
