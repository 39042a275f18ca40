package views_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/views"
)

// newUnifiedEnv serves the views with unified sign-in on (every method),
// plus GET /private for logged-in users only.
func newUnifiedEnv(t *testing.T, change func(c *gatehouse.Config, v *views.Config)) *viewEnv {
	t.Helper()
	return newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.UnifiedSignin.Enabled = true
		v.Mail.PerAddress = gatehouse.Limit{Count: 1000, Per: time.Second}
		if change != nil {
			change(c, v)
		}
	}, func(m *gatehouse.Manager, _ *views.Views, mux *http.ServeMux) {
		mux.Handle("GET /private", m.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, _ := gatehouse.CurrentUser(r.Context())
			w.Write([]byte(u.Email))
		})))
	})
}

// lastUSCode is the code in the last unified sign-in mail, and how many
// such mails went out.
func lastUSCode(t *testing.T, ve *viewEnv) (string, int) {
	t.Helper()
	code, n := "", 0
	for _, m := range ve.sent() {
		if m.Kind == "us_instructions" {
			code, n = mailedCode.FindString(m.Text), n+1
		}
	}
	return code, n
}

// usSetup sets up method for c's logged-in (fresh) user, and returns the
// authenticator's secret ("" for email).
func usSetup(t *testing.T, ve *viewEnv, c *jsonClient, method string) string {
	t.Helper()
	status, resp, raw := c.do("POST", "/us-setup", `{"chosen_method":"`+method+`"}`)
	state, _ := resp["state"].(string)
	if status != 200 || state == "" || resp["chosen_method"] != method {
		t.Fatalf("us-setup %s: %d %s", method, status, raw)
	}
	secret, good := "", ""
	if method == "authenticator" {
		secret, _ = resp["authr_b32key"].(string)
		if uri, _ := resp["authr_uri"].(string); !strings.HasPrefix(uri, "otpauth://totp/") {
			t.Fatalf("authr_uri: %s", raw)
		}
		good = code(t, ve, secret)
	} else {
		good, _ = lastUSCode(t, ve)
	}
	if status, _, _ := c.do("POST", "/us-setup/"+state, `{"passcode":"000000"}`); status != 400 {
		t.Fatalf("a wrong first code: %d", status)
	}
	if status, resp, raw := c.do("POST", "/us-setup/"+state, `{"passcode":"`+good+`"}`); status != 200 || resp["chosen_method"] != method {
		t.Fatalf("us-setup/<state>: %d %s", status, raw)
	}
	ve.clock.Advance(30 * time.Second) // past the setup's code
	return secret
}

// sendCode asks for a code for identity and returns the answer.
func (c *jsonClient) sendCode(identity string) (int, string) {
	c.t.Helper()
	c.do("GET", "/us-signin", "")
	status, _, raw := c.do("POST", "/us-signin/send-code", `{"identity":"`+identity+`","chosen_method":"email"}`)
	return status, raw
}

// usSignin posts identity and passcode to /us-signin.
func (c *jsonClient) usSignin(identity, passcode string) (int, map[string]any, string) {
	c.t.Helper()
	c.do("GET", "/us-signin", "")
	return c.do("POST", "/us-signin", `{"identity":"`+identity+`","passcode":"`+passcode+`"}`)
}

