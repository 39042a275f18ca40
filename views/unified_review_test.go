package views_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mfa"
	"github.com/gatehouse-auth/gatehouse/views"
)

// The findings of a second pair of eyes on unified sign-in and OAuth,
// kept as tests.

// fullwidth spells the i-th ASCII letter of s in its fullwidth form: the
// same account for the engine's lookup (NFKC).
func fullwidth(s string, i int) string {
	r := []rune(s)
	n := 0
	for j, c := range r {
		if c >= 'a' && c <= 'z' {
			if n == i {
				r[j] = c + 0xFEE0
				return string(r)
			}
			n++
		}
	}
	return s
}

// A mailed code works only if it was mailed, once, newest only: there is
// no window of codes for a guess to hit.
func TestUnifiedMailedCodesOnly(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.UnifiedSignin.EmailWithoutSetup = true })
	c := ve.jsonClient()
	if status, _ := c.sendCode("alice@example.com"); status != 200 {
		t.Fatalf("send-code: %d", status)
	}
	first, _ := lastUSCode(t, ve)
	c.sendCode("alice@example.com")
	second, n := lastUSCode(t, ve)
	if n != 2 || first == second {
		t.Fatalf("two mails, two codes: %d %q %q", n, first, second)
	}
	if status, _, _ := ve.jsonClient().usSignin("alice@example.com", first); status == 200 {
		t.Error("a code superseded by a newer mail signed in")
	}
	if status, _, raw := ve.jsonClient().usSignin("alice@example.com", second); status != 200 {
		t.Fatalf("the newest code: %d %s", status, raw)
	}
	if status, _, _ := ve.jsonClient().usSignin("alice@example.com", second); status == 200 {
		t.Error("a mailed code signed in twice")
	}
	c.sendCode("alice@example.com")
	third, _ := lastUSCode(t, ve)
	ve.clock.Advance(3 * time.Minute) // past CodeWithin
	if status, _, _ := ve.jsonClient().usSignin("alice@example.com", third); status == 200 {
		t.Error("a mailed code signed in after CodeWithin")
	}
}

// An authenticator's code is good for the step before, this one and the
// next, as a second factor's: not for minutes.
func TestUnifiedAuthenticatorWindow(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret := usSetup(t, ve, c, "authenticator")
	ve.clock.Advance(10 * time.Minute)
	old, _ := mfa.TOTPCode(secret, ve.clock.Now().Add(-2*time.Minute))
	if status, _, _ := ve.jsonClient().usSignin("alice@example.com", old); status == 200 {
		t.Error("a 2-minute-old authenticator code signed in")
	}
	now, _ := mfa.TOTPCode(secret, ve.clock.Now())
	if status, _, raw := ve.jsonClient().usSignin("alice@example.com", now); status != 200 {
		t.Errorf("the current code: %d %s", status, raw)
	}
}

// Every spelling of an identity is one for the mail limits and the
// throttle: no more mails to one address, and no answer that differs for
// a known and an unknown identity.
func TestUnifiedSpellings(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.UnifiedSignin.Enabled, v.UnifiedSignin.EmailWithoutSetup = true, true
	}, nil)
	x := ve.jsonClient()
	for i := range 8 {
		x.sendCode(fullwidth("alice@example.com", i))
	}
	if _, n := lastUSCode(t, ve); n != 1 {
		t.Errorf("%d code mails to one address within a second (Mail.PerAddress is one per 2 minutes)", n)
	}

	ve2 := newUnifiedEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.UnifiedSignin.Methods = []string{"email", "authenticator"}
	})
	var answers [][]int
	for _, who := range []string{"alice@example.com", "nobody@example.com"} {
		c := ve2.jsonClient()
		c.do("GET", "/us-signin", "")
		var statuses []int
		for i := range 7 {
			status, _, _ := c.do("POST", "/us-signin", `{"identity":"`+fullwidth(who, i)+`","passcode":"000000"}`)
			statuses = append(statuses, status)
		}
		answers = append(answers, statuses)
	}
	if !slices.Equal(answers[0], answers[1]) {
		t.Errorf("wrong codes answer a known identity %v and an unknown one %v", answers[0], answers[1])
	}
}

// A setup state works once: replayed after the method was removed, it
// brings nothing back.
func TestUnifiedSetupStateOnce(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	_, resp, _ := c.do("POST", "/us-setup", `{"chosen_method":"authenticator"}`)
	state, secret := resp["state"].(string), resp["authr_b32key"].(string)
	if status, _, raw := c.do("POST", "/us-setup/"+state, `{"passcode":"`+code(t, ve, secret)+`"}`); status != 200 {
		t.Fatalf("setup: %d %s", status, raw)
	}
	ve.clock.Advance(time.Minute)
	if status, _, raw := c.do("POST", "/us-setup", `{"delete_method":"authenticator"}`); status != 200 {
		t.Fatalf("delete: %d %s", status, raw)
	}
	if status, _, _ := c.do("POST", "/us-setup/"+state, `{"passcode":"`+code(t, ve, secret)+`"}`); status == 200 {
		t.Error("a setup state set the removed authenticator up again")
	}
}

// The provider's verified address must be the account's, but for ASCII
// case: the engine's lookup folds spellings that are other mailboxes.
func TestOAuthAddressSpellings(t *testing.T) {
	t.Parallel()
	ve, f := newOAuthEnv(t, nil)
	ve.addUser("sam@example.com", alicePassword)
	for _, e := range []string{"ａlice@example.com", "ſam@example.com", "alice@ｅxample.com"} {
		f.set(func(f *fakeOAuth) { f.email, f.verified = e, true })
		b := ve.browser()
		f.oauthLogin(b, "fake", "")
		if who := b.loggedInAs(); who != "" {
			t.Errorf("provider address %q logged in as %q", e, who)
		}
	}
	f.set(func(f *fakeOAuth) { f.email = "SAM@Example.com" })
	b := ve.browser()
	f.oauthLogin(b, "fake", "")
	if who := b.loggedInAs(); who != "sam@example.com" {
		t.Errorf("ASCII case: logged in as %q", who)
	}

	// Re-authentication: the same rule.
	b = ve.browser()
	if got := b.post("/login", map[string]string{"email": "sam@example.com", "password": alicePassword}); got.status != http.StatusSeeOther {
		t.Fatalf("login: %d", got.status)
	}
	ve.clock.Advance(24 * time.Hour)
	f.set(func(f *fakeOAuth) { f.email = "ſam@example.com" })
	b.get("/verify")
	start := b.post("/login/oauth-verify-start/fake", nil)
	b.get(f.authorize(start.location))
	if b.fresh() {
		t.Error("ſam@example.com at the provider re-authenticated sam@example.com")
	}
}
