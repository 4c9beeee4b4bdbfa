// Package api is arkeep's HTTP interface: commands in, reports out, as JSON, with the
// Appendix A shapes. Errors are RFC 9457 problem documents naming the field.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
	"github.com/prometheus/client_golang/prometheus"
)

// maxBody bounds a command request.
const maxBody = 8 << 20

// Server serves the API.
type Server struct {
	Service *ledger.Service
	Live    *projections.Live
	Store   projections.Replayer // for known_at reports, folded on demand
	Policy  *domain.Policy
	Today   func() domain.Date

	commands *prometheus.CounterVec
}

// Handler returns the routes.
func (s *Server) Handler(reg prometheus.Registerer) http.Handler {
	s.commands = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ar_commands_total", Help: "Commands received through the API, by command and result.",
	}, []string{"cmd", "result"})
	if reg != nil {
		reg.MustRegister(s.commands)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/commands", s.postCommands)
	mux.HandleFunc("GET /api/v1/reports/{name}", s.getReport)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := s.Live.Position(); err != nil {
			problem(w, http.StatusServiceUnavailable, "projection stopped", err.Error(), "")
			return
		}
		w.Write([]byte("ok\n"))
	})
	return mux
}

// CommandResult is the answer for one command.
type CommandResult struct {
	ID     string  `json:"id,omitempty"`
	Status string  `json:"status"` // recorded, duplicate, refused
	Error  *Refuse `json:"error,omitempty"`
}

// Refuse names why a command was refused.
type Refuse struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

func (s *Server) postCommands(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		problem(w, http.StatusRequestEntityTooLarge, "request too large", err.Error(), "")
		return
	}
	trimmed := strings.TrimSpace(string(body))
	var raws []json.RawMessage
	single := !strings.HasPrefix(trimmed, "[")
	if single {
		raws = []json.RawMessage{json.RawMessage(trimmed)}
	} else if err := json.Unmarshal(body, &raws); err != nil {
		problem(w, http.StatusBadRequest, "malformed JSON", err.Error(), "json")
		return
	}
	results := make([]CommandResult, 0, len(raws))
	refused := false
	for _, raw := range raws {
		res := s.execute(r.Context(), raw)
		if res.Status == "refused" {
			refused = true
		}
		results = append(results, res)
	}
	status := http.StatusOK
	if single && refused {
		fe := results[0].Error
		problem(w, http.StatusUnprocessableEntity, "command refused", fe.Detail, fe.Field)
		return
	}
	if single {
		writeJSON(w, status, results[0])
		return
	}
	writeJSON(w, status, results)
}

func (s *Server) execute(ctx context.Context, raw []byte) CommandResult {
	cmd, hash, err := batch.ParseCommand(raw)
	name := cmdName(raw)
	if err != nil {
		s.commands.WithLabelValues(name, "refused").Inc()
		return refusal("", err)
	}
	id := domain.CommandMeta(cmd).ID
	res, err := s.Service.Execute(ctx, cmd, hash)
	switch {
	case err == nil && res.Recorded:
		s.commands.WithLabelValues(name, "recorded").Inc()
		return CommandResult{ID: id, Status: "recorded"}
	case err == nil:
		s.commands.WithLabelValues(name, "duplicate").Inc()
		return CommandResult{ID: id, Status: "duplicate"}
	default:
		s.commands.WithLabelValues(name, "refused").Inc()
		return refusal(id, err)
	}
}

func refusal(id string, err error) CommandResult {
	if fe, ok := domain.Refusal(err); ok {
		return CommandResult{ID: id, Status: "refused", Error: &Refuse{Field: fe.Field, Reason: string(fe.Reason), Detail: fe.Error()}}
	}
	return CommandResult{ID: id, Status: "refused", Error: &Refuse{Reason: "error", Detail: err.Error()}}
}

// cmdName reads the command name for metrics; unknown names are folded into one label
// so that clients cannot grow the label set.
func cmdName(raw []byte) string {
	var head struct {
		Cmd string `json:"cmd"`
	}
	_ = json.Unmarshal(raw, &head)
	for _, c := range batch.Commands() {
		if c == head.Cmd {
			return c
		}
	}
	return "unknown"
}

func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	asOf := s.Today()
	if v := q.Get("as_of"); v != "" {
		d, err := domain.ParseDate(v)
		if err != nil {
			problem(w, http.StatusBadRequest, "bad as_of", err.Error(), "as_of")
			return
		}
		asOf = d
	}
	build, field, err := reportBuilder(r.PathValue("name"), q, asOf, s.Policy)
	if err != nil {
		problem(w, http.StatusBadRequest, "bad report request", err.Error(), field)
		return
	}
	if v := q.Get("known_at"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			problem(w, http.StatusBadRequest, "bad known_at", "want an RFC 3339 instant: "+err.Error(), "known_at")
			return
		}
		books, _, err := projections.Fold(r.Context(), s.Store, t)
		if err != nil {
			problem(w, http.StatusInternalServerError, "fold failed", err.Error(), "")
			return
		}
		writeReport(w, r, build(books))
		return
	}
	var rep projections.Tabular
	s.Live.View(func(b *domain.Books) { rep = build(b) })
	writeReport(w, r, rep)
}

// reportBuilder checks a report request and returns how to build it from books.
func reportBuilder(name string, q map[string][]string, asOf domain.Date, p *domain.Policy) (func(*domain.Books) projections.Tabular, string, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	switch name {
	case "ageing":
		basis, bk := projections.BasisDue, projections.DefaultBuckets()
		var err error
		if v := get("basis"); v != "" {
			if basis, err = projections.ParseBasis(v); err != nil {
				return nil, "basis", err
			}
		}
		if v := get("buckets"); v != "" {
			if bk, err = projections.ParseBuckets(v); err != nil {
				return nil, "buckets", err
			}
		}
		return func(b *domain.Books) projections.Tabular { return projections.Ageing(b, asOf, basis, bk) }, "", nil
	case "baddebt":
		return func(b *domain.Books) projections.Tabular { return projections.BadDebt(b, asOf) }, "", nil
	case "fund":
		return func(b *domain.Books) projections.Tabular { return projections.Funds(b, asOf) }, "", nil
	case "schedule":
		return func(b *domain.Books) projections.Tabular { return projections.Schedule(b, p, asOf) }, "", nil
	case "worklist":
		collector := get("collector")
		if collector == "" {
			return nil, "collector", errors.New("worklist needs collector")
		}
		hol := map[domain.Date]bool{}
		for _, h := range strings.Split(get("holidays"), ",") {
			if h == "" {
				continue
			}
			d, err := domain.ParseDate(h)
			if err != nil {
				return nil, "holidays", err
			}
			hol[d] = true
		}
		return func(b *domain.Books) projections.Tabular {
			return projections.Worklist(b, p, collector, asOf, hol)
		}, "", nil
	}
	return nil, "name", fmt.Errorf("unknown report %q (ageing, baddebt, fund, schedule, worklist)", name)
}

func writeReport(w http.ResponseWriter, r *http.Request, rep projections.Tabular) {
	if r.URL.Query().Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_ = projections.WriteCSV(w, rep)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// problem writes an RFC 9457 problem document; field names the offending input.
func problem(w http.ResponseWriter, status int, title, detail, field string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": title, "status": status, "detail": detail, "field": field})
}
