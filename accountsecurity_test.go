package gatehouse_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Keys that are obviously not random are refused, with how to make one.
func TestSecretKeyEntropy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	random := make([]byte, 32)
	rand.Read(random)
	for _, tc := range []struct {
		name string
		key  []byte
		ok   bool
	}{
		{"32 identical bytes", bytes.Repeat([]byte{0x11}, 32), false},
		{"a word repeated", bytes.Repeat([]byte("secret"), 6), false},
		{"two letters", []byte(strings.Repeat("ab", 20)), false},
		{"too short", random[:16], false},
		{"random bytes", random, true},
		{"random, hex", []byte(hex.EncodeToString(random)), true},
		{"random, base64", []byte(base64.StdEncoding.EncodeToString(random)), true},
	} {
		cfg := e.cfg
		cfg.SecretKeys = [][]byte{tc.key}
		_, err := gatehouse.New(cfg)
		if (err == nil) != tc.ok {
			t.Errorf("%s: New = %v", tc.name, err)
		}
		if err != nil && !strings.Contains(err.Error(), "head -c 32 /dev/urandom") {
			t.Errorf("%s: the error does not say how to make a key: %v", tc.name, err)
		}
	}
}

// getWith is a GET with extra headers, tolerating any status.
func getWith(t *testing.T, base, path string, hdr ...string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Auth tokens: accepted as Bearer, not in the URL unless configured, and
// expired after a day unless configured otherwise.
func TestAuthTokenTransportAndAge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) { c.TokenAuth = true })
	tok := e.m.AuthToken(e.user)
	for _, tc := range []struct {
		name string
		path string
		hdr  []string
		want int
	}{
		{"Authentication-Token", "/me", []string{"Authentication-Token", tok}, 200},
		{"Bearer", "/me", []string{"Authorization", "Bearer " + tok}, 200},
		{"bearer, any case", "/me", []string{"Authorization", "bearer " + tok}, 200},
		{"query parameter, off by default", "/me?auth_token=" + tok, nil, 401},
		{"garbage", "/me", []string{"Authorization", "Bearer x.y.z"}, 401},
	} {
		if got := getWith(t, e.srv.URL, tc.path, tc.hdr...); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	e.clock.Advance(25 * time.Hour)
	if got := getWith(t, e.srv.URL, "/me", "Authorization", "Bearer "+tok); got != 401 {
		t.Errorf("a day-old token: %d, want 401", got)
	}

	q := newEnv(t, func(c *gatehouse.Config) {
		c.TokenAuth, c.TokenQuery, c.TokenMaxAge = true, "auth_token", -1
	})
	tok = q.m.AuthToken(q.user)
	q.clock.Advance(400 * 24 * time.Hour)
	if got := getWith(t, q.srv.URL, "/me?auth_token="+tok); got != 200 {
		t.Errorf("query parameter when enabled, no age limit: %d", got)
	}
}

// With strong protection, a remember cookie used by another client
// restores nothing; a longer RememberFor is honoured, up to MaxDuration.
func TestRememberProtectionAndDuration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) { c.Protection = gatehouse.ProtectionStrong })
	c := e.client()
	c.mustLogin(true)
	rem := c.cookie("remember_token").Value
	thief := e.client()
	thief.ua = "another-browser/2.0"
	thief.setCookie("remember_token", rem)
	if r := thief.get("/me"); r.status == 200 {
		t.Errorf("strong protection let another client's remember cookie in: %s", r.body)
	}
	owner := e.client()
	owner.setCookie("remember_token", rem)
	if r := owner.get("/me"); r.status != 200 {
		t.Errorf("the same client's remember cookie: %d", r.status)
	}

	long := newEnv(t, func(c *gatehouse.Config) { c.Remember.Duration = 24 * time.Hour })
	long.srv.Config.Handler = long.m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/remember-long" {
			long.m.Login(w, r, long.user, gatehouse.LoginOptions{Remember: true, RememberFor: 30 * 24 * time.Hour})
			return
		}
		long.app().ServeHTTP(w, r)
	}))
	lc := long.client()
	lc.get("/remember-long")
	remLong := lc.cookie("remember_token")
	if remLong == nil {
		t.Fatal("no remember cookie")
	}
	long.clock.Advance(10 * 24 * time.Hour)
	fresh := long.client()
	fresh.setCookie("remember_token", remLong.Value)
	if r := fresh.get("/me"); r.status != 200 {
		t.Errorf("a 30-day remember cookie was cut to the 1-day default: %d", r.status)
	}
}

// Every login is tracked, whoever makes it: the app's own handler too.
func TestTrackingOnEveryLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) { c.Trackable = true })
	c := e.client()
	c.mustLogin(false) // the app's handler calls Login
	got, _ := e.store.UserByID(context.Background(), e.user.ID)
	if got.LoginCount != 1 || got.CurrentLoginAt.IsZero() {
		t.Errorf("after Login: count %d, at %v", got.LoginCount, got.CurrentLoginAt)
	}
}

// A confirmation link confirms the address it was sent to: once the user
// has another address, it is void.
func TestConfirmTokenBoundToAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	tok, err := e.m.IssueToken(ctx, "confirm", e.user, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	addr := "alice.new@example.com"
	if err := e.store.UpdateUser(ctx, e.user.ID, gatehouse.UserChange{Email: &addr, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.m.RedeemToken(ctx, "confirm", tok); err == nil {
		t.Error("a confirmation link for the old address confirmed the new one")
	}
}

// Addresses are one account in any Unicode spelling.
func TestEmailSpellingsAreOneAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	u := &gatehouse.User{Email: "Ｂｏｂ@ＥＸＡＭＰＬＥ.com", Active: true}
	if err := e.m.CreateUser(ctx, u, "bob's fine password"); err != nil {
		t.Fatal(err)
	}
	if u.Email != "Bob@example.com" {
		t.Errorf("stored as %q", u.Email)
	}
	for _, spelling := range []string{"bob@example.com", "BOB@example.COM", "ｂｏｂ@example.com"} {
		if _, err := e.m.VerifyPassword(ctx, spelling, "bob's fine password"); err != nil {
			t.Errorf("login as %q: %v", spelling, err)
		}
		if err := e.m.CreateUser(ctx, &gatehouse.User{Email: spelling}, ""); err == nil {
			t.Errorf("%q became a second account", spelling)
		}
	}
	idn := &gatehouse.User{Email: "x@xn--bcher-kva.example", Active: true}
	e.m.CreateUser(ctx, idn, "")
	if err := e.m.CreateUser(ctx, &gatehouse.User{Email: "x@BÜCHER.example"}, ""); err == nil {
		t.Error("an IDN domain in two spellings became two accounts")
	}
}
