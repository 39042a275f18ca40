package token

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	key1 = bytes.Repeat([]byte{1}, 32)
	key2 = bytes.Repeat([]byte{2}, 32)
	t0   = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func mustSigner(t testing.TB, purpose string, keys ...[]byte) *Signer {
	t.Helper()
	s, err := NewSigner(purpose, keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignerRoundTrip(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, "remember", key1)
	for _, payload := range [][]byte{nil, []byte("x"), []byte(`{"u":"42","s":"stamp"}`), bytes.Repeat([]byte{0xff}, 300)} {
		tok := s.Sign(payload, t0)
		got, issued, err := s.Verify(tok, time.Hour, t0.Add(time.Minute))
		if err != nil || !bytes.Equal(got, payload) || !issued.Equal(t0) {
			t.Errorf("Verify(Sign(%q)) = %q, %v, %v", payload, got, issued, err)
		}
		if strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q is not URL-safe", tok)
		}
	}
}

func TestSignerRefuses(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, "reset", key1)
	good := s.Sign([]byte("payload"), t0)
	flip := []byte(good)
	flip[3] ^= 1
	tests := []struct {
		name string
		tok  string
		now  time.Time
		max  time.Duration
		want error
	}{
		{"expired", good, t0.Add(2 * time.Hour), time.Hour, ErrExpired},
		{"from the future", good, t0.Add(-time.Hour), time.Hour, ErrExpired},
		{"tampered payload", string(flip), t0, time.Hour, ErrBadSignature},
		{"other purpose", mustSigner(t, "confirm", key1).Sign([]byte("payload"), t0), t0, time.Hour, ErrBadSignature},
		{"other key", mustSigner(t, "reset", key2).Sign([]byte("payload"), t0), t0, time.Hour, ErrBadSignature},
		{"truncated", good[:len(good)-2], t0, time.Hour, ErrMalformed},
		{"empty", "", t0, time.Hour, ErrMalformed},
		{"no dots", "abc", t0, time.Hour, ErrMalformed},
		{"oversized", strings.Repeat("a", MaxLength+1), t0, time.Hour, ErrMalformed},
		{"bad base64 sig", good[:strings.LastIndexByte(good, '.')+1] + strings.Repeat("*", 43), t0, time.Hour, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.Verify(tt.tok, tt.max, tt.now); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	// maxAge 0: no expiry.
	if _, _, err := s.Verify(good, 0, t0.Add(10*365*24*time.Hour)); err != nil {
		t.Errorf("no max age: %v", err)
	}
}

// Every one-character change to a token is refused: no second spelling
// through base64's spare bits.
func TestSignerEveryByteMatters(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, "auth", key1)
	tok := s.Sign([]byte(`{"u":"1"}`), t0)
	for i := range len(tok) {
		for _, c := range []byte("AB_-.x") {
			if tok[i] == c {
				continue
			}
			if _, _, err := s.Verify(tok[:i]+string(c)+tok[i+1:], 0, t0); err == nil {
				t.Fatalf("changed byte %d to %q and it still verified", i, c)
			}
		}
	}
}

func TestSignerKeyRotation(t *testing.T) {
	t.Parallel()
	old := mustSigner(t, "auth", key1)
	rotated := mustSigner(t, "auth", key2, key1)
	tok := old.Sign([]byte("u1"), t0)
	if _, _, err := rotated.Verify(tok, 0, t0); err != nil {
		t.Errorf("token of the old key after rotation: %v", err)
	}
	newTok := rotated.Sign([]byte("u1"), t0)
	if _, _, err := old.Verify(newTok, 0, t0); !errors.Is(err, ErrBadSignature) {
		t.Errorf("new key's token under old keys: %v, want ErrBadSignature", err)
	}
	retired := mustSigner(t, "auth", key2)
	if _, _, err := retired.Verify(tok, 0, t0); !errors.Is(err, ErrBadSignature) {
		t.Errorf("token of a retired key: %v, want ErrBadSignature", err)
	}
}

func TestNewSignerValidates(t *testing.T) {
	t.Parallel()
	if _, err := NewSigner("x"); err == nil {
		t.Error("no keys: want an error")
	}
	if _, err := NewSigner("x", []byte("short")); err == nil {
		t.Error("short key: want an error")
	}
	if _, err := NewSigner("", key1); err == nil {
		t.Error("empty purpose: want an error")
	}
}

func TestOneTime(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		ot := NewOneTime()
		if seen[ot.Selector] {
			t.Fatal("selector repeated")
		}
		seen[ot.Selector] = true
		sel, ver, err := ParseOneTime(ot.Token)
		if err != nil || sel != ot.Selector {
			t.Fatalf("ParseOneTime(%q) = %q, %v", ot.Token, sel, err)
		}
		if !CheckVerifier(ver, ot.VerifierHash) {
			t.Fatal("CheckVerifier(own verifier) = false")
		}
		if CheckVerifier(ver[:len(ver)-1]+"A", ot.VerifierHash) && !strings.HasSuffix(ver, "A") {
			t.Fatal("CheckVerifier(other verifier) = true")
		}
		if strings.Contains(ot.Token, ot.Selector+"."+string(ot.VerifierHash)) {
			t.Fatal("token contains the stored hash")
		}
	}
	good := NewOneTime().Token
	for _, bad := range []string{"", ".", good[:30], good + "x", strings.Replace(good, ".", "-", 1), strings.Repeat("a", 22) + "." + strings.Repeat("!", 43), "é" + good[2:]} {
		if _, _, err := ParseOneTime(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseOneTime(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// Flask-Login's make_secure_token("user", "agent", key=b"secret"), computed
// with Python's hmac and hashlib.
func TestMakeSecureToken(t *testing.T) {
	t.Parallel()
	got := MakeSecureToken([]byte("secret"), "user", "agent")
	const want = "86ec2f4bdc44234a796baba4c6a953da4fac7d65704339c8cade8c7c1f0ebae41e4c90cea1250aa50d447e7421541542ebbde8036fc0e7ba111888741f5201fa"
	if got != want {
		t.Fatalf("MakeSecureToken = %s, want %s", got, want)
	}
	if got == MakeSecureToken([]byte("secret"), "useragent") {
		t.Error("parts are not separated")
	}
	if got != MakeSecureToken([]byte("secret"), "user", "agent") {
		t.Error("not deterministic")
	}
	// Flask-Login 0.2's, with SHA-1.
	if got := MakeSecureTokenSHA1([]byte("secret"), "user", "agent"); got != "7af07ef8541e0f40f6dc40974381b898f9d121da" {
		t.Errorf("MakeSecureTokenSHA1 = %s", got)
	}
}

func FuzzVerify(f *testing.F) {
	s := mustSigner(f, "fuzz", key1)
	f.Add(s.Sign([]byte("hello"), t0))
	f.Add("a.b.c")
	f.Add("")
	f.Add(NewOneTime().Token)
	f.Fuzz(func(t *testing.T, tok string) {
		payload, _, err := s.Verify(tok, time.Hour, t0)
		if err == nil && s.Sign(payload, t0) != tok {
			// Only a token this signer made may verify.
			t.Fatalf("Verify accepted %q that Sign does not produce", tok)
		}
		ParseOneTime(tok)
	})
}

func BenchmarkVerify(b *testing.B) {
	s := mustSigner(b, "auth", key1)
	tok := s.Sign([]byte(`{"u":"12345","s":"abcdefgh"}`), t0)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Verify(tok, 0, t0); err != nil {
			b.Fatal(err)
		}
	}
}
