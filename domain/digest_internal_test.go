package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestDigestOfTakesHexHashesAsTheyAre: a 64-digit lowercase hex hash gives its first
// 16 bytes; anything else (uppercase, a stray byte, another length) is hashed. The
// digests of recorded commands are compared across versions, so they must not move.
func TestDigestOfTakesHexHashesAsTheyAre(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	hashed := func(s string) Digest {
		sum := sha256.Sum256([]byte(s))
		return Digest(sum[:16])
	}
	for range 2000 {
		raw := make([]byte, 32)
		for i := range raw {
			raw[i] = byte(rng.IntN(256))
		}
		h := hex.EncodeToString(raw)
		if got := digestOf(h); got != Digest(raw[:16]) {
			t.Fatalf("digestOf(%s) = %x, want its first 16 bytes", h, got)
		}
		b := []byte(h)
		b[rng.IntN(64)] = "gGAF/:`{ \x00\xff"[rng.IntN(11)]
		if got := digestOf(string(b)); got != hashed(string(b)) {
			t.Fatalf("digestOf(%q) = %x, want the sha256 of it", b, got)
		}
	}
	for _, s := range []string{"", "abc", "h1", string(make([]byte, 64))} {
		if got := digestOf(s); got != hashed(s) {
			t.Fatalf("digestOf(%q) = %x, want the sha256 of it", s, got)
		}
	}
}
