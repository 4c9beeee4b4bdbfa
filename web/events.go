package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// heartbeat keeps idle event streams open through proxies.
const heartbeat = 25 * time.Second

// changes is the Server-Sent Events stream of the projection's progress: an event
// "change" (id and data: the stream position) each time a new commit is folded, at
// most one per minInterval. A client that reconnects sends Last-Event-ID (or ?since=
// on its first connection, the position its page was computed from) and gets an
// event at once if the projection moved meanwhile.
func (h *handler) changes(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	since, known := uint64(0), false
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("since")} {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			since, known = n, true
			break
		}
	}
	changed := h.live.Changed()
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	send := func() bool {
		seq := h.position()
		_, err := fmt.Fprintf(w, "id: %d\nevent: change\ndata: %d\n\n", seq, seq)
		return err == nil && rc.Flush() == nil
	}
	if known && h.position() > since {
		changed = h.live.Changed()
		if !send() {
			return
		}
	} else if rc.Flush() != nil {
		return
	}

	ping := time.NewTicker(heartbeat)
	defer ping.Stop()
	for {
		select {
		case <-changed:
			// Take the next channel before sending, so that nothing folded while this
			// event is written and the interval runs is missed.
			changed = h.live.Changed()
			if !send() {
				return
			}
			if h.minInterval > 0 {
				t := time.NewTimer(h.minInterval)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return
				case <-h.done:
					t.Stop()
					return
				}
			}
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		}
	}
}