func TestUnifiedSigninWithMailedCode(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	status, resp, raw := c.do("GET", "/us-setup", "")
	if status != 200 || !slices.Equal(toStrings(resp["active_methods"]), []string{"password"}) ||
		!slices.Equal(toStrings(resp["setup_methods"]), []string{"email", "authenticator"}) {
		t.Fatalf("us-setup: %d %s", status, raw)
	}
	usSetup(t, ve, c, "email")
	c.do("POST", "/logout", "")

	if status, raw := c.sendCode("alice@example.com"); status != 200 {
		t.Fatalf("send-code: %d %s", status, raw)
	}
	good, _ := lastUSCode(t, ve)
	if status, _, _ := c.usSignin("alice@example.com", "123456"); status != 400 || c.loggedIn() {
		t.Fatalf("a wrong code: %d", status)
	}
	status, resp, raw = c.usSignin("alice@example.com", good)
	if status != 200 || resp["tf_required"] != nil || resp["user"] == nil || !c.loggedIn() {
		t.Fatalf("us-signin: %d %s", status, raw)
	}
	// The code works once, wherever it is tried.
	eve := ve.jsonClient()
	if status, _, _ := eve.usSignin("alice@example.com", good); status != 400 || eve.loggedIn() {
		t.Fatalf("the code again: %d", status)
	}
	// A code past CodeWithin (2 minutes) is refused.
	eve.sendCode("alice@example.com")
	late, _ := lastUSCode(t, ve)
	ve.clock.Advance(3 * time.Minute)
	if status, _, _ := eve.usSignin("alice@example.com", late); status != 400 || eve.loggedIn() {
		t.Fatalf("an expired code: %d", status)
	}
}

func TestUnifiedSigninWithAuthenticator(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret := usSetup(t, ve, c, "authenticator")
	c.do("POST", "/logout", "")
	good := code(t, ve, secret)
	if status, _, raw := c.usSignin("alice@example.com", good); status != 200 || !c.loggedIn() {
		t.Fatalf("us-signin: %d %s", status, raw)
	}
	if status, _, _ := ve.jsonClient().usSignin("alice@example.com", good); status != 400 {
		t.Fatalf("the code again: %d", status)
	}
	// A mailed code is no use without the method set up.
	other := ve.jsonClient()
	other.sendCode("alice@example.com")
	if _, n := lastUSCode(t, ve); n != 0 {
		t.Errorf("%d code mails for a user without email set up", n)
	}
}

// The password works when Methods allow it, and not otherwise.
func TestUnifiedSigninPassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		methods []string
		status  int
	}{
		{"allowed", nil, 200},
		{"not allowed", []string{"email", "authenticator"}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ve := newUnifiedEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.UnifiedSignin.Methods = tc.methods })
			c := ve.jsonClient()
			if status, _, raw := c.usSignin("alice@example.com", alicePassword); status != tc.status || c.loggedIn() != (tc.status == 200) {
				t.Fatalf("password: %d %s", status, raw)
			}
			if status, _, _ := c.do("GET", "/us-signin", ""); status != 200 {
				t.Fatalf("GET: %d", status)
			}
		})
	}
}

// Unknown identities, and users without the method, get the same answers
// as a user with it, byte for byte.
func TestUnifiedSigninUnknownIdentity(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	usSetup(t, ve, c, "email")
	c.do("POST", "/logout", "")
	ve.addUser("bob@example.com", alicePassword)
	_, before := lastUSCode(t, ve)

	x := ve.jsonClient()
	var sends, signins []string
	for _, who := range []string{"alice@example.com", "nobody@example.com", "bob@example.com"} {
		status, raw := x.sendCode(who)
		sends = append(sends, http.StatusText(status)+raw)
		_, _, raw = x.do("POST", "/us-signin", `{"identity":"`+who+`","passcode":"123456"}`)
		signins = append(signins, raw)
	}
	for i := range sends {
		if sends[i] != sends[0] || signins[i] != signins[0] {
			t.Errorf("answers differ:\n%q\n%q\n%q\n%q", sends[0], sends[i], signins[0], signins[i])
		}
	}
	if _, after := lastUSCode(t, ve); after != before+1 {
		t.Errorf("%d code mails, want 1 (alice's)", after-before)
	}
	// The browser forms too, the identity aside.
	b := ve.browser()
	b.get("/us-signin")
	var pages []string
	for _, who := range []string{"alice@example.com", "nobody@example.com"} {
		a := b.post("/us-signin/send-code", map[string]string{"identity": who, "chosen_method": "email"})
		if a.status != 200 || !strings.Contains(a.body, "you were sent a code") {
			t.Fatalf("send-code form: %d\n%s", a.status, a.body)
		}
		pages = append(pages, strings.ReplaceAll(a.body, who, "WHO"))
	}
	if pages[0] != pages[1] {
		t.Error("the send-code pages differ")
	}
}

