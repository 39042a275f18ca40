package views_test

// Attacks on the second factors, from a review of their first version:
// each of these once worked.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/mfa"
	"github.com/gatehouse-auth/gatehouse/views"
)

// basicGet GETs path with HTTP Basic credentials, redirects not followed.
func basicGet(t *testing.T, ve *viewEnv, path, user, pw string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", ve.web.URL+path, nil)
	req.SetBasicAuth(user, pw)
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// cookie, cookieNames and setCookie read and write c's cookie jar.
func (c *jsonClient) cookie(name string) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func (c *jsonClient) cookieNames() []string {
	u, _ := url.Parse(c.base)
	var out []string
	for _, ck := range c.c.Jar.Cookies(u) {
		out = append(out, ck.Name)
	}
	return out
}

func (c *jsonClient) setCookie(name, value string) {
	u, _ := url.Parse(c.base)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// slowFactors is memstore's mfa.Store with 20 ms of write latency.
type slowFactors struct{ *memstore.Store }

func (s slowFactors) UseFactor(ctx context.Context, userID, id string, counter int64, at time.Time) error {
	time.Sleep(20 * time.Millisecond)
	return s.Store.UseFactor(ctx, userID, id, counter, at)
}

// Whoever holds only alice's mailbox (not her phone) resets her password
// with the mailed link: no code of her authenticator is then mailed to
// that mailbox (the rescue by mail is not offered after a link).
func TestAttackResetLinkThenRescueByMail(t *testing.T) {
	ve := newTwoFactorEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	enrolAuthenticator(t, ve, c) // alice's second factor: her phone
	c.do("POST", "/logout", "")

	mallory := ve.jsonClient() // alice's mailbox only
	mallory.do("GET", "/reset", "")
	mallory.do("POST", "/reset", `{"email":"alice@example.com"}`)
	mails := ve.sent()
	path := strings.TrimPrefix(linkIn(mails[len(mails)-1].Text), "https://app.example.com")
	mallory.do("GET", path, "")
	status, resp, raw := mallory.do("POST", path, `{"password":"a brand new passphrase","password_confirm":"a brand new passphrase"}`)
	if status != 200 || resp["tf_required"] != true || mallory.loggedIn() {
		t.Fatalf("reset: %d %s", status, raw)
	}
	// A rescue by mail would mail a code of alice's authenticator to the
	// mailbox he holds: it is not offered after a link.
	if _, resp, _ := mallory.do("GET", "/tf-rescue", ""); resp["recovery_options"].(map[string]any)["email"] != nil {
		t.Errorf("rescue by mail offered after a reset link: %v", resp)
	}
	if status, _, raw := mallory.do("POST", "/tf-rescue", `{"help_setup":"email"}`); status != 400 {
		t.Fatalf("rescue by mail after a reset link: %d %s", status, raw)
	}
	if n := ve.mailsTo("alice@example.com")["two_factor_code"]; n != 0 || mallory.loggedIn() {
		t.Fatalf("%d codes mailed after a reset link", n)
	}
}

// The same with a passwordless link: the mailbox alone never logs in.
func TestAttackPasswordlessLinkThenRescueByMail(t *testing.T) {
	ve := newTwoFactorEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")

	mallory := ve.jsonClient()
	mallory.do("GET", "/login", "")
	mallory.do("POST", "/login", `{"email":"alice@example.com","passwordless":true}`)
	mails := ve.sent()
	path := strings.TrimPrefix(linkIn(mails[len(mails)-1].Text), "https://app.example.com")
	if status, resp, raw := mallory.do("POST", path, `{}`); status != 200 || resp["tf_required"] != true {
		t.Fatalf("link: %d %s", status, raw)
	}
	if status, _, _ := mallory.do("POST", "/tf-rescue", `{"help_setup":"email"}`); status != 400 {
		t.Errorf("rescue by mail after a passwordless link: %d", status)
	}
	if n := ve.mailsTo("alice@example.com")["two_factor_code"]; n != 0 || mallory.loggedIn() {
		t.Fatalf("%d codes mailed after a passwordless link", n)
	}
}

// With HTTP Basic on, the password alone does not log in a user with a
// second factor.
func TestAttackBasicAuthSkipsSecondFactor(t *testing.T) {
	ve := newTwoFactorEnv(t, func(c *gatehouse.Config, _ *views.Config) { c.BasicAuth = true })
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")
	if _, resp, _ := c.login("alice@example.com", alicePassword); resp["tf_required"] != true {
		t.Fatal("no second factor asked at /login")
	}
	if status := basicGet(t, ve, "/private", "alice@example.com", alicePassword); status == 200 {
		t.Fatal("HTTP Basic with the password alone reaches a RequireLogin page of a user with a second factor")
	}
}

// Nor does it through /change, which keeps a session's login but gives
// none to a request that had no session.
func TestAttackBasicAuthChangeGivesFreshSession(t *testing.T) {
	ve := newTwoFactorEnv(t, func(c *gatehouse.Config, v *views.Config) { c.BasicAuth = true; v.Changeable = true })
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")

	m := ve.jsonClient()
	req, _ := http.NewRequest("POST", ve.web.URL+"/change", strings.NewReader(`{"password":"`+alicePassword+`","new_password":"mallory owns this now","new_password_confirm":"mallory owns this now"}`))
	req.SetBasicAuth("alice@example.com", alicePassword)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := m.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Logf("/change over Basic: %d, cookies %v", resp.StatusCode, m.cookieNames())
	m.do("GET", "/tf-setup", "") // a CSRF token for the new session
	status, _, raw := m.do("POST", "/tf-setup", `{"setup":"disable"}`)
	if status == 200 {
		t.Fatalf("password alone (HTTP Basic) → /change → a fresh session → second factor disabled: %s", raw)
	}
}

// A passkey that keeps no signature count (always 0, as synced passkeys
// do) works every time.
func TestAttackCounterlessPasskeyWorksAgain(t *testing.T) {
	ve := newPasskeyEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	k := newSoftKey(t)
	registerKey(t, c, k, "iphone", "first")
	for i := range 3 {
		k.Count = ^uint32(0) // get() increments: the assertion carries count 0
		status, _, raw := passkeySignin(t, ve.jsonClient(), k)
		if status != 200 {
			t.Fatalf("sign-in #%d with a counterless passkey: %d %s", i+1, status, raw)
		}
	}
}

// The same for such a passkey as the second factor.
func TestAttackCounterlessSecondFactorKey(t *testing.T) {
	ve := newPasskeyEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	k := newSoftKey(t)
	k.UV = false
	registerKey(t, c, k, "key", "secondary")
	for i := range 2 {
		b := ve.jsonClient()
		b.login("alice@example.com", alicePassword)
		k.Count = ^uint32(0)
		status, _, raw := passkeySignin(t, b, k)
		if status != 200 || !b.loggedIn() {
			t.Fatalf("second factor #%d with a counterless key: %d %s", i+1, status, raw)
		}
	}
}

// A password reset forgets the password guesses, not the code guesses:
// whoever holds the mailbox wins no new budget of code guesses per reset.
func TestAttackResetClearsFactorThrottle(t *testing.T) {
	ve := newTwoFactorEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")

	mallory := ve.jsonClient()
	reset := func(i int) {
		mallory.do("GET", "/reset", "")
		mallory.do("POST", "/reset", `{"email":"alice@example.com"}`)
		mails := ve.sent()
		path := strings.TrimPrefix(linkIn(mails[len(mails)-1].Text), "https://app.example.com")
		pw := "brand new passphrase number " + strconv.Itoa(i)
		if st, resp, raw := mallory.do("POST", path, `{"password":"`+pw+`","password_confirm":"`+pw+`"}`); st != 200 || resp["tf_required"] != true {
			t.Fatalf("reset %d: %d %s", i, st, raw)
		}
	}
	guesses, refused := 0, 0
	for round := range 4 {
		reset(round)
		for range 20 {
			st, _, _ := mallory.do("POST", "/tf-validate", `{"code":"000000"}`)
			switch st {
			case 400:
				guesses++
			case 429:
				refused++
			}
		}
	}
	// One client, one account: PerAccountClient allows 5 a minute.
	if guesses > 6 {
		t.Fatalf("one client got %d code guesses in a minute (%d refused) by resetting the password between bursts; the limit is 5", guesses, refused)
	}
}

// A pending login made while alice had no second factor (her role
// requires one) is void once she sets one up: its holder (her password,
// minutes earlier) cannot replace her factor with his.
func TestAttackStaleSetupPending(t *testing.T) {
	ve := newTwoFactorEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.TwoFactor.RequiredRoles = []string{"editor"} })
	mallory := ve.jsonClient()
	if _, resp, raw := mallory.login("alice@example.com", alicePassword); resp["tf_state"] != "setup_from_login" {
		t.Fatalf("mallory: %s", raw)
	}
	// Alice logs in and sets up her phone.
	alice := ve.jsonClient()
	alice.login("alice@example.com", alicePassword)
	_, resp, _ := alice.do("POST", "/tf-setup", `{"setup":"authenticator"}`)
	aliceSecret := resp["tf_authr_b32key"].(string)
	if status, _, raw := alice.do("POST", "/tf-validate", `{"code":"`+code(t, ve, aliceSecret)+`"}`); status != 200 || !alice.loggedIn() {
		t.Fatalf("alice's setup: %d %s", status, raw)
	}
	ve.clock.Advance(5 * time.Minute)

	// Mallory's old pending login still says "set one up".
	status, resp, raw := mallory.do("POST", "/tf-setup", `{"setup":"authenticator"}`)
	if status == 200 {
		mSecret := resp["tf_authr_b32key"].(string)
		mallory.do("POST", "/tf-validate", `{"code":"`+code(t, ve, mSecret)+`"}`)
	}
	if !mallory.loggedIn() {
		t.Logf("refused, as it should be: %d %s", status, raw)
		return
	}
	ve.clock.Advance(30 * time.Second)
	x := ve.jsonClient()
	x.login("alice@example.com", alicePassword)
	st, _, _ := x.do("POST", "/tf-validate", `{"code":"`+code(t, ve, aliceSecret)+`"}`)
	t.Fatalf("mallory (password only, pending login from before alice's setup) set up his own authenticator and logged in; alice's phone now gets %d", st)
}

