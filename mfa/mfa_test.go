package mfa_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/mfa"
)

func TestTOTP(t *testing.T) {
	secret, uri, err := mfa.NewTOTP("Gatehouse", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri, "otpauth://totp/Gatehouse:ada@example.com?") || !strings.Contains(uri, "secret="+secret) {
		t.Errorf("URI %q", uri)
	}
	now := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
	code, _ := mfa.TOTPCode(secret, now)
	step, ok := mfa.CheckTOTP(secret, code, now, 1)
	if !ok || step != now.Unix()/30 {
		t.Fatalf("the current code: %d %v", step, ok)
	}
	// One period of drift either way; not two.
	for _, d := range []time.Duration{-30 * time.Second, 30 * time.Second} {
		if s, ok := mfa.CheckTOTP(secret, code, now.Add(d), 1); !ok || s != step {
			t.Errorf("drift %v: %d %v", d, s, ok)
		}
	}
	if _, ok := mfa.CheckTOTP(secret, code, now.Add(90*time.Second), 1); ok {
		t.Error("a code three periods old accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", code + "0"} {
		if _, ok := mfa.CheckTOTP(secret, bad, now, 1); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, ok := mfa.CheckTOTP(secret, " "+code[:3]+" "+code[3:]+" ", now, 1); !ok {
		t.Error("a code with spaces refused")
	}
	if png, err := mfa.QRCode(uri); err != nil || !strings.HasPrefix(png, "data:image/png;base64,") {
		t.Errorf("QRCode: %.40s %v", png, err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes := mfa.NewRecoveryCodes(5)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 14 || c[4] != '-' || c[9] != '-' || seen[c] {
			t.Errorf("code %q", c)
		}
		seen[c] = true
	}
	h := mfa.HashRecoveryCode(codes[0])
	for _, spelling := range []string{codes[0], strings.ToUpper(codes[0]), strings.ReplaceAll(codes[0], "-", ""), " " + codes[0] + " "} {
		if !mfa.MatchRecoveryCode(h, spelling) {
			t.Errorf("%q does not match", spelling)
		}
	}
	if mfa.MatchRecoveryCode(h, codes[1]) {
		t.Error("another code matches")
	}
}
