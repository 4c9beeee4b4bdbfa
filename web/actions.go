package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
)

// foldWait bounds how long a POST waits for the live projection to fold its own
// command, so that the page it redirects to shows it.
const foldWait = 5 * time.Second

// Outcome is written into the actions recorded from the worklist.
const Outcome = "done via web"

// recordDone records a worklist task as done: a RecordAction for the task's customer
// and invoice with the task's action, outcome "done via web". The command id is
// derived from the form's nonce ("web-" + nonce), so a double click (the same form
// posted twice) records once: the second post is a duplicate of the first.
func (h *handler) recordDone(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, http.StatusBadRequest, "Bad form: "+err.Error())
		return
	}
	f := r.PostForm
	collector, customer, invoice, action := f.Get("collector"), f.Get("customer"), f.Get("invoice"), f.Get("action")
	back := worklistURL(collector, f.Get("as_of"))
	if collector == "" {
		back = "/worklist"
	}
	redirect := func(fl flash) {
		setFlash(w, fl)
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
	nonce := f.Get("nonce")
	if !validNonce(nonce) {
		redirect(flash{Kind: "error", Text: "Not recorded: the form has no valid nonce; reload the page and try again."})
		return
	}
	// The action counts from its date; a task dated after today (a worklist for the
	// next working day) is recorded on its own date so that it completes that task.
	on := h.today()
	if d, err := domain.ParseDate(f.Get("date")); err == nil && d > on {
		on = d
	}
	cmd := map[string]any{"cmd": "RecordAction", "id": "web-" + nonce, "on": on.String(),
		"customer": customer, "action": action, "outcome": Outcome}
	if invoice != "" {
		cmd["invoice"] = invoice
	}
	if h.actor != nil {
		if who := h.actor(r); who != "" {
			cmd["note"] = "by " + who
		}
	}
	raw, err := json.Marshal(cmd)
	if err != nil {
		redirect(flash{Kind: "error", Text: "Not recorded: " + err.Error()})
		return
	}
	c, hash, err := batch.ParseCommand(raw)
	if err != nil {
		redirect(flash{Kind: "error", Text: "Not recorded: " + err.Error()})
		return
	}
	if _, err := h.svc.Execute(r.Context(), c, hash); err != nil {
		redirect(flash{Kind: "error", Text: "Not recorded: " + err.Error()})
		return
	}
	h.waitFolded(r.Context(), customer, "web-"+nonce, hash)
	what := action + " for " + customer
	if invoice != "" {
		what += ", invoice " + invoice
	}
	redirect(flash{Kind: "ok", Text: "Done: " + what + " (recorded on " + on.String() + ")."})
}

// waitFolded waits (at most foldWait) until the live projection has folded the
// command: the service has written it, the projection follows the stream.
func (h *handler) waitFolded(ctx context.Context, customer, id, hash string) {
	ctx, cancel := context.WithTimeout(ctx, foldWait)
	defer cancel()
	for {
		changed := h.live.Changed()
		seen := false
		h.live.View(func(b *domain.Books) {
			if a, ok := b.Existing(customer); ok {
				seen, _ = a.CheckCommand(id, hash)
			}
		})
		if seen {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}