// A rescue mail (anyone with the password can ask for one) adds the code
// mailed, not a wider window for the app's codes.
func TestAttackRescueWidensAppCodeWindow(t *testing.T) {
	ve := newTwoFactorEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret, _ := enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")
	ve.clock.Advance(10 * time.Minute)

	old, _ := mfa.TOTPCode(secret, ve.clock.Now().Add(-4*time.Minute))
	m := ve.jsonClient()
	m.login("alice@example.com", alicePassword)
	if status, _, _ := m.do("POST", "/tf-validate", `{"code":"`+old+`"}`); status != 400 {
		t.Fatalf("a 4-minute-old app code accepted without rescue: %d", status)
	}
	m.do("POST", "/tf-rescue", `{"help_setup":"email"}`) // no mailbox needed
	if status, _, _ := m.do("POST", "/tf-validate", `{"code":"`+old+`"}`); status == 200 {
		t.Fatal("after an attacker-triggered rescue, an app code from 4 minutes ago (outside ±30 s) completes the login: 21 live codes per guess")
	}
}

// One captured sign-in (state, cookie, assertion) of a counterless
// passkey, replayed in parallel, logs in once: the ceremony is spent.
func TestAttackZeroCounterReplayInParallel(t *testing.T) {
	ve := newTwoFactorEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.WebAuthn.Enabled = true
		// A store with a little latency, as a SQL database has.
		v.TwoFactor.Factors = slowFactors{c.Users.(*memstore.Store)}
	})
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	k := newSoftKey(t)
	registerKey(t, c, k, "iphone", "first")

	victim := ve.jsonClient()
	victim.do("GET", "/wan-signin", "")
	_, begun, _ := victim.do("POST", "/wan-signin", `{}`)
	k.Count = ^uint32(0)
	assertion := k.Get(options(t, begun))
	state := begun["wan_state"].(string)
	wan := victim.cookie(ve.m.Config().Cookie.Name + "_wan")
	if wan == "" {
		t.Fatalf("no _wan cookie: %v", victim.cookieNames())
	}
	const n = 8
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		x := ve.jsonClient()
		x.do("GET", "/wan-signin", "")
		x.setCookie(ve.m.Config().Cookie.Name+"_wan", wan)
		wg.Go(func() {
			<-start
			if st, _, raw := x.do("POST", "/wan-signin/"+state, credentialBody(assertion)); st == 200 {
				wins.Add(1)
			} else {
				t.Logf("lost: %d %s", st, raw)
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("wins: %d", wins.Load())
	if wins.Load() > 1 {
		t.Fatalf("one passkey assertion logged in %d browsers", wins.Load())
	}
}

// Strangers who know alice's user ID (the user handle is anybody's to
// write) cannot spend her account's second-factor budget with keys of
// their own.
func TestAttackAnonymousPasskeyBurnsFactorThrottle(t *testing.T) {
	ve := newTwoFactorEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.WebAuthn.Enabled = true
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
	c := ve.jsonClient()
	c.from = "10.9.9.9"
	c.login("alice@example.com", alicePassword)
	secret, _ := enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")

	k := newSoftKey(t) // the stranger's own key, never registered
	k.User = []byte(ve.user.ID)
	for i := range 21 {
		x := ve.jsonClient()
		x.from = "10.1.0." + strconv.Itoa(i+1)
		for range 5 {
			x.do("GET", "/wan-signin", "")
			_, begun, _ := x.do("POST", "/wan-signin", `{}`)
			st, _, raw := x.do("POST", "/wan-signin/"+begun["wan_state"].(string), credentialBody(k.Get(options(t, begun))))
			if st != 400 {
				t.Logf("noise from %s: %d %s", x.from, st, raw)
			}
		}
	}
	c.login("alice@example.com", alicePassword)
	status, _, raw := c.do("POST", "/tf-validate", `{"code":"`+code(t, ve, secret)+`"}`)
	if status != 200 {
		t.Fatalf("alice, right password and right code, after anonymous passkey noise naming her ID: %d %s", status, raw)
	}
}

// Replacing a (lost or compromised) authenticator forgets the devices
// remembered under the old one.
func TestAttackRememberedDeviceAfterFactorChange(t *testing.T) {
	ve := newTwoFactorEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.TwoFactor.RememberDeviceFor = 30 * 24 * time.Hour })
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	oldSecret, _ := enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")

	// Mallory, with alice's password and (then) her phone, ticks "remember".
	m := ve.jsonClient()
	m.do("GET", "/login", "")
	m.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`","remember":true}`)
	if st, _, raw := m.do("POST", "/tf-validate", `{"code":"`+code(t, ve, oldSecret)+`"}`); st != 200 {
		t.Fatalf("validate: %d %s", st, raw)
	}
	m.do("POST", "/logout", "")

	// Alice, fearing her phone is compromised, sets up a new authenticator.
	ve.clock.Advance(30 * time.Second)
	c.login("alice@example.com", alicePassword)
	c.do("POST", "/tf-validate", `{"code":"`+code(t, ve, oldSecret)+`"}`)
	enrolAuthenticator(t, ve, c)

	if _, resp, _ := m.login("alice@example.com", alicePassword); resp["tf_required"] != true {
		t.Fatal("a device remembered under alice's old authenticator still skips her new one")
	}
}

