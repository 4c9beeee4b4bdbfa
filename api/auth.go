package api

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Role is what a bearer token may do. Roles are ordered: each includes the ones below.
//
//	viewer  GET the reports
//	clerk   + record the everyday commands (see commandRoles)
//	admin   + the sensitive commands: AgreePriceProtection (the fund-rate policy),
//	        WriteOff, ReportViolation, ConfirmViolation, RejectViolation, CloseQuarter
//
// GET /healthz, GET /openapi.json (and /metrics, served beside the API) need no token.
type Role int

const (
	RoleNone Role = iota
	RoleViewer
	RoleClerk
	RoleAdmin
)

// ParseRole reads "viewer", "clerk" or "admin".
func ParseRole(s string) (Role, error) {
	switch s {
	case "viewer":
		return RoleViewer, nil
	case "clerk":
		return RoleClerk, nil
	case "admin":
		return RoleAdmin, nil
	}
	return RoleNone, fmt.Errorf("unknown role %q (viewer, clerk, admin)", s)
}

func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleClerk:
		return "clerk"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// commandRoles is the role each Appendix A command needs. A command missing here
// needs admin (fail closed); TestCommandRolesCoverAppendixA keeps it complete.
var commandRoles = map[string]Role{
	"RegisterCustomer": RoleClerk,
	"AssessCredit":     RoleClerk,
	"IssueInvoice":     RoleClerk,
	"RecordPayment":    RoleClerk,
	"IssueCreditNote":  RoleClerk,
	"GrantExtension":   RoleClerk,
	"RecordPromise":    RoleClerk,
	"OpenDispute":      RoleClerk,
	"ResolveDispute":   RoleClerk,
	"RecordAction":     RoleClerk,

	"AgreePriceProtection": RoleAdmin,
	"WriteOff":             RoleAdmin,
	"ReportViolation":      RoleAdmin,
	"ConfirmViolation":     RoleAdmin,
	"RejectViolation":      RoleAdmin,
	"CloseQuarter":         RoleAdmin,
}

// CommandRole is the role needed to record the command named name.
func CommandRole(name string) Role {
	if r, ok := commandRoles[name]; ok {
		return r
	}
	return RoleAdmin
}

// Tokens are the accepted bearer tokens and their roles. Only SHA-256 digests of the
// tokens are kept, and a presented token is compared with every one of them in
// constant time, so neither the lookup's timing nor a memory dump of the set gives a
// token away. The set never prints its tokens.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	sum  [sha256.Size]byte
	role Role
}

// NewTokens builds a token set from tokens and roles (tests, embedding).
func NewTokens(m map[string]Role) (*Tokens, error) {
	t := &Tokens{}
	for tok, role := range m {
		if err := t.add(tok, role); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *Tokens) add(token string, role Role) error {
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return errors.New("a token must be non-empty and contain no white space")
	}
	if role < RoleViewer || role > RoleAdmin {
		return fmt.Errorf("bad role %d", role)
	}
	sum := sha256.Sum256([]byte(token))
	for _, e := range t.entries {
		if subtle.ConstantTimeCompare(sum[:], e.sum[:]) == 1 {
			return errors.New("a token is listed twice")
		}
	}
	t.entries = append(t.entries, tokenEntry{sum: sum, role: role})
	return nil
}

// Len is the number of tokens.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// String says how many tokens there are, never what they are.
func (t *Tokens) String() string { return fmt.Sprintf("%d API tokens", t.Len()) }

// Lookup returns the role of a presented token. It looks at every entry, whatever
// matches, and compares digests in constant time.
func (t *Tokens) Lookup(token string) (Role, bool) {
	if t == nil || token == "" {
		return RoleNone, false
	}
	sum := sha256.Sum256([]byte(token))
	role, found := 0, 0
	for _, e := range t.entries {
		eq := subtle.ConstantTimeCompare(sum[:], e.sum[:])
		role = subtle.ConstantTimeSelect(eq, int(e.role), role)
		found |= eq
	}
	return Role(role), found == 1
}

