package gatehouse_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

const sessionCookie = "gatehouse" // the default name when Cookie.Insecure is set

func TestLoginLogout(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"cookie", "server"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *gatehouse.Config) {
				if mode == "server" {
					c.Sessions = memstore.New()
				}
			})
			c := e.client()
			wantStatus(t, "anonymous /me", c.do("GET", "/me", nil), http.StatusSeeOther)
			if r := c.login("alice@example.com", "wrong password", false); r.status != http.StatusBadRequest {
				t.Fatalf("wrong password: status %d", r.status)
			}
			c.mustLogin(false)
			r := c.get("/me")
			wantStatus(t, "/me after login", r, http.StatusOK)
			me := decodeMe(t, r)
			if me["email"] != "alice@example.com" || me["method"] != "session" || me["fresh"] != true {
				t.Errorf("/me = %v", me)
			}
			if got := c.get("/public").body; got != "hello alice@example.com" {
				t.Errorf("/public = %q", got)
			}
			stolen := c.cookie(sessionCookie).Value
			wantStatus(t, "logout", c.do("POST", "/logout", nil), http.StatusOK)
			// A pending flash may carry over into a new anonymous session;
			// the logged-in one must be gone either way.
			if ck := c.cookie(sessionCookie); ck != nil && ck.Value == stolen {
				t.Errorf("session cookie not replaced at logout")
			}
			wantStatus(t, "/me after logout", c.get("/me"), http.StatusSeeOther)

			// OWASP ASVS 7.4.1: the logged-out session cookie, replayed, is dead.
			thief := e.client()
			thief.setCookie(sessionCookie, stolen)
			wantStatus(t, "replayed cookie after logout", thief.get("/me"), http.StatusSeeOther)
		})
	}
}

func TestLoginRotatesSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	// An anonymous session exists first (a flash puts one there).
	c.get("/me") // redirect to login, with a flash
	before := c.cookie(sessionCookie)
	if before == nil {
		t.Fatal("no anonymous session cookie after a flash")
	}
	c.mustLogin(false)
	after := c.cookie(sessionCookie)
	if after == nil || after.Value == before.Value {
		t.Fatal("session cookie not rotated at login")
	}
	// The fixed (pre-login) cookie does not carry the login.
	planted := e.client()
	planted.setCookie(sessionCookie, before.Value)
	wantStatus(t, "pre-login cookie", planted.do("GET", "/me", nil), http.StatusSeeOther)
	// The flash survived the login.
	if body := c.get("/login").body; !strings.Contains(body, "Please log in to access this page.") {
		t.Errorf("flash lost across login: %q", body)
	}
}

