package eventstore

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func TestTokenInjectiveAndSubjectSafe(t *testing.T) {
	long := strings.Repeat("x.", 200)
	ids := []string{
		"", "a", "A-1_b", "a.b", "a b", "a*", "*", ">", "a>", "a.b.c",
		"café", "日本語", "ü", "~", "~YQ", "YQ", // "YQ" is base64url("a")
		"a\nb", "a\tb", "a/b", "a+b", "a=b",
		strings.Repeat("z", 128), strings.Repeat("z", 129),
		long, long + "y",
	}
	seen := map[string]string{}
	for _, id := range ids {
		tok := Token(id)
		if prev, dup := seen[tok]; dup {
			t.Fatalf("Token(%q) = Token(%q) = %q", id, prev, tok)
		}
		seen[tok] = id
		if tok == "" || len(tok) > 200 || strings.ContainsAny(tok, ". *>\t\r\n") {
			t.Errorf("Token(%q) = %q is not a safe single subject token", id, tok)
		}
	}

	if got := Token("ACME-42_x"); got != "ACME-42_x" {
		t.Errorf("plain id must be kept readable, got %q", got)
	}
	if got := Token("a.b"); got != "~YS5i" {
		t.Errorf("Token(a.b) = %q, want ~YS5i", got)
	}
	if got := Token(long); !strings.HasPrefix(got, "~~") || len(got) != 2+64 {
		t.Errorf("long id should hash, got %q", got)
	}

	if got := AccountSubject("a.b"); got != "ar.acct.~YS5i" {
		t.Errorf("AccountSubject = %q", got)
	}
	if got := IndexSubject("invoice", "7"); got != "ar.idx.invoice.7" {
		t.Errorf("IndexSubject = %q", got)
	}
}

// TestIsPlainToken holds the loop to the pattern it replaced, on edge cases and on
// random strings over an alphabet around the allowed one.
func TestIsPlainToken(t *testing.T) {
	pattern := regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	cases := []string{"", "a", "A-z_0", strings.Repeat("x", 128), strings.Repeat("x", 129), "a.b", "a b", "a\n",
		"a~", "é", "ä1", "\x00", "a*", "a>"}
	rng := rand.New(rand.NewPCG(5, 8))
	const alphabet = "aZ09_-.~ *>\n\x00\xffé"
	for range 20000 {
		b := make([]byte, rng.IntN(140))
		for i := range b {
			if rng.IntN(20) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = "abcXYZ019_-"[rng.IntN(11)]
			}
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := isPlainToken(s), pattern.MatchString(s); got != want {
			t.Fatalf("isPlainToken(%q) = %v, want %v", s, got, want)
		}
	}
}
