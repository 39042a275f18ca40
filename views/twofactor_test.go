package views_test

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mfa"
	"github.com/gatehouse-auth/gatehouse/views"
)

// newTwoFactorEnv serves the views with two-factor on (and reset and
// passwordless links), plus GET /private for logged-in users only.
func newTwoFactorEnv(t *testing.T, change func(c *gatehouse.Config, v *views.Config)) *viewEnv {
	t.Helper()
	return newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.TwoFactor.Enabled = true
		v.Recoverable, v.Passwordless = true, true
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

// loggedIn reports whether c's session is logged in.
func (c *jsonClient) loggedIn() bool {
	c.t.Helper()
	status, _, _ := c.do("GET", "/private", "")
	return status == http.StatusOK
}

// login posts alice's password and returns the answer.
func (c *jsonClient) login(email, password string) (int, map[string]any, string) {
	c.t.Helper()
	c.do("GET", "/login", "")
	return c.do("POST", "/login", `{"email":"`+email+`","password":"`+password+`"}`)
}

// enrolAuthenticator sets up an authenticator app for c's logged-in user
// and returns its secret and recovery codes.
func enrolAuthenticator(t *testing.T, ve *viewEnv, c *jsonClient) (string, []string) {
	t.Helper()
	status, resp, raw := c.do("POST", "/tf-setup", `{"setup":"authenticator"}`)
	if status != 200 {
		t.Fatalf("tf-setup: %d %s", status, raw)
	}
	secret, _ := resp["tf_authr_b32key"].(string)
	token, _ := resp["tf_state_token"].(string)
	if secret == "" || token == "" || resp["tf_state"] != "validating_profile" || !strings.HasPrefix(resp["tf_authr_uri"].(string), "otpauth://totp/") {
		t.Fatalf("tf-setup answer: %s", raw)
	}
	// A wrong first code does not set it up.
	if status, _, _ := c.do("POST", "/tf-setup/"+token, `{"code":"000000"}`); status != 400 {
		t.Fatalf("wrong first code: %d", status)
	}
	status, resp, raw = c.do("POST", "/tf-setup/"+token, `{"code":"`+code(t, ve, secret)+`"}`)
	if status != 200 || resp["tf_method"] != "authenticator" {
		t.Fatalf("tf-setup/{token}: %d %s", status, raw)
	}
	// Recovery codes come with a first second factor.
	var codes []string
	list, has := resp["recovery_codes"].([]any)
	for _, c := range list {
		codes = append(codes, c.(string))
	}
	if has && len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	ve.clock.Advance(30 * time.Second) // the setup's code is spent
	return secret, codes
}

func code(t *testing.T, ve *viewEnv, secret string) string {
	t.Helper()
	c, err := mfa.TOTPCode(secret, ve.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var mailedCode = regexp.MustCompile(`\b\d{6}\b`)

// lastCode is the code in the last two-factor code mail.
func lastCode(t *testing.T, ve *viewEnv) string {
	t.Helper()
	mails := ve.sent()
	for i := len(mails) - 1; i >= 0; i-- {
		if mails[i].Kind == "two_factor_code" {
			return mailedCode.FindString(mails[i].Text)
		}
	}
	t.Fatal("no code mailed")
	return ""
}

func TestTwoFactorAuthenticatorLogin(t *testing.T) {
	t.Parallel()
	ve := newTwoFactorEnv(t, nil)
	c := ve.jsonClient()
	status, resp, raw := c.login("alice@example.com", alicePassword)
	if status != 200 || resp["tf_required"] != false {
		t.Fatalf("login without a second factor: %d %s", status, raw)
	}
	secret, _ := enrolAuthenticator(t, ve, c)
	if mails := ve.sent(); mails[len(mails)-1].Kind != "two_factor_notice" {
		t.Errorf("no notice of the new factor: last mail %q", mails[len(mails)-1].Kind)
	}
	c.do("POST", "/logout", "")

	// The password alone now leaves the session anonymous.
	status, resp, raw = c.login("alice@example.com", alicePassword)
	if status != 200 || resp["tf_required"] != true || resp["tf_state"] != "ready" || resp["tf_primary_method"] != "authenticator" {
		t.Fatalf("login: %d %s", status, raw)
	}
	if c.loggedIn() {
		t.Fatal("logged in before the second factor")
	}
	if status, _, _ := c.do("POST", "/tf-validate", `{"code":"123456x"}`); status != 400 {
		t.Fatalf("bad code: %d", status)
	}
	setupCode, _ := mfa.TOTPCode(secret, ve.clock.Now().Add(-30*time.Second))
	if status, _, _ := c.do("POST", "/tf-validate", `{"code":"`+setupCode+`"}`); status != 400 {
		t.Fatalf("the setup's code, again: %d", status)
	}
	good := code(t, ve, secret)
	if status, resp, raw := c.do("POST", "/tf-validate", `{"code":"`+good+`"}`); status != 200 || resp["user"] == nil {
		t.Fatalf("tf-validate: %d %s", status, raw)
	}
	if !c.loggedIn() {
		t.Fatal("not logged in after the second factor")
	}

	// The same code, seen by someone else, does not work twice.
	eve := ve.jsonClient()
	eve.login("alice@example.com", alicePassword)
	if status, _, _ := eve.do("POST", "/tf-validate", `{"code":"`+good+`"}`); status != 400 || eve.loggedIn() {
		t.Fatalf("replayed code: %d", status)
	}
	// The next one does.
	ve.clock.Advance(30 * time.Second)
	if status, _, raw := eve.do("POST", "/tf-validate", `{"code":"`+code(t, ve, secret)+`"}`); status != 200 {
		t.Fatalf("next code: %d %s", status, raw)
	}
	// With no pending login, the second-factor views refuse.
	if status, _, _ := ve.jsonClient().do("POST", "/tf-validate", `{"code":"123456"}`); status != 400 {
		t.Errorf("tf-validate without a login: %d", status)
	}
}

// Parallel requests with one code complete one login.
func TestTwoFactorCodeUsedOnceInParallel(t *testing.T) {
	t.Parallel()
	ve := newTwoFactorEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret, _ := enrolAuthenticator(t, ve, c)
	ve.clock.Advance(30 * time.Second)
	const n = 8
	clients := make([]*jsonClient, n)
	for i := range clients {
		clients[i] = ve.jsonClient()
		clients[i].login("alice@example.com", alicePassword)
	}
	good := code(t, ve, secret)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			if status, _, _ := c.do("POST", "/tf-validate", `{"code":"`+good+`"}`); status == 200 {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("one code completed %d logins", wins.Load())
	}
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	ve := newTwoFactorEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	_, codes := enrolAuthenticator(t, ve, c)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	c.do("POST", "/logout", "")

	c.login("alice@example.com", alicePassword)
	status, resp, raw := c.do("GET", "/tf-rescue", "")
	if opts, _ := resp["recovery_options"].(map[string]any); status != 200 || opts["recovery_code"] != "/mf-recovery" {
		t.Fatalf("rescue options: %d %s", status, raw)
	}
	if status, _, _ := c.do("POST", "/mf-recovery", `{"code":"aaaa-bbbb-cccc"}`); status != 400 {
		t.Fatalf("wrong recovery code: %d", status)
	}
	if status, _, raw := c.do("POST", "/mf-recovery", `{"code":"`+strings.ToUpper(codes[3])+`"}`); status != 200 || !c.loggedIn() {
		t.Fatalf("recovery code: %d %s", status, raw)
	}
	if mails := ve.sent(); !strings.Contains(mails[len(mails)-1].Text, "recovery code") {
		t.Errorf("no notice of the recovery code's use:\n%s", mails[len(mails)-1].Text)
	}
	if status, resp, _ := c.do("GET", "/mf-recovery-codes", ""); status != 200 || resp["recovery_codes_left"] != float64(9) {
		t.Errorf("codes left: %d %v", status, resp)
	}
	c.do("POST", "/logout", "")
	c.login("alice@example.com", alicePassword)
	if status, _, _ := c.do("POST", "/mf-recovery", `{"code":"`+codes[3]+`"}`); status != 400 || c.loggedIn() {
		t.Fatalf("a recovery code worked twice: %d", status)
	}
	if status, _, _ := c.do("POST", "/mf-recovery", `{"code":"`+codes[4]+`"}`); status != 200 {
		t.Fatalf("another recovery code: %d", status)
	}
	// New codes replace the old.
	status, resp, _ = c.do("POST", "/mf-recovery-codes", "")
	if fresh, _ := resp["recovery_codes"].([]any); status != 200 || len(fresh) != 10 {
		t.Fatalf("new codes: %d %v", status, resp)
	}
	c.do("POST", "/logout", "")
	c.login("alice@example.com", alicePassword)
	if status, _, _ := c.do("POST", "/mf-recovery", `{"code":"`+codes[5]+`"}`); status != 400 {
		t.Errorf("an old recovery code after new ones: %d", status)
	}
}

// A user whose role requires a second factor sets one up during login,
// and sees their recovery codes then.
func TestTwoFactorRequiredSetupAtLogin(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"authenticator", "email"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			ve := newTwoFactorEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.TwoFactor.RequiredRoles = []string{"editor"} })
			c := ve.jsonClient()
			status, resp, raw := c.login("alice@example.com", alicePassword)
			if status != 200 || resp["tf_required"] != true || resp["tf_state"] != "setup_from_login" {
				t.Fatalf("login: %d %s", status, raw)
			}
			if c.loggedIn() {
				t.Fatal("logged in before setting up a second factor")
			}
			// The pending login cannot skip to validation.
			if status, _, _ := c.do("POST", "/tf-validate", `{"code":"123456"}`); status != 400 {
				t.Fatalf("validate before setup: %d", status)
			}
			c.login("alice@example.com", alicePassword)
			status, resp, raw = c.do("POST", "/tf-setup", `{"setup":"`+method+`"}`)
			if status != 200 || resp["tf_state"] != "validating_profile" {
				t.Fatalf("setup: %d %s", status, raw)
			}
			var good string
			if method == "email" {
				good = lastCode(t, ve)
			} else {
				good = code(t, ve, resp["tf_authr_b32key"].(string))
			}
			status, resp, raw = c.do("POST", "/tf-validate", `{"code":"`+good+`"}`)
			if codes, _ := resp["recovery_codes"].([]any); status != 200 || len(codes) != 10 || !c.loggedIn() {
				t.Fatalf("validate: %d %s", status, raw)
			}
			// Users without the role are not asked.
			ve.addUser("bob@example.com", alicePassword)
			if _, resp, raw := ve.jsonClient().login("bob@example.com", alicePassword); resp["tf_required"] != false {
				t.Errorf("bob: %s", raw)
			}
		})
	}
}

