package eventstore

import (
	"errors"
	"testing"
)

func TestClaim(t *testing.T) {
	env := newEnv(t)
	st := env.store
	const kind = "invoice-number"
	id := "INV 2024/001" // not a plain token: exercises Token

	ok, existing, err := st.Claim(testCtx(t), kind, id, []byte("acct-a"))
	if err != nil || !ok || existing != nil {
		t.Fatalf("first claim: ok=%v existing=%q err=%v", ok, existing, err)
	}

	// Same owner again (a retry): refused, and the stored owner is ours, which
	// the caller treats as success.
	ok, existing, err = st.Claim(testCtx(t), kind, id, []byte("acct-a"))
	if err != nil || ok || string(existing) != "acct-a" {
		t.Fatalf("same-owner claim: ok=%v existing=%q err=%v", ok, existing, err)
	}

	// Different owner: refused with the existing owner.
	ok, existing, err = st.Claim(testCtx(t), kind, id, []byte("acct-b"))
	if err != nil || ok || string(existing) != "acct-a" {
		t.Fatalf("other-owner claim: ok=%v existing=%q err=%v", ok, existing, err)
	}

	// Same id under another kind, or another id, is independent.
	if ok, _, err := st.Claim(testCtx(t), "external-ref", id, []byte("acct-b")); err != nil || !ok {
		t.Fatalf("other kind: ok=%v err=%v", ok, err)
	}
	if ok, _, err := st.Claim(testCtx(t), kind, id+".", []byte("acct-b")); err != nil || !ok {
		t.Fatalf("other id: ok=%v err=%v", ok, err)
	}

	// The claim lives on its index subject.
	msgs, err := st.ReadSubject(testCtx(t), IndexSubject(kind, id), 0)
	if err != nil || len(msgs) != 1 || string(msgs[0].Data) != "acct-a" {
		t.Fatalf("index subject: %v %v", datas(msgs), err)
	}

	if _, _, err := st.Claim(testCtx(t), "bad.kind", id, nil); err == nil || errors.Is(err, ErrConflict) {
		t.Fatalf("invalid kind: got %v", err)
	}
}

func TestClaimReleasedIsClaimableAgain(t *testing.T) {
	st := newEnv(t).store
	ctx := testCtx(t)
	if ok, _, err := st.Claim(ctx, "payment", "PAY-X", []byte("a\ncmd1")); err != nil || !ok {
		t.Fatalf("first claim: ok=%v err=%v", ok, err)
	}
	// Someone else cannot release it.
	if err := st.Release(ctx, "payment", "PAY-X", []byte("b\ncmd9")); err != nil {
		t.Fatal(err)
	}
	if ok, existing, _ := st.Claim(ctx, "payment", "PAY-X", []byte("b\ncmd2")); ok || string(existing) != "a\ncmd1" {
		t.Fatalf("claim while held: ok=%v existing=%q", ok, existing)
	}
	if err := st.Release(ctx, "payment", "PAY-X", []byte("a\ncmd1")); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := st.Claim(ctx, "payment", "PAY-X", []byte("b\ncmd2")); err != nil || !ok {
		t.Fatalf("claim after release: ok=%v err=%v", ok, err)
	}
	if ok, existing, _ := st.Claim(ctx, "payment", "PAY-X", []byte("c\ncmd3")); ok || string(existing) != "b\ncmd2" {
		t.Fatalf("third claim: ok=%v existing=%q", ok, existing)
	}
}
