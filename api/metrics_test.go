package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/api"
	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/internal/stacktest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestCommandMetricLabels: ar_commands_total counts each command under its Appendix A
// name, recorded or refused, and every name that is not a command under "unknown".
func TestCommandMetricLabels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stack := stacktest.Start(t, ctx)
	reg := prometheus.NewRegistry()
	s := &api.Server{Service: stack.Service, Live: stack.Live, Store: stack.Store, Policy: domain.DefaultPolicy(),
		Today: func() domain.Date { return today }, InsecureNoAuth: true}
	srv := httptest.NewServer(s.Handler(reg))
	t.Cleanup(srv.Close)

	body := "[" + strings.Join(append(preamble,
		`{"cmd":"WriteOff","id":"wo-bad","on":"2026-02-01"}`, // a command, refused
		`{"cmd":"Bogus-1","id":"b1","on":"2026-02-01"}`,
		`{"cmd":"Bogus-2"}`,
		`{"id":"no-cmd"}`), ",") + "]"
	resp, err := http.Post(srv.URL+"/api/v1/commands", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}

	known := map[string]bool{"unknown": true}
	for _, c := range batch.Commands() {
		known[c] = true
	}
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "ar_commands_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if !known[labels["cmd"]] {
				t.Errorf("cmd label %q is not an Appendix A name", labels["cmd"])
			}
			got[labels["cmd"]+"/"+labels["result"]] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"RegisterCustomer/recorded": 2, "IssueInvoice/recorded": 6,
		"ReportViolation/recorded": 1, "WriteOff/refused": 1, "unknown/refused": 3}
	if len(got) != len(want) {
		t.Errorf("counters %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}
