// Package api is arkeep's HTTP interface: commands in, reports out, as JSON, with the
// Appendix A shapes. Errors are RFC 9457 problem documents naming the field.
//
// Routes (described in OpenAPI 3.1 at GET /openapi.json, a copy of docs/openapi.json):
//
//	POST /api/v1/commands           one command or an array (clerk; admin for the
//	                                sensitive commands, see Role)
//	GET  /api/v1/reports/{name}     ageing, baddebt, fund, schedule, worklist, kpi (viewer)
//	GET  /openapi.json              the API description (no token)
//	GET  /healthz                   liveness of the live projection (no token)
//
// Every /api/v1 route needs "Authorization: Bearer <token>"; see Tokens and Role. A
// request without a valid token gets 401 (with WWW-Authenticate: Bearer), a token whose
// role is not enough 403, both as problem documents, and nothing is recorded: for an
// array every command's role is checked before any is executed.
package api

import (
	"context"
	"encoding/json"
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

	// Tokens are the accepted bearer tokens. With none, every /api/v1 request is
	// refused with 401 unless InsecureNoAuth is set.
	Tokens *Tokens
	// InsecureNoAuth serves the API without authentication: every request acts as
	// admin. For local demos only; arkeep serve says so loudly.
	InsecureNoAuth bool

	commands *prometheus.CounterVec
}

// readYourWrites bounds how long a command request waits for the live projection to
// fold what it recorded, so that the reports read next reflect it.
const readYourWrites = 5 * time.Second

// Handler returns the routes.
func (s *Server) Handler(reg prometheus.Registerer) http.Handler {
	s.commands = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ar_commands_total", Help: "Commands received through the API, by command and result.",
	}, []string{"cmd", "result"})
	if reg != nil {
		reg.MustRegister(s.commands)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/commands", s.require(RoleClerk, s.postCommands))
	mux.HandleFunc("GET /api/v1/reports/{name}", s.require(RoleViewer, s.getReport))
	mux.HandleFunc("GET /openapi.json", serveOpenAPI)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := s.Live.Position(); err != nil {
			problem(w, http.StatusServiceUnavailable, "projection stopped", err.Error(), "", nil)
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
	seq    uint64  // stream sequence of the recording commit, 0 when unknown
}

// Refuse names why a command was refused.
type Refuse struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// parsed is one command of a request, parsed before anything is executed.
type parsed struct {
	name string // Appendix A name, or "unknown"
	cmd  domain.Command
	hash string
	err  error
}

func (s *Server) postCommands(w http.ResponseWriter, r *http.Request, role Role) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		problem(w, http.StatusRequestEntityTooLarge, "request too large", err.Error(), "", nil)
		return
	}
	trimmed := strings.TrimSpace(string(body))
	var raws []json.RawMessage
	single := !strings.HasPrefix(trimmed, "[")
	if single {
		raws = []json.RawMessage{json.RawMessage(trimmed)}
	} else if err := json.Unmarshal(body, &raws); err != nil {
		problem(w, http.StatusBadRequest, "malformed JSON", err.Error(), "json", nil)
		return
	}
	// Parse every command and check its role before executing any.
	cmds := make([]parsed, len(raws))
	for i, raw := range raws {
		p := &cmds[i]
		p.cmd, p.hash, p.err = batch.ParseCommand(raw)
		p.name = cmdName(raw)
		need := CommandRole(p.name)
		if p.err != nil && p.name == "unknown" {
			need = RoleClerk // refused below as not a command
		}
		if role < need {
			s.commands.WithLabelValues(p.name, "forbidden").Inc()
			detail := fmt.Sprintf("%s needs role %s; the token's role is %s; nothing was recorded", p.name, need, role)
			var ext map[string]any
			if !single {
				detail = fmt.Sprintf("command %d (%s) needs role %s; the token's role is %s; nothing was recorded", i, p.name, need, role)
				ext = map[string]any{"index": i}
			}
			forbid(w, detail, "cmd", ext)
			return
		}
	}
	results := make([]CommandResult, 0, len(cmds))
	refused, recorded := false, false
	var upTo uint64 // the projection must reach this sequence; 0: the stream's last
	seqKnown := true
	for _, p := range cmds {
		res := s.execute(r.Context(), p)
		switch res.Status {
		case "refused":
			refused = true
		case "recorded":
			recorded = true
			upTo = max(upTo, res.seq)
			seqKnown = seqKnown && res.seq > 0
		}
		results = append(results, res)
	}
	if recorded {
		if !seqKnown {
			upTo = 0
		}
		s.awaitProjection(r.Context(), upTo)
	}
	if single && refused {
		fe := results[0].Error
		problem(w, http.StatusUnprocessableEntity, "command refused", fe.Detail, fe.Field, nil)
		return
	}
	if single {
		writeJSON(w, http.StatusOK, results[0])
		return
	}
	writeJSON(w, http.StatusOK, results)
}

