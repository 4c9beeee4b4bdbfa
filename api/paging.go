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
// full length. ok is false for a report that is not paginated.
func paginate(rep projections.Tabular, p pageReq) (projections.Tabular, int, bool) {
	switch r := rep.(type) {
	case projections.AgeingReport:
		type ref struct{ c, i int }
		var all []ref
		for c, cur := range r.Currencies {
			for i := range cur.Customers {
				all = append(all, ref{c, i})
			}
		}
		lo, hi := p.window(len(all))
		out := r
		out.Currencies = []projections.AgeingCurrency{}
		for _, x := range all[lo:hi] {
			n := len(out.Currencies)
			if n == 0 || out.Currencies[n-1].Currency != r.Currencies[x.c].Currency {
				cur := r.Currencies[x.c]
				cur.Customers = []projections.AgeingRow{}
				out.Currencies = append(out.Currencies, cur)
				n++
			}
			last := &out.Currencies[n-1]
			last.Customers = append(last.Customers, r.Currencies[x.c].Customers[x.i])
		}
		return out, len(all), true
	case projections.BadDebtReport:
		type ref struct {
			c, i     int
			doubtful bool
		}
		var all []ref
		for c, cur := range r.Currencies {
			for i := range cur.Doubtful {
				all = append(all, ref{c, i, true})
			}
			for i := range cur.WrittenOff {
				all = append(all, ref{c, i, false})
			}
		}
		lo, hi := p.window(len(all))
		out := r
		out.Currencies = []projections.BadDebtCurrency{}
		for _, x := range all[lo:hi] {
			n := len(out.Currencies)
			if n == 0 || out.Currencies[n-1].Currency != r.Currencies[x.c].Currency {
				cur := r.Currencies[x.c]
				cur.Doubtful, cur.WrittenOff = []projections.DoubtfulRow{}, []projections.WrittenOffRow{}
				out.Currencies = append(out.Currencies, cur)
				n++
			}
			last := &out.Currencies[n-1]
			if x.doubtful {
				last.Doubtful = append(last.Doubtful, r.Currencies[x.c].Doubtful[x.i])
			} else {
				last.WrittenOff = append(last.WrittenOff, r.Currencies[x.c].WrittenOff[x.i])
			}
		}
		return out, len(all), true
	case projections.FundReport:
		lo, hi := p.window(len(r.Funds))
		out := r
		out.Funds = append([]projections.FundRow{}, r.Funds[lo:hi]...)
		return out, len(r.Funds), true
	case projections.ScheduleReport:
		lo, hi := p.window(len(r.Steps))
		out := r
		out.Steps = append([]projections.ScheduleRow{}, r.Steps[lo:hi]...)
		return out, len(r.Steps), true
	case projections.WorklistReport:
		lo, hi := p.window(len(r.Contacts))
		out := r
		out.Contacts = append([]projections.ContactRow{}, r.Contacts[lo:hi]...)
		return out, len(r.Contacts), true
	}
	return rep, 0, false
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
