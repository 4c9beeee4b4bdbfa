// Package web is the finance team's pages: server-rendered HTML over the live
// projection — the ageing dashboard, customer statements, the bad-debt register, the
// fund statement and each collector's worklist with a one-click "Done".
//
// Pages are html/template with embedded templates, one CSS file and a few lines of
// vanilla JavaScript that re-fetch the page's <main> when the Server-Sent Events
// stream /events/changes says a new commit was folded. Amounts are always the strings
// the reports (or domain.FormatMoney) give; floats are only used for SVG bar heights.
//
// The handler has no authentication of its own: wrap it (auth middleware) like any
// http.Handler. State-changing requests (POST) are refused when they come from another
// origin (http.CrossOriginProtection), and pages forbid framing.
package web

import (
	"context"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/projections"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// PageSize is the number of rows of the dashboard's customer table per page.
const PageSize = 200

// Option adjusts the handler.
type Option func(*handler)

// WithContext ends the Server-Sent Events streams when ctx ends, so that a graceful
// http.Server.Shutdown is not held up by open pages.
func WithContext(ctx context.Context) Option { return func(h *handler) { h.done = ctx.Done() } }

// WithHolidays sets the holidays of the worklist's working-day calendar.
func WithHolidays(days map[domain.Date]bool) Option {
	return func(h *handler) { h.holidays = days }
}

// WithActor names who is signed in (from the auth middleware's request context); the
// name is written into the note of actions recorded from the worklist.
func WithActor(actor func(*http.Request) string) Option { return func(h *handler) { h.actor = actor } }

// WithMinInterval sets the least time between two change events sent to one page
// (default one second): a bulk import then refreshes pages once a second, not once a
// commit.
func WithMinInterval(d time.Duration) Option { return func(h *handler) { h.minInterval = d } }

type handler struct {
	live        *projections.Live
	svc         *ledger.Service
	policy      *domain.Policy
	today       func() domain.Date
	holidays    map[domain.Date]bool
	actor       func(*http.Request) string
	done        <-chan struct{}
	minInterval time.Duration
	pages       map[string]*template.Template
}

// Handler returns the pages, to be mounted at "/":
//
//	GET  /                              ageing dashboard (?as_of=, ?page=)
//	GET  /customers/{id}                customer statement (?as_of=)
//	GET  /baddebt                       bad-debt register (?as_of=)
//	GET  /funds                         fund statement (?as_of=)
//	GET  /worklist                      collectors; ?collector=NAME: that worklist (?as_of=)
//	POST /worklist/done                 records the task's action (RecordAction), then 303
//	GET  /events/changes                Server-Sent Events: "change" after each new commit
//	GET  /static/                       style.css, live.js
func Handler(live *projections.Live, svc *ledger.Service, policy *domain.Policy, today func() domain.Date, opts ...Option) http.Handler {
	h := &handler{live: live, svc: svc, policy: policy, today: today, minInterval: time.Second,
		holidays: map[domain.Date]bool{}}
	for _, o := range opts {
		o(h)
	}
	h.pages = parseTemplates()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.dashboard)
	mux.HandleFunc("GET /customers/{id}", h.customer)
	mux.HandleFunc("GET /baddebt", h.badDebt)
	mux.HandleFunc("GET /funds", h.funds)
	mux.HandleFunc("GET /worklist", h.worklist)
	mux.HandleFunc("POST /worklist/done", h.recordDone)
	mux.HandleFunc("GET /events/changes", h.changes)
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))

	cop := http.NewCrossOriginProtection()
	return securityHeaders(cop.Handler(mux))
}

func cacheFor(d time.Duration, next http.Handler) http.Handler {
	v := "public, max-age=" + strconv.Itoa(int(d.Seconds()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", v)
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func parseTemplates() map[string]*template.Template {
	funcs := template.FuncMap{
		"customerURL": customerURL,
		"f1":          func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := map[string]*template.Template{}
	for _, name := range []string{"dashboard.html", "customer.html", "baddebt.html", "funds.html", "worklist.html", "error.html"} {
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name))
	}
	return pages
}

func customerURL(id string) string { return "/customers/" + url.PathEscape(id) }

// layout is what every page shows around its content.
type layout struct {
	Title   string
	Nav     string // active navigation entry
	AsOf    string
	Today   string
	Seq     uint64 // stream position the page was computed from
	Flash   *flash
	Picker  bool   // show the as-of date picker
	Hidden  []kv   // extra fields the picker keeps (collector)
	Content any    // the page's own data
	Action  string // where the picker submits
	// TodayURL is the page without an as-of date (filled in by render).
	TodayURL string
}

type kv struct{ K, V string }

func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, l layout) {
	l.Today = h.today().String()
	l.TodayURL = l.Action
	if len(l.Hidden) > 0 {
		q := url.Values{}
		for _, p := range l.Hidden {
			q.Set(p.K, p.V)
		}
		l.TodayURL += "?" + q.Encode()
	}
	if l.Flash == nil {
		l.Flash = takeFlash(w, r)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := h.pages[name].ExecuteTemplate(w, "layout.html", l); err != nil {
		// Headers are gone; the best left is to say so in the page.
		fmt.Fprintf(w, "<p>page error: %s</p>", template.HTMLEscapeString(err.Error()))
	}
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error.html", layout{Title: http.StatusText(status), Content: msg})
}

// asOf reads ?as_of=YYYY-MM-DD, default today.
func (h *handler) asOf(r *http.Request) (domain.Date, error) {
	v := r.URL.Query().Get("as_of")
	if v == "" {
		return h.today(), nil
	}
	d, err := domain.ParseDate(v)
	if err != nil {
		return domain.NoDate, fmt.Errorf("as_of: %v", err)
	}
	return d, nil
}

// position is the stream position before a view: the page's data is at least this
// fresh, and the change stream compares against it.
func (h *handler) position() uint64 {
	seq, _, _ := h.live.Position()
	return seq
}

// flash is a one-time message shown after a redirect.
type flash struct {
	Kind string // ok, error
	Text string
}

const flashCookie = "arkeep_flash"

func setFlash(w http.ResponseWriter, f flash) {
	v := base64.RawURLEncoding.EncodeToString([]byte(f.Kind + "\n" + f.Text))
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v, Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	for i := range b {
		if b[i] == '\n' {
			return &flash{Kind: string(b[:i]), Text: string(b[i+1:])}
		}
	}
	return nil
}