// With the password, /tf-rescue mails the user (or the help desk) within
// the mail limits, not as often as asked.
func TestAttackRescueMailUnlimited(t *testing.T) {
	ve := newViewEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.TwoFactor.Enabled = true
		v.TwoFactor.RescueAddress = "help@example.com"
	}, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")
	before := len(ve.sent())
	m := ve.jsonClient()
	m.login("alice@example.com", alicePassword)
	for range 50 {
		m.do("POST", "/tf-rescue", `{"help_setup":"email"}`)
		m.do("POST", "/tf-rescue", `{"help_setup":"help"}`)
	}
	if n := len(ve.sent()) - before; n > 10 {
		t.Fatalf("100 rescue requests sent %d mails (to alice and to the help desk)", n)
	}
}

// A pending login whose passkey was deleted meanwhile gets a 4xx, not a
// 500.
func TestAttackSigninWithNoKeysLeft(t *testing.T) {
	ve := newPasskeyEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	k := newSoftKey(t)
	registerKey(t, c, k, "yubikey", "secondary")
	b := ve.jsonClient()
	if _, resp, raw := b.login("alice@example.com", alicePassword); resp["tf_method"] != "webauthn" {
		t.Fatalf("login: %s", raw)
	}
	if status, _, raw := c.do("POST", "/wan-delete", `{"name":"yubikey"}`); status != 200 {
		t.Fatalf("delete: %d %s", status, raw)
	}
	b.do("GET", "/wan-signin", "")
	status, _, raw := b.do("POST", "/wan-signin", `{}`)
	if status >= 500 {
		t.Fatalf("wan-signin for a pending login with no key left: %d %s", status, raw)
	}
}

