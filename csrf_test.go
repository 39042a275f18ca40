package gatehouse_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

// CSRFToken works in a handler that Authenticate does not wrap: the token
// it returns is the one the cookie it sets will check against.
func TestCSRFTokenWithoutAuthenticate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	rec := httptest.NewRecorder()
	tok := e.m.CSRFToken(rec, httptest.NewRequest("GET", "/", nil))
	if tok == "" {
		t.Fatal("no token")
	}
	guarded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := e.m.CheckCSRF(r, ""); err != nil {
			e.m.WriteError(w, r, err)
			return
		}
		w.WriteHeader(204)
	})
	req := httptest.NewRequest("POST", "/thing", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	req.Header.Set("X-CSRF-Token", tok)
	out := httptest.NewRecorder()
	guarded.ServeHTTP(out, req)
	if out.Code != 204 {
		t.Errorf("token from CSRFToken refused: %d", out.Code)
	}
}

// Cookie.CSRFName carries the CSRF token to scripts (Flask-Security's
// CSRF_COOKIE_NAME): set with the first token, renewed by login and
// logout, sent back in X-XSRF-Token; the check stays the session's.
func TestCSRFCookie(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"XSRF-TOKEN", ""} {
		e := newEnv(t, func(c *gatehouse.Config) { c.Cookie.CSRFName = name })
		mux := http.NewServeMux()
		mux.Handle("/", e.app())
		mux.HandleFunc("GET /csrf", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, e.m.CSRFToken(w, r)) })
		mux.HandleFunc("POST /guarded", func(w http.ResponseWriter, r *http.Request) {
			if err := e.m.CheckCSRF(r, ""); err != nil {
				e.m.WriteError(w, r, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
		e.srv.Config.Handler = e.m.Authenticate(mux)
		c := e.client()
		first := c.get("/csrf")
		xsrf := func() string {
			if ck := c.cookie("XSRF-TOKEN"); ck != nil {
				return ck.Value
			}
			return ""
		}
		guarded := func(token string) int {
			c.hdr.Set("X-XSRF-Token", token)
			defer c.hdr.Del("X-XSRF-Token")
			return c.do("POST", "/guarded", url.Values{}).status
		}
		if name == "" {
			if xsrf() != "" || strings.Contains(strings.Join(first.header.Values("Set-Cookie"), ";"), "XSRF") {
				t.Fatal("a CSRF cookie without Cookie.CSRFName")
			}
			if got := guarded(first.body); got != http.StatusNoContent {
				t.Errorf("X-XSRF-Token header refused: %d", got)
			}
			continue
		}
		if xsrf() != first.body {
			t.Fatalf("XSRF-TOKEN cookie %q, want the token %q", xsrf(), first.body)
		}
		set := strings.Join(first.header.Values("Set-Cookie"), "\n")
		if !strings.Contains(set, "XSRF-TOKEN=") || strings.Contains(strings.ToLower(setCookieLine(set, "XSRF-TOKEN")), "httponly") ||
			!strings.Contains(setCookieLine(set, "XSRF-TOKEN"), "SameSite=Strict") {
			t.Errorf("XSRF-TOKEN cookie attributes: %q", setCookieLine(set, "XSRF-TOKEN"))
		}
		if got := guarded(xsrf()); got != http.StatusNoContent {
			t.Errorf("token from the cookie refused: %d", got)
		}
		if got := guarded("forged"); got != http.StatusForbidden {
			t.Errorf("forged token: %d", got)
		}
		// Login rotates the session's token: the cookie follows.
		before := xsrf()
		c.mustLogin(false)
		if xsrf() == "" || xsrf() == before {
			t.Fatalf("XSRF-TOKEN after login: %q (before %q)", xsrf(), before)
		}
		if got := guarded(before); got != http.StatusForbidden {
			t.Errorf("pre-login token after login: %d", got)
		}
		if got := guarded(xsrf()); got != http.StatusNoContent {
			t.Errorf("post-login cookie token refused: %d", got)
		}
		// A request that changes nothing does not set it again.
		if again := c.get("/csrf"); strings.Contains(strings.Join(again.header.Values("Set-Cookie"), ";"), "XSRF-TOKEN=") {
			t.Errorf("XSRF-TOKEN set again though unchanged")
		}
		loggedIn := xsrf()
		c.hdr.Set("X-XSRF-Token", loggedIn)
		c.do("POST", "/logout", url.Values{})
		c.hdr.Del("X-XSRF-Token")
		if xsrf() == loggedIn {
			t.Errorf("XSRF-TOKEN unchanged by logout")
		}
	}
}

// setCookieLine returns the Set-Cookie line for name among lines.
func setCookieLine(lines, name string) string {
	for l := range strings.SplitSeq(lines, "\n") {
		if strings.HasPrefix(l, name+"=") {
			return l
		}
	}
	return ""
}