func TestCookieAttributes(t *testing.T) {
	t.Parallel()
	secure := newEnv(t, func(c *gatehouse.Config) { c.Cookie.Insecure = false })
	c := secure.client()
	r := c.login("alice@example.com", alicePassword, true)
	var sess, rem *http.Cookie
	resp := &http.Response{Header: r.header}
	for _, ck := range resp.Cookies() {
		switch ck.Name {
		case "__Host-gatehouse":
			sess = ck
		case "__Host-remember_token": // __Host- as the session's: host-only, Secure, Path=/
			rem = ck
		}
	}
	if sess == nil || rem == nil {
		t.Fatalf("cookies = %v, want __Host-gatehouse and __Host-remember_token", r.header["Set-Cookie"])
	}
	if !sess.Secure || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Domain != "" {
		t.Errorf("session cookie attributes: %+v", sess)
	}
	if sess.MaxAge != 0 || !sess.Expires.IsZero() {
		t.Errorf("session cookie should end with the browser: %+v", sess)
	}
	if !rem.Secure || !rem.HttpOnly || rem.MaxAge != 365*24*3600 {
		t.Errorf("remember cookie attributes: %+v", rem)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if len(sess.String()) > 4096 {
		t.Errorf("session cookie is %d bytes", len(sess.String()))
	}
}

func TestBadCookies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	good := e.client()
	good.mustLogin(false)
	valid := good.cookie(sessionCookie).Value
	raw, _ := base64.RawURLEncoding.DecodeString(valid)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)-5] ^= 0x01
	tests := []struct{ name, value string }{
		{"tampered", base64.RawURLEncoding.EncodeToString(flipped)},
		{"truncated", valid[:len(valid)-10]},
		{"oversized", strings.Repeat("A", 5000)},
		{"garbage", "not-base64!!"},
		{"empty", ""},
		{"wrong version", base64.RawURLEncoding.EncodeToString(append([]byte{9}, raw[1:]...))},
		{"nonce only", base64.RawURLEncoding.EncodeToString(raw[:25])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client()
			c.setCookie(sessionCookie, tt.value)
			wantStatus(t, "/me", c.get("/me"), http.StatusSeeOther)
			if got := c.get("/public").body; got != "hello stranger" {
				t.Errorf("/public = %q", got)
			}
		})
	}
	// Raw header abuse: many cookies, invalid bytes, a huge header.
	for _, h := range []string{
		sessionCookie + "=\xff\xfe\x01; remember_token=\xff",
		strings.Repeat(sessionCookie+"=x; ", 500),
		sessionCookie + "=" + strings.Repeat("é", 30000),
		"remember_token=" + strings.Repeat("A.", 3000),
	} {
		status := rawGet(t, e.srv.URL, "/me", "Cookie: "+h, "Accept: application/json")
		// net/http itself answers 400 to control bytes; either way a clear 4xx.
		if status != http.StatusUnauthorized && status != http.StatusBadRequest {
			t.Errorf("Cookie %.30q...: status %d, want 401 or 400", h, status)
		}
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) {
		c.Session.Lifetime = 10 * time.Hour
		c.Session.IdleTimeout = time.Hour
	})
	c := e.client()
	c.mustLogin(false)
	// Active use slides the idle timeout forward...
	for range 14 {
		e.clock.Advance(50 * time.Minute)
		if r := c.get("/me"); r.status != http.StatusOK {
			// ...until the absolute timeout (10h) ends it.
			if elapsed := e.clock.Now().Sub(newClock().Now()); elapsed <= 10*time.Hour {
				t.Fatalf("session ended after %v of activity, before its 10h lifetime", elapsed)
			}
			return
		}
	}
	t.Fatal("session outlived its absolute timeout")
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) { c.Session.IdleTimeout = time.Hour })
	c := e.client()
	c.mustLogin(false)
	e.clock.Advance(59 * time.Minute)
	wantStatus(t, "after 59 idle minutes", c.get("/me"), http.StatusOK)
	e.clock.Advance(61 * time.Minute)
	wantStatus(t, "after 61 idle minutes", c.get("/me"), http.StatusSeeOther)
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	c.mustLogin(true)
	sess, rem := c.cookie(sessionCookie).Value, c.cookie("remember_token").Value

	check := func(keys [][]byte, cookieName, value string, want int) {
		t.Helper()
		cfg := e.cfg
		cfg.SecretKeys = keys
		m, err := gatehouse.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv := newServerFor(t, m, e)
		req, _ := http.NewRequest("GET", srv+"/me", nil)
		req.AddCookie(&http.Cookie{Name: cookieName, Value: value})
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("keys %d, cookie %s: status %d, want %d", len(keys), cookieName, resp.StatusCode, want)
		}
	}
	check([][]byte{testKey2, testKey1}, sessionCookie, sess, http.StatusOK)
	check([][]byte{testKey2, testKey1}, "remember_token", rem, http.StatusOK)
	check([][]byte{testKey2}, sessionCookie, sess, http.StatusUnauthorized)
	check([][]byte{testKey2}, "remember_token", rem, http.StatusUnauthorized)
}

