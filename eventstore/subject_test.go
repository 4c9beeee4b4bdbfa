package eventstore

import (
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
