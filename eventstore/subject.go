package eventstore

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Subject layout of the stream. Everything lives under "ar." so one stream
// (and one total order) covers accounts, the ledger and the claim index.
const (
	// LedgerSubject carries ledger-wide commits that belong to no account.
	LedgerSubject = "ar.ledger"

	// ClaimLogSubject carries the claim log: batches of claims and releases of
	// globally unique entity ids (see the ledger package).
	ClaimLogSubject = "ar.claims"

	// LegacyClaimPrefix starts the subjects of per-id create-once claims (Claim), the
	// format of stores written before the claim log; the ledger reads them when it
	// loads the log. LegacyClaimSubjects matches them all.
	LegacyClaimPrefix   = indexPrefix
	LegacyClaimSubjects = indexPrefix + ">"

	streamSubjects = "ar.>"
	accountPrefix  = "ar.acct."
	indexPrefix    = "ar.idx."
)

// isPlainToken reports whether an id is already a safe, readable subject token,
// [A-Za-z0-9_-]{1,128}. Such ids are used verbatim so subjects stay greppable in
// `nats` tooling. A loop rather than a regexp: every claim and every commit asks,
// and the regexp was a fiftieth of an import's CPU (TestIsPlainToken holds the two
// equal).
func isPlainToken(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// maxEncodedToken bounds an encoded token; beyond it we hash. Subjects are
// carried in every message and index entry, so unbounded ids would bloat the
// store, and the server caps subject length.
const maxEncodedToken = 200

// Token turns an arbitrary id into a single NATS subject token.
//
// It must be injective: two different ids mapping to the same subject would
// merge two aggregates' histories, or let a claim for one id block another.
// It should also stay readable for the common case. So:
//
//   - ids matching [A-Za-z0-9_-]{1,128} are used as is;
//   - otherwise "~" + base64url(id) (no padding) when that is at most 200
//     characters; base64url's alphabet is subject-safe (no ".", "*", ">",
//     whitespace) and reversible, so distinct ids give distinct tokens;
//   - otherwise "~~" + hex(sha256(id)), injective up to hash collisions.
//
// The three forms cannot collide with each other: plain tokens never contain
// "~", and base64url never produces "~", so "~x..." and "~~..." differ.
// A hash is not used for the middle case because it would make subjects
// unreadable and impossible to map back to the id when debugging.
func Token(s string) string {
	if isPlainToken(s) {
		return s
	}
	enc := "~" + base64.RawURLEncoding.EncodeToString([]byte(s))
	if len(enc) <= maxEncodedToken {
		return enc
	}
	sum := sha256.Sum256([]byte(s))
	return "~~" + hex.EncodeToString(sum[:])
}

// AccountSubject is the subject holding one customer account's commits.
func AccountSubject(account string) string {
	return accountPrefix + Token(account)
}

// IndexSubject is the subject of a create-once claim of id within kind.
// kind is a code constant (e.g. "invoice-number") and must itself be a plain
// token; id is arbitrary and is passed through Token.
func IndexSubject(kind, id string) string {
	return indexPrefix + kind + "." + Token(id)
}

func validKind(kind string) bool {
	return isPlainToken(kind)
}

// IsCommitSubject tells commit messages (an account's or the ledger scope's) from
// index claims, which folds skip.
func IsCommitSubject(subject string) bool {
	return subject == LedgerSubject || strings.HasPrefix(subject, "ar.acct.")
}