// A reset link and a passwordless link are one factor: the second is
// still asked for.
func TestLinksStopAtTheSecondFactor(t *testing.T) {
	t.Parallel()
	ve := newTwoFactorEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret, _ := enrolAuthenticator(t, ve, c)

	mallory := ve.jsonClient() // holds alice's mailbox, not her phone
	mallory.do("GET", "/reset", "")
	if status, _, raw := mallory.do("POST", "/reset", `{"email":"alice@example.com"}`); status != 200 {
		t.Fatalf("forgot: %d %s", status, raw)
	}
	mails := ve.sent()
	link := linkIn(mails[len(mails)-1].Text)
	path := strings.TrimPrefix(link, "https://app.example.com")
	mallory.do("GET", path, "")
	status, resp, raw := mallory.do("POST", path, `{"password":"a brand new passphrase","password_confirm":"a brand new passphrase"}`)
	if status != 200 || resp["tf_required"] != true || mallory.loggedIn() {
		t.Fatalf("reset: %d %s (logged in: %v)", status, raw, mallory.loggedIn())
	}

	mallory.do("GET", "/login", "")
	if status, _, raw := mallory.do("POST", "/login", `{"email":"alice@example.com","passwordless":true}`); status != 200 {
		t.Fatalf("passwordless: %d %s", status, raw)
	}
	mails = ve.sent()
	path = strings.TrimPrefix(linkIn(mails[len(mails)-1].Text), "https://app.example.com")
	status, resp, raw = mallory.do("POST", path, `{}`)
	if status != 200 || resp["tf_required"] != true || mallory.loggedIn() {
		t.Fatalf("passwordless link: %d %s", status, raw)
	}
	// With the code, the login completes.
	if status, _, raw := mallory.do("POST", "/tf-validate", `{"code":"`+code(t, ve, secret)+`"}`); status != 200 || !mallory.loggedIn() {
		t.Fatalf("validate: %d %s", status, raw)
	}
}

