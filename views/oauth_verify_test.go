package views_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// fresh reports what GET /session says of b's login.
func (b *browserClient) fresh() bool {
	b.t.Helper()
	return strings.Contains(b.get("/session").body, `"fresh":true`)
}

// OAuth re-authentication (OAUTH_VERIFY_*): a stale login is made fresh
// by signing in at the provider with the account's own address, from the
// verify page's buttons; another address, or a login's state, does not.
func TestOAuthVerify(t *testing.T) {
	t.Parallel()
	ve, f := newOAuthEnv(t, nil)
	b := ve.browser()
	if got := b.post("/login", map[string]string{"email": "alice@example.com", "password": alicePassword}); got.status != http.StatusSeeOther {
		t.Fatalf("login: %d", got.status)
	}
	ve.clock.Advance(24 * time.Hour)
	if b.fresh() {
		t.Fatal("fresh a day later")
	}
	page := b.get("/verify?next=/settings")
	if !strings.Contains(page.body, `action="/login/oauth-verify-start/fake?next=%2Fsettings"`) {
		t.Fatalf("the verify page has no OAuth button:\n%s", page.body)
	}
	verify := func() answer {
		t.Helper()
		start := b.post("/login/oauth-verify-start/fake?next=/settings", nil)
		if start.status != http.StatusSeeOther {
			t.Fatalf("verify start: %d %s", start.status, start.body)
		}
		return b.get(f.authorize(start.location))
	}

	// Another account at the provider: refused, back to the verify page.
	f.set(func(f *fakeOAuth) { f.email = "mallory@example.com" })
	if got := verify(); got.status != http.StatusSeeOther || got.location != "/verify?next=%2Fsettings" {
		t.Fatalf("another account: %d to %q", got.status, got.location)
	}
	if page := b.get("/verify"); !strings.Contains(page.body, "mallory@example.com") {
		t.Errorf("no message for another account:\n%s", page.body)
	}
	if b.fresh() {
		t.Error("another account's sign-in made the login fresh")
	}

	// The account's own address: fresh, and on to next.
	f.set(func(f *fakeOAuth) { f.email = "Alice@Example.com" })
	if got := verify(); got.status != http.StatusSeeOther || got.location != "/settings" {
		t.Fatalf("re-authentication: %d to %q", got.status, got.location)
	}
	if !b.fresh() || b.loggedInAs() != "alice@example.com" {
		t.Error("the login is not fresh after re-authenticating")
	}

	// A re-authentication's state does not log anyone in at the login's
	// response, nor does a login's state re-authenticate.
	ve.clock.Advance(24 * time.Hour)
	start := b.post("/login/oauth-verify-start/fake", nil)
	back := f.authorize(start.location)
	if got := b.get(strings.Replace(back, "/login/oauth-verify-response/", "/login/oauthresponse/", 1)); got.status != http.StatusBadRequest {
		t.Errorf("a re-authentication's state at the login's response: %d", got.status)
	}
	anon := ve.browser()
	login := oauthStart(anon, "fake", "")
	loginBack := f.authorize(login.location)
	if got := b.get(strings.Replace(loginBack, "/login/oauthresponse/", "/login/oauth-verify-response/", 1)); got.status != http.StatusSeeOther || !strings.HasPrefix(got.location, "/verify") {
		t.Errorf("a login's state at the re-authentication's response: %d to %q", got.status, got.location)
	}
	if b.fresh() {
		t.Error("a login's state made another browser's session fresh")
	}
}