// LoadTokens reads the API tokens from a file (one "TOKEN ROLE" per line; blank lines
// and lines starting with # are skipped) and from a list "tok1:admin,tok2:viewer" (the
// ARKEEP_TOKENS environment variable); both may be given and are merged. Errors name
// the line or the list item, never the token.
func LoadTokens(file, list string) (*Tokens, error) {
	t := &Tokens{}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("tokens file: %w", err)
		}
		defer f.Close()
		if err := t.readFile(f, file); err != nil {
			return nil, err
		}
	}
	if err := t.readList(list); err != nil {
		return nil, err
	}
	return t, nil
}

// ParseTokenFile reads a tokens file's content (see LoadTokens).
func ParseTokenFile(r io.Reader) (*Tokens, error) {
	t := &Tokens{}
	return t, t.readFile(r, "tokens file")
}

// ParseTokenList reads "tok1:admin,tok2:viewer" (see LoadTokens).
func ParseTokenList(list string) (*Tokens, error) {
	t := &Tokens{}
	return t, t.readList(list)
}

func (t *Tokens) readFile(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		parts := strings.Fields(text)
		if len(parts) != 2 {
			return fmt.Errorf("%s line %d: want \"TOKEN ROLE\" (two fields separated by white space)", name, line)
		}
		role, err := ParseRole(parts[1])
		if err != nil {
			return fmt.Errorf("%s line %d: %v", name, line, err)
		}
		if err := t.add(parts[0], role); err != nil {
			return fmt.Errorf("%s line %d: %v", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (t *Tokens) readList(list string) error {
	if strings.TrimSpace(list) == "" {
		return nil
	}
	for i, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k := strings.LastIndexByte(item, ':')
		if k <= 0 {
			return fmt.Errorf("ARKEEP_TOKENS item %d: want TOKEN:ROLE", i+1)
		}
		role, err := ParseRole(item[k+1:])
		if err != nil {
			return fmt.Errorf("ARKEEP_TOKENS item %d: %v", i+1, err)
		}
		if err := t.add(item[:k], role); err != nil {
			return fmt.Errorf("ARKEEP_TOKENS item %d: %v", i+1, err)
		}
	}
	return nil
}

// authenticate returns the role of the request's bearer token, or writes 401 and
// returns false. With InsecureNoAuth every request is admin.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Role, bool) {
	if s.InsecureNoAuth {
		return RoleAdmin, true
	}
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Bearer") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="arkeep"`)
		problem(w, http.StatusUnauthorized, "authentication required",
			"send Authorization: Bearer <token>", "Authorization", nil)
		return RoleNone, false
	}
	role, ok := s.Tokens.Lookup(strings.TrimSpace(token))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="arkeep", error="invalid_token"`)
		problem(w, http.StatusUnauthorized, "authentication required",
			"the bearer token is not valid", "Authorization", nil)
		return RoleNone, false
	}
	return role, true
}

// forbid writes 403 for a role that is not enough.
func forbid(w http.ResponseWriter, detail, field string, ext map[string]any) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="arkeep", error="insufficient_scope"`)
	problem(w, http.StatusForbidden, "forbidden", detail, field, ext)
}

// require wraps a handler that needs at least role min.
func (s *Server) require(min Role, h func(http.ResponseWriter, *http.Request, Role)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		role, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if role < min {
			forbid(w, fmt.Sprintf("this needs role %s or above; the token's role is %s", min, role), "Authorization", nil)
			return
		}
		h(w, r, role)
	}
}

// Pages wraps the web pages with the same tokens. Browsers cannot add a bearer header
// to page loads or to the live-update event stream, so pages also take HTTP Basic
// credentials whose password is a token (any user name); the browser asks once and
// sends them with every request. Reading needs viewer, a form post (the worklist's
// Done) needs clerk.
func (s *Server) Pages(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := RoleAdmin
		if !s.InsecureNoAuth {
			token := ""
			if _, pass, ok := r.BasicAuth(); ok {
				token = pass
			} else if scheme, t, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
				token = strings.TrimSpace(t)
			}
			var ok bool
			if role, ok = s.Tokens.Lookup(token); !ok || token == "" {
				w.Header().Set("WWW-Authenticate", `Basic realm="arkeep", charset="UTF-8"`)
				http.Error(w, "arkeep: sign in with any user name and an API token as the password", http.StatusUnauthorized)
				return
			}
		}
		need := RoleViewer
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			need = RoleClerk
		}
		if role < need {
			http.Error(w, fmt.Sprintf("arkeep: this needs role %s or above", need), http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
