package views_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/softkey"
	"github.com/gatehouse-auth/gatehouse/views"
)

// softKey is the software authenticator the views' passkey tests use,
// for the test site's relying party.
type softKey = softkey.Key

func newSoftKey(t *testing.T) *softKey {
	return softkey.New(t, "app.example.com", "https://app.example.com")
}

var (
	options, credentialBody = softkey.Options, softkey.CredentialBody
	b64                     = base64.RawURLEncoding
)

func newPasskeyEnv(t *testing.T, change func(v *views.Config)) *viewEnv {
	return newTwoFactorEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.WebAuthn.Enabled = true
		if change != nil {
			change(v)
		}
	})
}

// registerKey registers k for c's logged-in user, as usage, and returns
// the answer.
func registerKey(t *testing.T, c *jsonClient, k *softKey, name, usage string) map[string]any {
	t.Helper()
	status, resp, raw := c.do("POST", "/wan-register", `{"name":"`+name+`","usage":"`+usage+`"}`)
	if status != 200 {
		t.Fatalf("wan-register: %d %s", status, raw)
	}
	state := resp["wan_state"].(string)
	status, resp, raw = c.do("POST", "/wan-register/"+state, credentialBody(k.Create(options(t, resp))))
	if status != 200 {
		t.Fatalf("wan-register/{state}: %d %s", status, raw)
	}
	return resp
}

// passkeySignin signs c in with k (a first factor, or the second of a
// pending login) and returns the finishing answer's status and body.
func passkeySignin(t *testing.T, c *jsonClient, k *softKey) (int, map[string]any, string) {
	t.Helper()
	c.do("GET", "/wan-signin", "")
	status, resp, raw := c.do("POST", "/wan-signin", `{}`)
	if status != 200 {
		t.Fatalf("wan-signin: %d %s", status, raw)
	}
	return c.do("POST", "/wan-signin/"+resp["wan_state"].(string), credentialBody(k.Get(options(t, resp))))
}

func TestPasskeyFirstFactor(t *testing.T) {
	t.Parallel()
	ve := newPasskeyEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	k := newSoftKey(t)
	registerKey(t, c, k, "laptop", "first")
	status, resp, raw := c.do("GET", "/wan-register", "")
	keys, _ := resp["registered_credentials"].([]any)
	if status != 200 || len(keys) != 1 || keys[0].(map[string]any)["usage"] != "first" || keys[0].(map[string]any)["discoverable"] != true {
		t.Fatalf("registered credentials: %s", raw)
	}
	if mails := ve.sent(); mails[len(mails)-1].Kind != "two_factor_notice" {
		t.Error("no notice of the new passkey")
	}
	// The same name again is refused.
	if status, _, _ := c.do("POST", "/wan-register", `{"name":"laptop","usage":"first"}`); status != 400 {
		t.Errorf("duplicate name: %d", status)
	}

	// A new browser signs in with the passkey alone.
	b := ve.jsonClient()
	status, resp, raw = passkeySignin(t, b, k)
	if status != 200 || resp["user"] == nil || !b.loggedIn() {
		t.Fatalf("passkey sign-in: %d %s", status, raw)
	}

	// A ceremony finishes once, in the browser that began it.
	eve := ve.jsonClient()
	eve.do("GET", "/wan-signin", "")
	_, begun, _ := eve.do("POST", "/wan-signin", `{}`)
	assertion := k.Get(options(t, begun))
	state := begun["wan_state"].(string)
	other := ve.jsonClient()
	other.do("GET", "/wan-signin", "")
	if status, _, _ := other.do("POST", "/wan-signin/"+state, credentialBody(assertion)); status != 400 || other.loggedIn() {
		t.Errorf("a ceremony finished in another browser: %d", status)
	}
	if status, _, _ := eve.do("POST", "/wan-signin/"+state, credentialBody(assertion)); status != 200 {
		t.Errorf("the ceremony's own browser: %d", status)
	}
	if status, _, _ := eve.do("POST", "/wan-signin/"+state, credentialBody(assertion)); status != 400 {
		t.Errorf("a ceremony finished twice: %d", status)
	}

	// A clone of the key (its signature count behind) is refused.
	k.Count -= 2
	if status, _, _ := passkeySignin(t, ve.jsonClient(), k); status != 400 {
		t.Errorf("a cloned key: %d", status)
	}
	k.Count += 10

	// The key names its account: it cannot name another.
	bob := ve.addUser("bob@example.com", alicePassword)
	k.User = []byte(bob.ID)
	if status, _, _ := passkeySignin(t, ve.jsonClient(), k); status != 400 {
		t.Errorf("alice's key as bob's: %d", status)
	}
	k.User = []byte(ve.user.ID)

	// Without user verification, a passkey is one factor: a user with a
	// second is asked for it.
	enrolAuthenticator(t, ve, c)
	k.UV = false
	x := ve.jsonClient()
	status, resp, raw = passkeySignin(t, x, k)
	if status != 200 || resp["tf_required"] != true || x.loggedIn() {
		t.Fatalf("passkey without verification: %d %s", status, raw)
	}
	k.UV = true
	if status, resp, raw := passkeySignin(t, ve.jsonClient(), k); status != 200 || resp["tf_required"] == true {
		t.Fatalf("passkey with verification: %d %s", status, raw)
	}
}

