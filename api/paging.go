package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/arkeep/arkeep/projections"
)

// Pagination of report lists.
//
// A report request may carry limit (1..MaxLimit) and page_token. Without limit (and
// without page_token) the report is the Appendix A object, unchanged. With them, it is
// the same object with its list cut to at most limit entries, plus a top-level
// "next_page_token": the token for the next page, or null on the last page. The list
// each report pages:
//
//	ageing    the customer rows, across currencies in report order (currency, customer);
//	          a currency appears when one of its rows is on the page, and its totals
//	          stay the totals of the whole currency
//	baddebt   the rows of every currency in report order: per currency the doubtful
//	          rows, then the written_off rows; totals stay whole-currency totals
//	fund      funds
//	schedule  steps
//	worklist  contacts (priorities stay those of the whole list)
//
// The kpi report is not paginated. A page token is opaque; it holds the position and a
// digest of the query (report, as_of, known_at and the report's parameters), so it is
// refused for another query. Positions count entries of the list as it stands when
// each page is read: for a listing that cannot shift while it is read, pass known_at.
const MaxLimit = 1000

type pageReq struct {
	on     bool
	offset int
	limit  int
}

type pageToken struct {
	V int    `json:"v"`
	O int    `json:"o"`
	L int    `json:"l"`
	Q string `json:"q"`
}

// queryDigest identifies a report query for its page tokens.
func queryDigest(name string, q url.Values, asOf string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		switch k {
		case "limit", "page_token", "format", "as_of":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00as_of=%s\x00", name, asOf)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\x00", k, strings.Join(q[k], ","))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func parsePage(q url.Values, digest string) (pageReq, string, error) {
	var p pageReq
	if v := q.Get("page_token"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		var t pageToken
		if err == nil {
			err = json.Unmarshal(raw, &t)
		}
		if err != nil || t.V != 1 || t.O < 0 || t.L < 1 || t.L > MaxLimit {
			return p, "page_token", errors.New("not a page token of this API")
		}
		if t.Q != digest {
			return p, "page_token", errors.New("the page token belongs to another query (report, as_of, known_at or parameters differ)")
		}
		p = pageReq{on: true, offset: t.O, limit: t.L}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return p, "limit", fmt.Errorf("limit %q: want a whole number from 1 to %d", v, MaxLimit)
		}
		p.on, p.limit = true, n
	}
	return p, "", nil
}

func (p pageReq) next(digest string, total int) *string {
	end := p.offset + p.limit
	if end >= total {
		return nil
	}
	b, _ := json.Marshal(pageToken{V: 1, O: end, L: p.limit, Q: digest})
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// window returns the bounds of the page within n entries.
func (p pageReq) window(n int) (int, int) {
	lo := min(p.offset, n)
	return lo, min(lo+p.limit, n)
}

// paginate cuts a report's list to the page; it returns the cut report and the list's
// full length. A report that is not paginated (kpi, refused before) is returned whole.
func paginate(rep projections.Tabular, p pageReq) (projections.Tabular, int) {
	switch r := rep.(type) {
	case projections.AgeingReport:
		sizes := make([]int, len(r.Currencies))
		for c, cur := range r.Currencies {
			sizes[c] = len(cur.Customers)
		}
		spans, total := p.spans(sizes)
		out := r
		out.Currencies = make([]projections.AgeingCurrency, 0, len(spans))
		for _, sp := range spans {
			cur := r.Currencies[sp.group]
			cur.Customers = part(cur.Customers, sp.lo, sp.hi)
			out.Currencies = append(out.Currencies, cur)
		}
		return out, total
	case projections.BadDebtReport:
		// Per currency its doubtful rows, then its written_off rows.
		sizes := make([]int, len(r.Currencies))
		for c, cur := range r.Currencies {
			sizes[c] = cur.Doubtful.Len() + len(cur.WrittenOff)
		}
		spans, total := p.spans(sizes)
		out := r
		out.Currencies = make([]projections.BadDebtCurrency, 0, len(spans))
		for _, sp := range spans {
			cur := r.Currencies[sp.group]
			nd := cur.Doubtful.Len()
			cur.Doubtful = cur.Doubtful.Slice(min(sp.lo, nd), min(sp.hi, nd))
			cur.WrittenOff = part(cur.WrittenOff, max(sp.lo, nd)-nd, max(sp.hi, nd)-nd)
			out.Currencies = append(out.Currencies, cur)
		}
		return out, total
	case projections.FundReport:
		lo, hi := p.window(len(r.Funds))
		out := r
		out.Funds = append([]projections.FundRow{}, r.Funds[lo:hi]...)
		return out, len(r.Funds)
	case projections.ScheduleReport:
		lo, hi := p.window(len(r.Steps))
		out := r
		out.Steps = append([]projections.ScheduleRow{}, r.Steps[lo:hi]...)
		return out, len(r.Steps)
	case projections.WorklistReport:
		lo, hi := p.window(len(r.Contacts))
		out := r
		out.Contacts = append([]projections.ContactRow{}, r.Contacts[lo:hi]...)
		return out, len(r.Contacts)
	}
	return rep, 0
}

// span is the part [lo, hi) of one group of a grouped list that is on a page.
type span struct{ group, lo, hi int }

// spans lays groups of the given sizes end to end, as one list, and returns the page's
// part of each group that has entries on it, in order, and the list's length.
func (p pageReq) spans(sizes []int) ([]span, int) {
	total := 0
	for _, n := range sizes {
		total += n
	}
	lo, hi := p.window(total)
	var out []span
	start := 0 // the list position of the group's first entry
	for g, n := range sizes {
		if start >= hi {
			break
		}
		if a, b := max(lo-start, 0), min(hi-start, n); a < b {
			out = append(out, span{g, a, b})
		}
		start += n
	}
	return out, total
}

// part is s[lo:hi], never nil (an empty list encodes as [], not null), and with no
// room to grow into the rest of s.
func part[T any](s []T, lo, hi int) []T {
	if lo >= hi {
		return []T{}
	}
	return s[lo:hi:hi]
}

// withNext is a report object with a top-level next_page_token after its own keys.
type withNext struct {
	rep  any
	next *string
}

func (p withNext) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(p.rep)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[len(b)-1] != '}' {
		return nil, errors.New("api: a paginated report must be a JSON object")
	}
	nb, _ := json.Marshal(p.next)
	out := append([]byte{}, b[:len(b)-1]...)
	if len(b) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"next_page_token":`...)
	out = append(out, nb...)
	return append(out, '}'), nil
}