func newServerFor(t *testing.T, m *gatehouse.Manager, e *env) string {
	t.Helper()
	e2 := *e
	e2.m = m
	srv := httptestServer(t, m.Authenticate(e2.app()))
	return srv
}

func TestSecurityStampKillsSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	c.mustLogin(true)
	ctx := context.Background()
	u, _ := e.store.UserByID(ctx, e.user.ID)
	if err := e.m.EndSessions(ctx, u, gatehouse.UserChange{}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "/me after stamp rotation", c.get("/me"), http.StatusSeeOther)
	// The remember cookie died with it.
	if ck := c.cookie("remember_token"); ck != nil {
		t.Errorf("remember cookie kept after it was refused: %v", ck)
	}
}

func TestDeletedOrDeactivatedUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	bob := e.addUser("bob@example.com", "bob password 1")
	c := e.client()
	if r := c.login("bob@example.com", "bob password 1", false); r.status != http.StatusSeeOther {
		t.Fatal(r.body)
	}
	e.store.DeleteUser(ctx, bob.ID)
	wantStatus(t, "deleted user", c.get("/me"), http.StatusSeeOther)

	c2 := e.client()
	c2.mustLogin(false)
	off := false
	e.store.UpdateUser(ctx, e.user.ID, gatehouse.UserChange{Active: &off, UpdatedAt: time.Now()})
	wantStatus(t, "deactivated user", c2.get("/me"), http.StatusSeeOther)
	if r := c2.login("alice@example.com", alicePassword, false); r.status != http.StatusBadRequest || !strings.Contains(r.body, "disabled") {
		t.Errorf("inactive login: %d %q", r.status, r.body)
	}
}

func TestRemember(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var loaded int
	e2 := newEnv(t, func(c *gatehouse.Config) {
		c.Hooks.RememberLoaded = func(context.Context, *gatehouse.User) { loaded++ }
	})
	_ = e
	c := e2.client()
	c.mustLogin(true)
	rem := c.cookie("remember_token").Value

	// A new browser with only the remember cookie gets a new, non-fresh session.
	fresh := e2.client()
	fresh.setCookie("remember_token", rem)
	r := fresh.get("/me")
	wantStatus(t, "remember only", r, http.StatusOK)
	if me := decodeMe(t, r); me["method"] != "remember" || me["fresh"] != false {
		t.Errorf("/me via remember = %v", me)
	}
	if loaded != 1 {
		t.Errorf("RememberLoaded called %d times, want 1", loaded)
	}
	if fresh.cookie(sessionCookie) == nil {
		t.Error("no session cookie issued from the remember cookie")
	}
	// Fresh-only pages ask for the password again.
	if r := fresh.get("/fresh"); r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "next=%2Ffresh") {
		t.Errorf("/fresh via remember: %d %s", r.status, r.header.Get("Location"))
	}

	// Tampered remember cookies are ignored and cleared.
	bad := e2.client()
	bad.setCookie("remember_token", rem[:len(rem)-3]+"AAA")
	wantStatus(t, "tampered remember", bad.get("/me"), http.StatusSeeOther)
	if ck := bad.cookie("remember_token"); ck != nil {
		t.Error("tampered remember cookie not cleared")
	}

	// Logout clears the cookie, and a copy replayed later is refused.
	wantStatus(t, "logout", c.do("POST", "/logout", nil), http.StatusOK)
	if ck := c.cookie("remember_token"); ck != nil {
		t.Error("remember cookie kept after logout")
	}
	replay := e2.client()
	replay.setCookie("remember_token", rem)
	wantStatus(t, "remember replayed after logout", replay.get("/me"), http.StatusSeeOther)

	// It expires after its duration.
	c3 := e2.client()
	c3.mustLogin(true)
	rem3 := c3.cookie("remember_token").Value
	e2.clock.Advance(366 * 24 * time.Hour)
	late := e2.client()
	late.setCookie("remember_token", rem3)
	wantStatus(t, "expired remember", late.get("/me"), http.StatusSeeOther)
}