// Parallel sign-ins with one code: one wins.
func TestUnifiedSigninCodeOnceInParallel(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret := usSetup(t, ve, c, "authenticator")
	const n = 8
	clients := make([]*jsonClient, n)
	for i := range clients {
		clients[i] = ve.jsonClient()
		clients[i].do("GET", "/us-signin", "")
	}
	good := code(t, ve, secret)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			if status, _, _ := c.do("POST", "/us-signin", `{"identity":"alice@example.com","passcode":"`+good+`"}`); status == 200 {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("one code signed in %d times", wins.Load())
	}
}

// Wrong codes are throttled as wrong passwords are (5 a minute from one
// client by default), for unknown identities as for known ones.
func TestUnifiedSigninThrottled(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.UnifiedSignin.Methods = []string{"email", "authenticator"}
	})
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret := usSetup(t, ve, c, "authenticator")
	c.do("POST", "/logout", "")
	for _, who := range []string{"alice@example.com", "nobody@example.com"} {
		x := ve.jsonClient()
		x.do("GET", "/us-signin", "")
		var statuses []int
		for range 6 {
			status, _, _ := x.do("POST", "/us-signin", `{"identity":"`+who+`","passcode":"000000"}`)
			statuses = append(statuses, status)
		}
		if want := []int{400, 400, 400, 400, 400, 429}; !slices.Equal(statuses, want) {
			t.Errorf("%s: %v, want %v", who, statuses, want)
		}
		if who == "alice@example.com" {
			// Throttled: even the right code waits.
			if status, _, _ := x.do("POST", "/us-signin", `{"identity":"alice@example.com","passcode":"`+code(t, ve, secret)+`"}`); status != 429 {
				t.Errorf("the right code while throttled: %d", status)
			}
		}
	}
}

// Setting up needs a fresh login, which /us-verify gives; a method can
// be removed.
func TestUnifiedSetupFreshVerifyDelete(t *testing.T) {
	t.Parallel()
	var changes []string
	ve := newUnifiedEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.Hooks.SigninChanged = func(_ context.Context, u *gatehouse.User, methods []string, deleted bool) {
			changes = append(changes, u.Email+":"+strings.Join(methods, ",")+":"+map[bool]string{true: "deleted", false: "added"}[deleted])
		}
	})
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret := usSetup(t, ve, c, "authenticator")
	ve.clock.Advance(2 * time.Hour)

	status, resp, _ := c.do("POST", "/us-setup", `{"chosen_method":"email"}`)
	if status != 401 || resp["reauth_required"] != true {
		t.Fatalf("setup with a stale login: %d %v", status, resp)
	}
	b := ve.browser()
	b.post("/us-signin", map[string]string{"identity": "alice@example.com", "passcode": alicePassword})
	ve.clock.Advance(2 * time.Hour)
	if a := b.get("/us-setup"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/us-verify") {
		t.Fatalf("browser, stale: %d → %q", a.status, a.location)
	}
	if status, _, _ := c.do("POST", "/us-verify", `{"passcode":"000000"}`); status != 400 {
		t.Fatalf("us-verify with a wrong code: %d", status)
	}
	if status, _, raw := c.do("POST", "/us-verify", `{"passcode":"`+code(t, ve, secret)+`"}`); status != 200 {
		t.Fatalf("us-verify: %d %s", status, raw)
	}
	status, resp, raw := c.do("GET", "/us-setup", "")
	if status != 200 || !slices.Equal(toStrings(resp["active_methods"]), []string{"password", "authenticator"}) {
		t.Fatalf("us-setup after verify: %d %s", status, raw)
	}
	if status, _, _ := c.do("POST", "/us-setup", `{"delete_method":"email"}`); status != 400 {
		t.Fatalf("removing a method not set up: %d", status)
	}
	if status, _, raw := c.do("POST", "/us-setup", `{"delete_method":"authenticator"}`); status != 200 {
		t.Fatalf("delete: %d %s", status, raw)
	}
	_, resp, _ = c.do("GET", "/us-setup", "")
	if !slices.Equal(toStrings(resp["active_methods"]), []string{"password"}) {
		t.Errorf("after delete: %v", resp["active_methods"])
	}
	ve.clock.Advance(30 * time.Second)
	if status, _, _ := ve.jsonClient().usSignin("alice@example.com", code(t, ve, secret)); status != 400 {
		t.Errorf("a removed app's code: %d", status)
	}
	want := []string{"alice@example.com:authenticator:added", "alice@example.com:authenticator:deleted"}
	if !slices.Equal(changes, want) {
		t.Errorf("SigninChanged: %v, want %v", changes, want)
	}
	if mails := ve.sent(); mails[len(mails)-1].Kind != "two_factor_notice" {
		t.Errorf("no notice of the change: %s", mails[len(mails)-1].Kind)
	}
}

