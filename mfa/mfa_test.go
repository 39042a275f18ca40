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

// A mailed code is one that works: never the step a login just spent.
func TestNextCode(t *testing.T) {
	secret, _, err := mfa.NewTOTP("x", "y")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
	spent, ok := mfa.CheckTOTP(secret, mustCode(t, secret, now), now, 1)
	if !ok {
		t.Fatal("current code refused")
	}
	for _, tc := range []struct {
		counter  int64
		wantStep int64
	}{{0, spent}, {spent - 1, spent}, {spent, spent + 1}, {spent + 1, spent + 2}} {
		code, step, err := mfa.NextCode(secret, now, tc.counter)
		if err != nil {
			t.Fatal(err)
		}
		if want := mustCode(t, secret, time.Unix(tc.wantStep*30, 0)); code != want || step != tc.wantStep {
			t.Errorf("counter %d: code of step %d, want %d", tc.counter, step, tc.wantStep)
		}
		if !mfa.CheckTOTPStep(secret, code, step) || mfa.CheckTOTPStep(secret, code, step+2) {
			t.Errorf("counter %d: CheckTOTPStep", tc.counter)
		}
	}
}

func mustCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := mfa.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