func TestSessionProtection(t *testing.T) {
	t.Parallel()
	t.Run("basic", func(t *testing.T) {
		t.Parallel()
		var protected int
		e := newEnv(t, func(c *gatehouse.Config) {
			c.Hooks.SessionProtected = func(context.Context, *gatehouse.User, gatehouse.Protection) { protected++ }
		})
		c := e.client()
		c.mustLogin(false)
		wantStatus(t, "/fresh", c.get("/fresh"), http.StatusOK)
		c.ua = "other-browser/2.0"
		r := c.get("/me")
		wantStatus(t, "/me from another UA", r, http.StatusOK)
		if me := decodeMe(t, r); me["fresh"] != false {
			t.Errorf("basic protection left the session fresh: %v", me)
		}
		wantStatus(t, "/fresh from another UA", c.get("/fresh"), http.StatusSeeOther)
		if protected != 1 {
			t.Errorf("SessionProtected called %d times", protected)
		}
		// Re-confirming makes it fresh again.
		wantStatus(t, "confirm", c.do("POST", "/confirm", nil), http.StatusOK)
		wantStatus(t, "/fresh after confirm", c.get("/fresh"), http.StatusOK)
	})
	t.Run("strong", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *gatehouse.Config) { c.Protection = gatehouse.ProtectionStrong })
		c := e.client()
		c.mustLogin(true)
		c.ua = "attacker/1.0"
		wantStatus(t, "/me from another UA", c.get("/me"), http.StatusSeeOther)
		if c.cookie("remember_token") != nil {
			t.Error("strong protection kept the remember cookie")
		}
	})
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *gatehouse.Config) { c.Protection = gatehouse.ProtectionOff })
		c := e.client()
		c.mustLogin(false)
		c.ua = "other/1.0"
		wantStatus(t, "/fresh from another UA", c.get("/fresh"), http.StatusOK)
	})
}

func TestFreshness(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	c.mustLogin(false)
	wantStatus(t, "/fresh just after login", c.get("/fresh"), http.StatusOK)
	e.clock.Advance(11 * time.Minute)
	r := c.get("/fresh")
	wantStatus(t, "/fresh after 11 minutes", r, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/login?next=%2Ffresh" {
		t.Errorf("refresh redirect to %q", loc)
	}
	c.hdr.Set("Accept", "application/json")
	r = c.get("/fresh")
	wantStatus(t, "JSON /fresh", r, http.StatusUnauthorized)
	if !strings.Contains(r.body, "re-authenticate") {
		t.Errorf("JSON refresh body: %s", r.body)
	}
}

func TestNextInSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) { c.NextInSession = true })
	c := e.client()
	r := c.get("/editors?tab=2")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Fatalf("redirect: %d %q", r.status, r.header.Get("Location"))
	}
	r = c.login("alice@example.com", alicePassword, false)
	if loc := r.header.Get("Location"); loc != "/editors?tab=2" {
		t.Errorf("after login, Location = %q, want the page kept in the session", loc)
	}
}

func TestSessionFitsInCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	c.mustLogin(false)
	// A hundred long flashes do not make a cookie a browser would drop.
	mux := http.NewServeMux()
	mux.HandleFunc("/flood", func(w http.ResponseWriter, r *http.Request) {
		for range 100 {
			if err := e.m.Flash(w, r, "message", strings.Repeat("long message ", 10)); err != nil {
				t.Errorf("Flash: %v", err)
			}
		}
	})
	srv := httptestServer(t, e.m.Authenticate(mux))
	req, _ := http.NewRequest("GET", srv+"/flood", nil)
	req.AddCookie(c.cookie(sessionCookie))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && len(ck.String()) > 4096 {
			t.Errorf("session cookie is %d bytes", len(ck.String()))
		}
	}
	if n := len(resp.Header.Values("Set-Cookie")); n != 1 {
		t.Errorf("%d Set-Cookie headers, want one per cookie", n)
	}
}