// The rescue option mails a code, which completes the login.
func TestTwoFactorRescueByMail(t *testing.T) {
	t.Parallel()
	ve := newTwoFactorEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.TwoFactor.RescueAddress = "help@example.com" })
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret, _ := enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")
	// A login with the app's code spends this time step...
	c.login("alice@example.com", alicePassword)
	if status, _, raw := c.do("POST", "/tf-validate", `{"code":"`+code(t, ve, secret)+`"}`); status != 200 {
		t.Fatalf("app code: %d %s", status, raw)
	}
	c.do("POST", "/logout", "")
	c.login("alice@example.com", alicePassword)
	if status, _, _ := c.do("POST", "/tf-rescue", `{"help_setup":"sms"}`); status != 400 {
		t.Errorf("unknown rescue: %d", status)
	}
	if status, _, raw := c.do("POST", "/tf-rescue", `{"help_setup":"email"}`); status != 200 {
		t.Fatalf("rescue: %d %s", status, raw)
	}
	// ...so the mailed code, moments later, is another step's, which works.
	if status, _, raw := c.do("POST", "/tf-validate", `{"code":"`+lastCode(t, ve)+`"}`); status != 200 || !c.loggedIn() {
		t.Fatalf("mailed code: %d %s", status, raw)
	}
	c.do("POST", "/logout", "")
	c.login("alice@example.com", alicePassword)
	if status, _, raw := c.do("POST", "/tf-rescue", `{"help_setup":"help"}`); status != 200 {
		t.Fatalf("help: %d %s", status, raw)
	}
	mails := ve.sent()
	if m := mails[len(mails)-1]; m.To != "help@example.com" || !strings.Contains(m.Text, "alice@example.com") {
		t.Errorf("help mail to %s:\n%s", m.To, m.Text)
	}
}

