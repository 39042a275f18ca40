package gatehouse_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func TestOneTimeTokenSingleUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	raw, err := e.m.IssueToken(ctx, "reset", e.user, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			_, u, err := e.m.RedeemToken(ctx, "reset", raw)
			switch {
			case err == nil && u.ID == e.user.ID:
				wins.Add(1)
			case !errors.Is(err, gatehouse.ErrTokenInvalid):
				t.Errorf("RedeemToken: %v", err)
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d of 100 parallel redemptions succeeded, want exactly 1", n)
	}
}

func TestOneTimeTokenRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	issue := func(kind string, ttl time.Duration) string {
		t.Helper()
		raw, err := e.m.IssueToken(ctx, kind, e.user, ttl, "")
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	redeem := func(what string, kind string, raw string) {
		t.Helper()
		if _, _, err := e.m.RedeemToken(ctx, kind, raw); !errors.Is(err, gatehouse.ErrTokenInvalid) {
			t.Errorf("%s: RedeemToken = %v, want ErrTokenInvalid", what, err)
		}
	}
	// Another purpose.
	redeem("confirm token used as reset", "reset", issue("confirm", time.Hour))
	// Superseded by a newer one.
	old := issue("reset", time.Hour)
	newer := issue("reset", time.Hour)
	redeem("superseded", "reset", old)
	if _, _, err := e.m.RedeemToken(ctx, "reset", newer); err != nil {
		t.Errorf("newest token: %v", err)
	}
	// Expired.
	exp := issue("login", time.Minute)
	e.clock.Advance(2 * time.Minute)
	redeem("expired", "login", exp)
	// A wrong verifier with a real selector.
	genuine := issue("reset", time.Hour)
	sel, _, _ := strings.Cut(genuine, ".")
	redeem("forged verifier", "reset", sel+"."+strings.Repeat("A", 43))
	// Malformed.
	for _, bad := range []string{"", "x", strings.Repeat("a", 5000), "a.b", genuine + "x"} {
		redeem("malformed "+bad[:min(len(bad), 10)], "reset", bad)
	}
	// A password change, by any route, kills pending reset links: the token
	// is bound to the SecurityStamp even if the store kept it.
	pending := issue("confirm", time.Hour)
	stamp := "a new stamp" // as a direct SQL update would
	e.store.UpdateUser(ctx, e.user.ID, gatehouse.UserChange{SecurityStamp: &stamp, UpdatedAt: time.Now()})
	redeem("after the stamp changed", "confirm", pending)
}

// Auth tokens work as a Bearer header until they are older than
// TokenMaxAge, tampered with, or the password or the account changes.
func TestAuthToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) { c.TokenAuth, c.TokenMaxAge = true, time.Hour })
	ctx := context.Background()
	u, _ := e.store.UserByID(ctx, e.user.ID)
	bearer := func(tok string) int { return getWith(t, e.srv.URL, "/me", "Authorization", "Bearer "+tok) }
	tok := e.m.AuthToken(u)
	if got := bearer(tok); got != 200 {
		t.Fatalf("fresh token: %d", got)
	}
	for i := range len(tok) {
		c := byte('A')
		if tok[i] == 'A' {
			c = 'B'
		}
		tampered := tok[:i] + string(c) + tok[i+1:]
		if got := bearer(tampered); got != 401 {
			t.Fatalf("tampered at %d (%q): %d", i, tampered, got)
		}
	}
	e.clock.Advance(2 * time.Hour)
	if got := bearer(tok); got != 401 {
		t.Errorf("past max age: %d", got)
	}
	tok = e.m.AuthToken(u)
	if err := e.m.SetPassword(ctx, u, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if got := bearer(tok); got != 401 {
		t.Errorf("after password change: %d", got)
	}
	tok2 := e.m.AuthToken(u)
	off := false
	e.store.UpdateUser(ctx, u.ID, gatehouse.UserChange{Active: &off, UpdatedAt: time.Now()})
	if got := bearer(tok2); got != 401 {
		t.Errorf("inactive user: %d", got)
	}
}

func TestVerifyPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	if u, err := e.m.VerifyPassword(ctx, "  alice@EXAMPLE.com ", alicePassword); err != nil || u.ID != e.user.ID {
		t.Errorf("VerifyPassword = %v, %v", u, err)
	}
	for _, tt := range []struct{ email, pw string }{
		{"alice@example.com", "wrong"},
		{"nobody@example.com", alicePassword},
		{"alice@example.com", strings.Repeat("x", 1<<20)},
		{"", ""},
	} {
		if _, err := e.m.VerifyPassword(ctx, tt.email, tt.pw); !errors.Is(err, gatehouse.ErrInvalidCredentials) {
			t.Errorf("VerifyPassword(%q, %.10q) = %v, want ErrInvalidCredentials", tt.email, tt.pw, err)
		}
	}
	// A weaker hash is upgraded on login.
	cfg := e.cfg
	cfg.Hasher = struct{ gatehouse.PasswordHasher }{fastHasherStronger}
	m, _ := gatehouse.New(cfg)
	before, _ := e.store.UserByID(ctx, e.user.ID)
	if _, err := m.VerifyPassword(ctx, "alice@example.com", alicePassword); err != nil {
		t.Fatal(err)
	}
	after, _ := e.store.UserByID(ctx, e.user.ID)
	if after.PasswordHash == before.PasswordHash || fastHasherStronger.NeedsRehash(after.PasswordHash) {
		t.Errorf("hash not upgraded: %s -> %s", before.PasswordHash, after.PasswordHash)
	}
}

func TestSetPasswordEndsSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	c.mustLogin(true)
	ctx := context.Background()
	u, _ := e.store.UserByID(ctx, e.user.ID)
	reset, _ := e.m.IssueToken(ctx, "reset", u, time.Hour, "")
	if err := e.m.SetPassword(ctx, u, "another fine password"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "/me after password change", c.get("/me"), 303)
	if _, _, err := e.m.RedeemToken(ctx, "reset", reset); !errors.Is(err, gatehouse.ErrTokenInvalid) {
		t.Errorf("reset token after password change: %v", err)
	}
	if _, err := e.m.VerifyPassword(ctx, "alice@example.com", "another fine password"); err != nil {
		t.Errorf("new password: %v", err)
	}
}

// A genuine link past its time is ErrTokenExpired (an ErrTokenInvalid),
// with its user, so a view can say so and send a new one; it counts
// nothing against the client's link throttle; a forged one that would
// have expired is plain ErrTokenInvalid and names nobody.
func TestOneTimeTokenExpired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	raw, err := e.m.IssueToken(ctx, "reset", e.user, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	for range 30 { // past any per-client link limit, were these failures
		tok, u, err := e.m.PeekToken(ctx, "reset", raw)
		if !errors.Is(err, gatehouse.ErrTokenExpired) || !errors.Is(err, gatehouse.ErrTokenInvalid) || u == nil || u.ID != e.user.ID || tok == nil {
			t.Fatalf("PeekToken of an expired link: %v, %v, %v", tok, u, err)
		}
	}
	forged := raw[:len(raw)-3] + "AAA"
	if _, u, err := e.m.PeekToken(ctx, "reset", forged); !errors.Is(err, gatehouse.ErrTokenInvalid) || errors.Is(err, gatehouse.ErrTokenExpired) || u != nil {
		t.Errorf("a forged token: %v, %v", u, err)
	}
	if _, u, err := e.m.RedeemToken(ctx, "reset", raw); !errors.Is(err, gatehouse.ErrTokenExpired) || u == nil {
		t.Errorf("RedeemToken of an expired link: %v, %v", u, err)
	}
	if _, _, err := e.m.RedeemToken(ctx, "reset", raw); errors.Is(err, gatehouse.ErrTokenExpired) || !errors.Is(err, gatehouse.ErrTokenInvalid) {
		t.Errorf("an expired link, spent: %v", err)
	}
	fresh, _ := e.m.IssueToken(ctx, "reset", e.user, time.Hour, "")
	if _, _, err := e.m.RedeemToken(ctx, "reset", fresh); err != nil {
		t.Errorf("a fresh link after 30 looks at an expired one: %v", err)
	}
}
