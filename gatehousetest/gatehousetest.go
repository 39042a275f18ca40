// Package gatehousetest logs users in for tests of the handlers behind
// gatehouse's guards, in a line or two, as Flask-Login's FlaskLoginClient
// does for Flask:
//
//	r := httptest.NewRequest("GET", "/account", nil)
//	gatehousetest.Login(t, auth, r, user, gatehousetest.Options{})
//	handler.ServeHTTP(w, r) // handler behind auth.Authenticate
//
//	c := gatehousetest.Client(t, auth, srv.URL, user, gatehousetest.Options{NotFresh: true})
//	resp, err := c.Get(srv.URL + "/account")
//
// It goes through the engine's exported API only (Manager.Login, AuthToken),
// so what the handler sees is what a real login gives: the session, its
// freshness, session protection, the remember cookie.
package gatehousetest

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

// Options say how the user is logged in. The zero value is a fresh
// session, like a login with a password a moment ago.
type Options struct {
	// NotFresh makes the session non-fresh (Flask-Login's
	// fresh_login=False): RequireFresh then sends the user to
	// re-authenticate.
	NotFresh bool
	// Remember also sets the remember cookie.
	Remember bool
	// Token logs in with an API auth token in the Authentication-Token
	// header instead of a session (Config.TokenAuth must be on; set
	// TokenHeader if the Manager's differs).
	Token       bool
	TokenHeader string
	// Password, if set, logs in with HTTP Basic and this password instead
	// of a session (Config.BasicAuth must be on).
	Password string
}

// Login makes r carry u's credentials, as o says: for a session, the
// cookies a browser holds after logging in from r's address and
// User-Agent (session protection compares them), set on r. u must be a
// stored, active user. It fails t if the login fails.
func Login(t testing.TB, auth *gatehouse.Manager, r *http.Request, u *gatehouse.User, o Options) {
	t.Helper()
	switch {
	case o.Password != "":
		r.SetBasicAuth(u.Email, o.Password)
	case o.Token:
		r.Header.Set(tokenHeader(o), auth.AuthToken(u))
	default:
		for _, c := range sessionCookies(t, auth, r, u, o) {
			r.AddCookie(c)
		}
	}
}

// Client returns an *http.Client for a server at baseURL (an
// httptest.Server's URL, say) that is logged in as u, as o says: its
// cookie jar holds the session, or it adds the token or Basic header to
// every request. The login is made as from the client's own address
// (127.0.0.1) and Go's User-Agent, as its requests will be.
func Client(t testing.TB, auth *gatehouse.Manager, baseURL string, u *gatehouse.User, o Options) *http.Client {
	t.Helper()
	base, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("gatehousetest: base URL: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if o.Token || o.Password != "" {
		probe := httptest.NewRequest("GET", baseURL, nil)
		Login(t, auth, probe, u, o)
		c.Transport = headerTransport{header: probe.Header, base: http.DefaultTransport}
		return c
	}
	r := httptest.NewRequest("GET", baseURL, nil)
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("User-Agent", "Go-http-client/1.1")
	jar.SetCookies(base, sessionCookies(t, auth, r, u, o))
	return c
}

// sessionCookies logs u in on a copy of r through auth and returns the
// cookies set.
func sessionCookies(t testing.TB, auth *gatehouse.Manager, r *http.Request, u *gatehouse.User, o Options) []*http.Cookie {
	t.Helper()
	login := r.Clone(r.Context())
	login.Method = http.MethodGet // Login needs no body; a GET passes the origin check
	w := httptest.NewRecorder()
	var err error
	auth.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err = auth.Login(w, r, u, gatehouse.LoginOptions{Remember: o.Remember, NotFresh: o.NotFresh})
	})).ServeHTTP(w, login)
	if err != nil {
		t.Fatalf("gatehousetest: logging %s in: %v", u.Email, err)
	}
	cookies := w.Result().Cookies()
	if len(cookies) == 0 {
		t.Fatalf("gatehousetest: logging %s in set no cookie (status %d)", u.Email, w.Code)
	}
	return cookies
}

func tokenHeader(o Options) string {
	if o.TokenHeader != "" {
		return o.TokenHeader
	}
	return "Authentication-Token"
}

// headerTransport adds fixed headers to every request.
type headerTransport struct {
	header http.Header
	base   http.RoundTripper
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.header {
		r.Header[k] = v
	}
	return h.base.RoundTrip(r)
}