func TestPasskeySecondFactor(t *testing.T) {
	t.Parallel()
	ve := newPasskeyEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	k := newSoftKey(t)
	resp := registerKey(t, c, k, "yubikey", "secondary")
	if codes, _ := resp["recovery_codes"].([]any); len(codes) != 10 {
		t.Fatalf("a first second factor came without recovery codes: %v", resp)
	}
	// A second-factor key does not sign in alone.
	if status, _, _ := passkeySignin(t, ve.jsonClient(), k); status != 400 {
		t.Errorf("a second-factor key as the first: %d", status)
	}

	b := ve.jsonClient()
	status, resp, raw := b.login("alice@example.com", alicePassword)
	if status != 200 || resp["tf_required"] != true || resp["tf_method"] != "webauthn" || resp["tf_signin_url"] != "/wan-signin" {
		t.Fatalf("login: %d %s", status, raw)
	}
	status, resp, raw = passkeySignin(t, b, k)
	if status != 200 || resp["user"] == nil || !b.loggedIn() {
		t.Fatalf("second factor: %d %s", status, raw)
	}

	// With an app as well, the user chooses.
	enrolAuthenticator(t, ve, c)
	x := ve.jsonClient()
	status, resp, raw = x.login("alice@example.com", alicePassword)
	if methods, _ := resp["tf_setup_methods"].([]any); status != 200 || resp["tf_select"] != true || len(methods) != 2 {
		t.Fatalf("login with two methods: %d %s", status, raw)
	}
	if status, resp, raw := x.do("POST", "/tf-select", `{"which":"webauthn"}`); status != 200 || resp["tf_method"] != "webauthn" {
		t.Fatalf("select: %d %s", status, raw)
	}
	if status, _, raw := passkeySignin(t, x, k); status != 200 || !x.loggedIn() {
		t.Fatalf("second factor after select: %d %s", status, raw)
	}
}

// Deleting a passkey needs a fresh login, which the passkey can give.
func TestPasskeyDeleteAndVerify(t *testing.T) {
	t.Parallel()
	ve := newPasskeyEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	k := newSoftKey(t)
	registerKey(t, c, k, "phone", "first")
	ve.clock.Advance(time.Hour)
	if status, _, _ := c.do("POST", "/wan-delete", `{"name":"phone"}`); status != 401 {
		t.Fatalf("delete with a stale login: %d", status)
	}
	status, resp, raw := c.do("POST", "/wan-verify", `{}`)
	if status != 200 {
		t.Fatalf("wan-verify: %d %s", status, raw)
	}
	if status, _, raw := c.do("POST", "/wan-verify/"+resp["wan_state"].(string), credentialBody(k.Get(options(t, resp)))); status != 200 {
		t.Fatalf("wan-verify/{state}: %d %s", status, raw)
	}
	if status, _, _ := c.do("POST", "/wan-delete", `{"name":"nothing"}`); status != 400 {
		t.Errorf("delete an unknown key: %d", status)
	}
	if status, _, raw := c.do("POST", "/wan-delete", `{"name":"phone"}`); status != 200 {
		t.Fatalf("delete: %d %s", status, raw)
	}
	if status, _, _ := passkeySignin(t, ve.jsonClient(), k); status != 400 {
		t.Errorf("a deleted key signed in: %d", status)
	}
}

// Malformed ceremonies get a 400, never a 500.
func TestPasskeyBadInput(t *testing.T) {
	t.Parallel()
	ve := newPasskeyEnv(t, nil)
	c := ve.jsonClient()
	c.login("alice@example.com", alicePassword)
	for _, body := range []string{`{"name":""}`, `{"name":"<script>"}`, `{"name":"a","usage":"third"}`} {
		if status, _, _ := c.do("POST", "/wan-register", body); status != 400 {
			t.Errorf("register %s: %d", body, status)
		}
	}
	_, resp, _ := c.do("POST", "/wan-register", `{"name":"ok"}`)
	state := resp["wan_state"].(string)
	for _, body := range []string{`{}`, `{"credential":"{}"}`, `{"credential":"not json"}`, `{"credential":{"id":1}}`} {
		if status, _, _ := c.do("POST", "/wan-register/"+state, body); status != 400 {
			t.Errorf("finish %s: %d", body, status)
		}
	}
	for _, path := range []string{"/wan-register/garbage", "/wan-signin/garbage", "/wan-verify/x"} {
		if status, _, _ := c.do("POST", path, `{"credential":"{}"}`); status != 400 {
			t.Errorf("%s: %d", path, status)
		}
	}
}