// /us-verify/send-code mails a code that makes the login fresh; the
// SigninCodeSent hook hears of it once it is out.
func TestUnifiedVerifyByMail(t *testing.T) {
	t.Parallel()
	var sent atomic.Int32
	ve := newUnifiedEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.UnifiedSignin.EmailWithoutSetup = true
		v.Hooks.SigninCodeSent = func(_ context.Context, u *gatehouse.User, method string) {
			if u.Email == "alice@example.com" && method == "email" {
				sent.Add(1)
			}
		}
	})
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	ve.clock.Advance(2 * time.Hour)
	status, resp, raw := c.do("GET", "/us-verify", "")
	if status != 200 || !slices.Equal(toStrings(resp["code_methods"]), []string{"email"}) {
		t.Fatalf("us-verify: %d %s", status, raw)
	}
	if status, _, raw := c.do("POST", "/us-verify/send-code", `{"chosen_method":"email"}`); status != 200 {
		t.Fatalf("send-code: %d %s", status, raw)
	}
	good, _ := lastUSCode(t, ve)
	if sent.Load() != 1 {
		t.Errorf("SigninCodeSent: %d", sent.Load())
	}
	if status, _, raw := c.do("POST", "/us-verify", `{"passcode":"`+good+`"}`); status != 200 {
		t.Fatalf("us-verify: %d %s", status, raw)
	}
	if status, _, raw := c.do("GET", "/us-setup", ""); status != 200 {
		t.Errorf("setup after verify: %d %s", status, raw)
	}
}

// A user with a second factor still gives it after a password or a
// mailed code (MFARequired), not after an authenticator app's code.
func TestUnifiedSigninSecondFactor(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.TwoFactor.Enabled = true
		v.UnifiedSignin.EmailWithoutSetup = true
	})
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	tfSecret, _ := enrolAuthenticator(t, ve, c)
	usSecret := usSetup(t, ve, c, "authenticator")
	c.do("POST", "/logout", "")

	status, resp, raw := c.usSignin("alice@example.com", alicePassword)
	if status != 200 || resp["tf_required"] != true || resp["tf_state"] != "ready" || c.loggedIn() {
		t.Fatalf("password: %d %s", status, raw)
	}
	if status, _, raw := c.do("POST", "/tf-validate", `{"code":"`+code(t, ve, tfSecret)+`"}`); status != 200 || !c.loggedIn() {
		t.Fatalf("tf-validate: %d %s", status, raw)
	}
	c.do("POST", "/logout", "")
	ve.clock.Advance(30 * time.Second)

	c.sendCode("alice@example.com")
	good, _ := lastUSCode(t, ve)
	if status, resp, raw := c.usSignin("alice@example.com", good); status != 200 || resp["tf_required"] != true || c.loggedIn() {
		t.Fatalf("mailed code: %d %s", status, raw)
	}
	// The mailbox gave the first factor: no rescue by mail.
	if _, resp, _ := c.do("GET", "/tf-rescue", ""); resp["recovery_options"].(map[string]any)["email"] != nil {
		t.Errorf("rescue by mail after a mailed code: %v", resp)
	}
	c.do("POST", "/logout", "")

	if status, resp, raw := c.usSignin("alice@example.com", code(t, ve, usSecret)); status != 200 || resp["tf_required"] != false || !c.loggedIn() {
		t.Fatalf("authenticator: %d %s", status, raw)
	}
}