// Changing or disabling a second factor needs a fresh login, which a
// code from the app gives.
func TestTwoFactorDisableNeedsFreshLogin(t *testing.T) {
	t.Parallel()
	ve := newTwoFactorEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret, _ := enrolAuthenticator(t, ve, c)
	ve.clock.Advance(time.Hour)
	if status, _, _ := c.do("POST", "/tf-setup", `{"setup":"disable"}`); status != 401 {
		t.Fatalf("disable with a stale login: %d", status)
	}
	if status, _, raw := c.do("POST", "/verify", `{"code":"`+code(t, ve, secret)+`"}`); status != 200 {
		t.Fatalf("verify with a code: %d %s", status, raw)
	}
	if status, _, raw := c.do("POST", "/tf-setup", `{"setup":"disable"}`); status != 200 {
		t.Fatalf("disable: %d %s", status, raw)
	}
	c.do("POST", "/logout", "")
	if _, resp, raw := c.login("alice@example.com", alicePassword); resp["tf_required"] != false || !c.loggedIn() {
		t.Errorf("login after disabling: %s", raw)
	}
}

// A password change voids a pending login; a remembered device skips the
// second factor until then.
func TestPendingLoginAndRememberedDevice(t *testing.T) {
	t.Parallel()
	ve := newTwoFactorEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.TwoFactor.RememberDeviceFor = 24 * time.Hour })
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret, _ := enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")

	c.do("GET", "/login", "")
	c.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`","remember":true}`)
	if status, _, raw := c.do("POST", "/tf-validate", `{"code":"`+code(t, ve, secret)+`"}`); status != 200 {
		t.Fatalf("validate: %d %s", status, raw)
	}
	c.do("POST", "/logout", "")
	if _, resp, raw := c.login("alice@example.com", alicePassword); resp["tf_required"] == true || !c.loggedIn() {
		t.Fatalf("remembered device asked again: %s", raw)
	}
	c.do("POST", "/logout", "")
	other := ve.jsonClient()
	if _, resp, _ := other.login("alice@example.com", alicePassword); resp["tf_required"] != true {
		t.Fatal("another browser skipped the second factor")
	}

	// A password change (a reset) ends both.
	u, _ := ve.store.UserByEmail(t.Context(), "alice@example.com")
	if err := ve.m.SetPassword(t.Context(), u, "another passphrase entirely"); err != nil {
		t.Fatal(err)
	}
	ve.clock.Advance(30 * time.Second)
	if status, _, _ := other.do("POST", "/tf-validate", `{"code":"`+code(t, ve, secret)+`"}`); status != 400 || other.loggedIn() {
		t.Errorf("pending login survived a password change: %d", status)
	}
	if _, resp, raw := c.login("alice@example.com", "another passphrase entirely"); resp["tf_required"] != true {
		t.Errorf("remembered device survived a password change: %s", raw)
	}
}