// awaitProjection waits, a bounded time, until the live projection has folded what
// this request recorded: up to seq, or when a command's commit sequence is not known
// (seq 0: a fan-out over several accounts) everything in the stream now. Knowing the
// sequence saves asking the server for its last one on every command.
func (s *Server) awaitProjection(ctx context.Context, seq uint64) {
	if s.Live == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, readYourWrites)
	defer cancel()
	if seq == 0 {
		ls, ok := s.Store.(interface {
			LastSeq(context.Context) (uint64, error)
		})
		if !ok {
			return
		}
		last, err := ls.LastSeq(ctx)
		if err != nil {
			return
		}
		seq = last
	}
	_ = s.Live.WaitFor(ctx, seq)
}

func (s *Server) execute(ctx context.Context, p parsed) CommandResult {
	if p.err != nil {
		s.commands.WithLabelValues(p.name, "refused").Inc()
		return refusal("", p.err)
	}
	id := domain.CommandMeta(p.cmd).ID
	res, err := s.Service.Execute(ctx, p.cmd, p.hash)
	switch {
	case err == nil && res.Recorded:
		s.commands.WithLabelValues(p.name, "recorded").Inc()
		return CommandResult{ID: id, Status: "recorded", seq: res.Seq}
	case err == nil:
		s.commands.WithLabelValues(p.name, "duplicate").Inc()
		return CommandResult{ID: id, Status: "duplicate"}
	default:
		s.commands.WithLabelValues(p.name, "refused").Inc()
		return refusal(id, err)
	}
}

func refusal(id string, err error) CommandResult {
	if fe, ok := domain.Refusal(err); ok {
		return CommandResult{ID: id, Status: "refused", Error: &Refuse{Field: fe.Field, Reason: string(fe.Reason), Detail: fe.Error()}}
	}
	return CommandResult{ID: id, Status: "refused", Error: &Refuse{Reason: "error", Detail: err.Error()}}
}

// appendixA is the set of Appendix A command names.
var appendixA = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range batch.Commands() {
		m[c] = true
	}
	return m
}()

// cmdName is the Appendix A name a command gives in its "cmd" field, or "unknown", for
// the role check and the metric labels (unknown names are folded into one label so that
// clients cannot grow the label set). It names refused commands too; for a command that
// parses it is the parsed command's name, as batch refuses a duplicated or unknown field.
func cmdName(raw []byte) string {
	var head struct {
		Cmd string `json:"cmd"`
	}
	_ = json.Unmarshal(raw, &head)
	if appendixA[head.Cmd] {
		return head.Cmd
	}
	return "unknown"
}

func (s *Server) getReport(w http.ResponseWriter, r *http.Request, _ Role) {
	q := r.URL.Query()
	name := r.PathValue("name")
	asOf := s.Today()
	if v := q.Get("as_of"); v != "" {
		d, err := domain.ParseDate(v)
		if err != nil {
			problem(w, http.StatusBadRequest, "bad as_of", err.Error(), "as_of", nil)
			return
		}
		asOf = d
	}
	build, err := projections.Request{Name: name, AsOf: asOf, Basis: q.Get("basis"), Buckets: q.Get("buckets"),
		Collector: q.Get("collector"), Holidays: q.Get("holidays"), From: q.Get("from"), To: q.Get("to"),
		Policy: s.Policy}.Builder()
	if err != nil {
		fe, _ := domain.Refusal(err)
		problem(w, http.StatusBadRequest, "bad report request", fe.Msg, fe.Field, nil)
		return
	}
	digest := queryDigest(name, q, asOf.String())
	page, field, err := parsePage(q, digest)
	if err != nil {
		problem(w, http.StatusBadRequest, "bad page request", err.Error(), field, nil)
		return
	}
	if page.on && name == "kpi" {
		problem(w, http.StatusBadRequest, "bad page request", "the kpi report is not paginated", "limit", nil)
		return
	}
	var rep projections.Tabular
	if v := q.Get("known_at"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			problem(w, http.StatusBadRequest, "bad known_at", "want an RFC 3339 instant: "+err.Error(), "known_at", nil)
			return
		}
		books, _, err := projections.Fold(r.Context(), s.Store, t)
		if err != nil {
			problem(w, http.StatusInternalServerError, "fold failed", err.Error(), "", nil)
			return
		}
		rep = build(books)
	} else {
		s.Live.View(func(b *domain.Books) { rep = build(b) })
	}
	if !page.on {
		writeReport(w, r, rep, rep)
		return
	}
	cut, total := paginate(rep, page)
	next := page.next(digest, total)
	if next != nil {
		w.Header().Set("X-Next-Page-Token", *next)
	}
	writeReport(w, r, cut, withNext{rep: cut, next: next})
}

// writeReport writes rep as CSV when the query asks for it (format=csv), otherwise
// body (the report, or the page of it with its next_page_token) as JSON.
func writeReport(w http.ResponseWriter, r *http.Request, rep projections.Tabular, body any) {
	if r.URL.Query().Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_ = projections.WriteCSV(w, rep)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// problem writes an RFC 9457 problem document; field names the offending input, ext
// adds members (such as "index", the position of a command in an array).
func problem(w http.ResponseWriter, status int, title, detail, field string, ext map[string]any) {
	doc := map[string]any{"type": "about:blank", "title": title, "status": status, "detail": detail, "field": field}
	for k, v := range ext {
		doc[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(doc)
}