// The browser forms: send a code, sign in with it.
func TestUnifiedSigninBrowser(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.UnifiedSignin.EmailWithoutSetup = true })
	b := ve.browser()
	page := b.get("/us-signin")
	if !strings.Contains(page.body, `name="passcode"`) || !strings.Contains(page.body, `formaction="/us-signin/send-code"`) {
		t.Fatalf("page:\n%s", page.body)
	}
	b.post("/us-signin/send-code", map[string]string{"identity": "alice@example.com", "chosen_method": "email"})
	good, _ := lastUSCode(t, ve)
	a := b.post("/us-signin", map[string]string{"identity": "alice@example.com", "passcode": "000000"})
	if a.status != 400 || !strings.Contains(a.body, "Password or code submitted is not valid") {
		t.Fatalf("wrong code: %d\n%s", a.status, a.body)
	}
	if a = b.post("/us-signin", map[string]string{"identity": "alice@example.com", "passcode": good}); a.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d\n%s", a.status, a.body)
	}
	if b.get("/private").status != 200 {
		t.Error("not logged in")
	}
	// Setting up an app shows its QR code and takes the first code.
	page = b.get("/us-setup")
	if !strings.Contains(page.body, `value="authenticator"`) {
		t.Fatalf("setup page:\n%s", page.body)
	}
	a = b.post("/us-setup", map[string]string{"chosen_method": "authenticator"})
	if a.status != 200 || !strings.Contains(a.body, `src="data:image/png;base64,`) || !strings.Contains(a.body, `action="/us-setup/`) {
		t.Fatalf("setup: %d\n%s", a.status, a.body)
	}
}

// An inactive user's right code gets the wrong code's answer.
func TestUnifiedSigninInactive(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.UnifiedSignin.EmailWithoutSetup = true })
	c := ve.jsonClient()
	c.sendCode("alice@example.com")
	good, _ := lastUSCode(t, ve)
	u, _ := ve.store.UserByEmail(t.Context(), "alice@example.com")
	inactive := false
	if err := ve.store.UpdateUser(t.Context(), u.ID, gatehouse.UserChange{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	_, _, wrong := c.usSignin("alice@example.com", "000000")
	status, _, right := c.usSignin("alice@example.com", good)
	if status != 400 || right != wrong || c.loggedIn() {
		t.Errorf("inactive: %d %s (wrong code: %s)", status, right, wrong)
	}
	c.sendCode("alice@example.com")
	if _, n := lastUSCode(t, ve); n != 1 {
		t.Errorf("a code mailed to an inactive user")
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// ReplacesLogin serves unified sign-in at the login path.
func TestUnifiedSigninReplacesLogin(t *testing.T) {
	t.Parallel()
	ve := newUnifiedEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.UnifiedSignin.ReplacesLogin = true })
	c := ve.jsonClient()
	if status, resp, raw := c.do("GET", "/login", ""); status != 200 || resp["code_methods"] == nil {
		t.Fatalf("GET /login: %d %s", status, raw)
	}
	if status, _, raw := c.do("POST", "/login", `{"identity":"alice@example.com","passcode":"`+alicePassword+`"}`); status != 200 || !c.loggedIn() {
		t.Fatalf("POST /login: %d %s", status, raw)
	}
}