// The browser forms: login → code page → home, and recovery codes shown
// after a setup at login.
func TestTwoFactorBrowserForms(t *testing.T) {
	t.Parallel()
	ve := newTwoFactorEnv(t, nil)
	b := ve.browser()
	b.post("/login", map[string]string{"email": "alice@example.com", "password": alicePassword})
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	secret, _ := enrolAuthenticator(t, ve, c)

	b = ve.browser()
	resp := b.post("/login", map[string]string{"email": "alice@example.com", "password": alicePassword})
	if resp.status != http.StatusSeeOther || resp.location != "/tf-validate" {
		t.Fatalf("login: %d → %q", resp.status, resp.location)
	}
	page := b.get("/tf-validate")
	if !strings.Contains(page.body, `name="code"`) || !strings.Contains(page.body, `href="/mf-recovery"`) {
		t.Fatalf("code page:\n%s", page.body)
	}
	resp = b.post("/tf-validate", map[string]string{"code": "000000"})
	if resp.status != 400 || !strings.Contains(resp.body, "Invalid code") {
		t.Fatalf("wrong code: %d\n%s", resp.status, resp.body)
	}
	resp = b.post("/tf-validate", map[string]string{"code": code(t, ve, secret)})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("code: %d\n%s", resp.status, resp.body)
	}
	if b.get("/private").status != 200 {
		t.Error("not logged in")
	}
}

// Whoever has the password cannot flood the owner's mailbox with codes
// (nor the site's helpers with requests).
func TestTwoFactorMailsLimited(t *testing.T) {
	t.Parallel()
	ve := newTwoFactorEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.TwoFactor.RescueAddress = "help@example.com" })
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")
	c.login("alice@example.com", alicePassword)
	statuses := map[int]int{}
	for i := 0; i < 8; i++ {
		status, _, _ := c.do("POST", "/tf-rescue", `{"help_setup":"email"}`)
		statuses[status]++
	}
	if statuses[200] != 5 || statuses[429] != 3 {
		t.Errorf("eight rescue mails: %v (want 5 sent, then 429)", statuses)
	}
	if status, _, _ := c.do("POST", "/tf-rescue", `{"help_setup":"help"}`); status != 429 {
		t.Errorf("help mail past the limit: %d", status)
	}
}