// Malformed credentials at every finishing endpoint: never a 5xx.
func TestAttackMalformedCredentials(t *testing.T) {
	ve := newPasskeyEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	k := newSoftKey(t)
	registerKey(t, c, k, "k1", "first")

	mutate := func(cred string, f func(m map[string]any)) string {
		var m map[string]any
		json.Unmarshal([]byte(cred), &m)
		f(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	resp := func(m map[string]any) map[string]any { return m["response"].(map[string]any) }
	muts := []func(m map[string]any){
		func(m map[string]any) { resp(m)["authenticatorData"] = "AAAA" },
		func(m map[string]any) { resp(m)["authenticatorData"] = "" },
		func(m map[string]any) { resp(m)["clientDataJSON"] = b64.EncodeToString([]byte("not json")) },
		func(m map[string]any) { resp(m)["clientDataJSON"] = b64.EncodeToString([]byte(`{"type":1}`)) },
		func(m map[string]any) { resp(m)["signature"] = "" },
		func(m map[string]any) { resp(m)["signature"] = "!!!" },
		func(m map[string]any) { resp(m)["userHandle"] = b64.EncodeToString([]byte(strings.Repeat("9", 5000))) },
		func(m map[string]any) { resp(m)["userHandle"] = b64.EncodeToString([]byte("\x00\xff")) },
		func(m map[string]any) { resp(m)["userHandle"] = nil },
		func(m map[string]any) { m["rawId"] = "" },
		func(m map[string]any) { m["id"] = "x"; m["rawId"] = "eA" },
		func(m map[string]any) { m["type"] = "other" },
		func(m map[string]any) { m["clientExtensionResults"] = map[string]any{"appid": true} },
		func(m map[string]any) { delete(m, "response") },
	}
	for i, mu := range muts {
		b := ve.jsonClient()
		b.do("GET", "/wan-signin", "")
		_, begun, _ := b.do("POST", "/wan-signin", `{}`)
		cred := mutate(k.Get(options(t, begun)), mu)
		if st, _, raw := b.do("POST", "/wan-signin/"+begun["wan_state"].(string), credentialBody(cred)); st >= 500 || st == 200 {
			t.Errorf("signin mutation %d: %d %s", i, st, raw)
		}
	}
	// registration
	rmuts := []func(m map[string]any){
		func(m map[string]any) { resp(m)["attestationObject"] = "AAAA" },
		func(m map[string]any) { resp(m)["attestationObject"] = b64.EncodeToString([]byte{0xa0}) },
		func(m map[string]any) { resp(m)["clientDataJSON"] = b64.EncodeToString([]byte("{}")) },
		func(m map[string]any) { resp(m)["transports"] = []string{strings.Repeat("x", 3000)} },
		func(m map[string]any) { m["clientExtensionResults"] = map[string]any{"credProps": "x"} },
	}
	for i, mu := range rmuts {
		_, r, _ := c.do("POST", "/wan-register", `{"name":"n`+string(rune('a'+i))+`"}`)
		k2 := newSoftKey(t)
		cred := mutate(k2.Create(options(t, r)), mu)
		if st, _, raw := c.do("POST", "/wan-register/"+r["wan_state"].(string), credentialBody(cred)); st >= 500 {
			t.Errorf("register mutation %d: %d %s", i, st, raw)
		}
	}
}
