package views_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/views"
	"golang.org/x/oauth2"
)

// fakeOAuth is an OAuth 2.0 provider on httptest. /authorize says yes at
// once for the account set in email (or, with deny, no); /token checks
// the client, the code (once), the redirect URI and the PKCE verifier;
// /user/emails answers in GitHub's shape and /userinfo in OpenID
// Connect's, for the token's account.
type fakeOAuth struct {
	t   *testing.T
	srv *httptest.Server

	mu             sync.Mutex
	email          string // the account that signs in at the provider
	verified       bool
	deny           bool // /authorize answers error=access_denied
	tokenStatus    int  // if set, /token answers with it
	identityStatus int  // if set, the identity endpoints answer with it
	identityBody   string
	slow           bool // the identity endpoints answer only once the client gives up
	grants         map[string]fakeGrant
	tokens         map[string]fakeGrant
	exchanges      int
}

type fakeGrant struct {
	challenge, redirect, email string
	verified                   bool
}

const (
	fakeClientID     = "client-id"
	fakeClientSecret = "client-secret"
)

func newFakeOAuth(t *testing.T) *fakeOAuth {
	f := &fakeOAuth{t: t, email: "alice@example.com", verified: true, grants: map[string]fakeGrant{}, tokens: map[string]fakeGrant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", f.authorizeHandler)
	mux.HandleFunc("POST /token", f.tokenHandler)
	mux.HandleFunc("GET /user/emails", f.identityHandler)
	mux.HandleFunc("GET /userinfo", f.identityHandler)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// provider is the fake as a provider named name: GitHub's shape, or
// with oidc, OpenID Connect's userinfo.
func (f *fakeOAuth) provider(name string, oidc bool) views.OAuthProvider {
	identity := views.GitHubEmails(f.srv.URL + "/user/emails")
	if oidc {
		identity = views.GoogleUserinfo(f.srv.URL + "/userinfo")
	}
	return views.OAuthProvider{Name: name, Label: "Fake " + name, ClientID: fakeClientID, ClientSecret: fakeClientSecret,
		Endpoint: oauth2.Endpoint{AuthURL: f.srv.URL + "/authorize", TokenURL: f.srv.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{"user:email"}, Identity: identity}
}

func (f *fakeOAuth) set(change func(f *fakeOAuth)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeOAuth) authorizeHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != fakeClientID || q.Get("response_type") != "code" || q.Get("state") == "" ||
		q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
		f.t.Errorf("authorize: bad request %s", r.URL.RawQuery)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	answer := url.Values{"state": {q.Get("state")}}
	if f.deny {
		answer.Set("error", "access_denied")
		answer.Set("error_description", "The user said no.\x00\n<script>")
	} else {
		code := "code-" + strings.ReplaceAll(time.Now().Format(time.RFC3339Nano), ":", "") + "-" + q.Get("state")[:6]
		f.grants[code] = fakeGrant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), email: f.email, verified: f.verified}
		answer.Set("code", code)
	}
	back.RawQuery = answer.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (f *fakeOAuth) tokenHandler(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exchanges++
	if f.tokenStatus != 0 {
		http.Error(w, "down", f.tokenStatus)
		return
	}
	refuse := func(desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": desc})
	}
	id, secret, _ := r.BasicAuth()
	if id != fakeClientID || secret != fakeClientSecret {
		refuse("client")
		return
	}
	code := r.PostFormValue("code")
	g, ok := f.grants[code]
	delete(f.grants, code) // a code works once
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	switch {
	case r.PostFormValue("grant_type") != "authorization_code" || !ok:
		refuse("unknown code")
		return
	case r.PostFormValue("redirect_uri") != g.redirect:
		refuse("redirect_uri")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		refuse("PKCE verification failed")
		return
	}
	tok := "token-" + code
	f.tokens[tok] = g
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 3600})
}

func (f *fakeOAuth) identityHandler(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	slow, status, body := f.slow, f.identityStatus, f.identityBody
	g, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	f.mu.Unlock()
	if slow {
		<-r.Context().Done() // until the views give up
		return
	}
	if status != 0 {
		http.Error(w, "no", status)
		return
	}
	if !ok {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if body != "" {
		w.Write([]byte(body))
		return
	}
	if r.URL.Path == "/userinfo" {
		json.NewEncoder(w).Encode(map[string]any{"sub": "1", "email": g.email, "email_verified": g.verified})
		return
	}
	json.NewEncoder(w).Encode([]map[string]any{
		{"email": "other@example.org", "primary": false, "verified": true},
		{"email": g.email, "primary": true, "verified": g.verified},
	})
}

// authorize visits the provider's authorization page at location, as the
// browser the views sent there, and returns the path and query on the
// views' server that the provider sends the browser back to (BaseURL's
// host stands for the test server).
func (f *fakeOAuth) authorize(location string) string {
	f.t.Helper()
	if !strings.HasPrefix(location, f.srv.URL+"/authorize?") {
		f.t.Fatalf("start sent the browser to %q", location)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(location)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Scheme+"://"+back.Host != "https://app.example.com" {
		f.t.Fatalf("the provider sent the browser to %q", resp.Header.Get("Location"))
	}
	return back.RequestURI()
}

// newOAuthEnv serves the views with OAuth providers "fake" (GitHub's
// shape) and "oidc" (OpenID Connect's userinfo), plus GET /private for
// logged-in users.
func newOAuthEnv(t *testing.T, change func(c *gatehouse.Config, v *views.Config)) (*viewEnv, *fakeOAuth) {
	t.Helper()
	f := newFakeOAuth(t)
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.OAuth = views.OAuthConfig{Enabled: true, Providers: []views.OAuthProvider{f.provider("fake", false), f.provider("oidc", true)},
			Client: f.srv.Client()}
		if change != nil {
			change(c, v)
		}
	}, func(m *gatehouse.Manager, _ *views.Views, mux *http.ServeMux) {
		mux.Handle("GET /private", m.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, _ := gatehouse.CurrentUser(r.Context())
			w.Write([]byte(u.Email))
		})))
	})
	return ve, f
}

// oauthStart POSTs b's login page's button for provider (with next, if
// not empty) and returns the answer.
func oauthStart(b *browserClient, provider, next string) answer {
	b.t.Helper()
	b.get("/login")
	path := "/login/oauthstart/" + provider
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	return b.post(path, nil)
}

// oauthLogin runs b through the whole flow: start, the provider, back.
func (f *fakeOAuth) oauthLogin(b *browserClient, provider, next string) answer {
	b.t.Helper()
	a := oauthStart(b, provider, next)
	if a.status != http.StatusSeeOther {
		b.t.Fatalf("start: %d %s", a.status, a.body)
	}
	return b.get(f.authorize(a.location))
}

func (b *browserClient) loggedInAs() string {
	b.t.Helper()
	if a := b.get("/private"); a.status == http.StatusOK {
		return a.body
	}
	return ""
}

func TestOAuthLogin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, provider, next, postLogin, want string
	}{
		{"next kept", "fake", "/reports?x=1", "", "/reports?x=1"},
		{"no next", "fake", "", "", "/"},
		{"PostLoginURL", "fake", "", "/welcome", "/welcome"},
		{"next over PostLoginURL", "fake", "/reports", "/welcome", "/reports"},
		{"unsafe next dropped", "fake", "https://evil.example/", "", "/"},
		{"OpenID Connect userinfo", "oidc", "/a", "", "/a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ve, f := newOAuthEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.OAuth.PostLoginURL = tc.postLogin })
			b := ve.browser()
			a := f.oauthLogin(b, tc.provider, tc.next)
			if a.status != http.StatusSeeOther || a.location != tc.want {
				t.Fatalf("response: %d to %q, want 303 to %q: %s", a.status, a.location, tc.want, a.body)
			}
			if who := b.loggedInAs(); who != "alice@example.com" {
				t.Fatalf("logged in as %q", who)
			}
			// The state cookie is gone, and its state spent.
			u, _ := url.Parse(ve.web.URL)
			for _, c := range b.c.Jar.Cookies(u) {
				if strings.HasSuffix(c.Name, "_oauth") {
					t.Errorf("state cookie left: %v", c)
				}
			}
		})
	}
}

// The login page offers a button per provider, each a form POSTing the
// CSRF token (and "next") to the start, and lets the form go to the
// providers' authorization pages (CSP form-action).
func TestOAuthLoginPage(t *testing.T) {
	t.Parallel()
	ve, f := newOAuthEnv(t, nil)
	resp, err := http.Get(ve.web.URL + "/login?next=%2Freports")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body := string(raw)
	for _, want := range []string{
		`action="/login/oauthstart/fake?next=%2freports"`, `action="/login/oauthstart/oidc?next=%2freports"`,
		"Continue with Fake fake", "Use Social Login to Sign In",
	} {
		if !strings.Contains(strings.ToLower(body), strings.ToLower(want)) {
			t.Errorf("login page lacks %s", want)
		}
	}
	if n := strings.Count(body, `name="csrf_token"`); n < 3 {
		t.Errorf("%d CSRF fields, want one per form", n)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+f.srv.URL+";") {
		t.Errorf("CSP %q does not let the buttons reach the provider", csp)
	}
	// A JSON front end is told the providers' names.
	c := ve.jsonClient()
	if _, resp, raw := c.do("GET", "/login", ""); !strings.Contains(raw, `"oauth_providers":["fake","oidc"]`) {
		t.Errorf("login JSON: %v", resp)
	}
}

// A JSON front end gets the provider's address to navigate to, and after
// the provider, the user.
func TestOAuthJSON(t *testing.T) {
	t.Parallel()
	ve, f := newOAuthEnv(t, nil)
	c := ve.jsonClient()
	c.do("GET", "/login", "")
	status, resp, raw := c.do("POST", "/login/oauthstart/fake", `{}`)
	location, _ := resp["location"].(string)
	if status != http.StatusOK || location == "" {
		t.Fatalf("JSON start: %d %s", status, raw)
	}
	status, resp, raw = c.do("GET", f.authorize(location), "")
	user, _ := resp["user"].(map[string]any)
	if status != http.StatusOK || user["email"] != "alice@example.com" {
		t.Fatalf("JSON response: %d %s", status, raw)
	}
	if status, _, raw := c.do("GET", "/session", ""); !strings.Contains(raw, `"authenticated":true`) {
		t.Errorf("session after JSON OAuth login: %d %s", status, raw)
	}
	// Logged in, the start is refused (Flask-Security: 400 for JSON).
	if status, _, raw := c.do("POST", "/login/oauthstart/fake", `{}`); status != http.StatusBadRequest {
		t.Errorf("start while logged in: %d %s", status, raw)
	}
}

// The start is a POST with the CSRF token, for a known provider.
func TestOAuthStartRefused(t *testing.T) {
	t.Parallel()
	ve, _ := newOAuthEnv(t, nil)
	for _, tc := range []struct {
		name, method, path, body string
		csrf                     bool
		want                     int
	}{
		{"GET", "GET", "/login/oauthstart/fake", "", true, http.StatusMethodNotAllowed},
		{"no CSRF token", "POST", "/login/oauthstart/fake", "{}", false, http.StatusBadRequest},
		{"unknown provider", "POST", "/login/oauthstart/nope", "{}", true, http.StatusNotFound},
		{"response for unknown provider", "GET", "/login/oauthresponse/nope?code=x&state=y", "", true, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ve.jsonClient()
			c.do("GET", "/login", "")
			if !tc.csrf {
				c.csrf = ""
			}
			if status, _, raw := c.do(tc.method, tc.path, tc.body); status != tc.want {
				t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, status, tc.want, raw)
			}
		})
	}
	// A browser's form without the token.
	b := ve.browser()
	b.get("/login")
	b.csrf = "wrong"
	if a := b.post("/login/oauthstart/fake", nil); a.status != http.StatusForbidden {
		t.Errorf("form with a wrong token: %d", a.status)
	}
	// A logged-in browser goes to PostLoginURL.
	jc := ve.jsonClient()
	jc.do("GET", "/login", "")
	jc.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`"}`)
	req, _ := http.NewRequest("POST", ve.web.URL+"/login/oauthstart/fake", strings.NewReader("csrf_token="+url.QueryEscape(jc.csrf)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := jc.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("start while logged in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// Everything that goes wrong on the way back is a clear 4xx (or a 503
// when the provider fails), the login page saying why, and no login.
func TestOAuthResponseRefused(t *testing.T) {
	t.Parallel()
	type flow struct {
		ve *viewEnv
		f  *fakeOAuth
		b  *browserClient
	}
	// back runs start and the provider and returns the path back.
	back := func(fl flow, provider string) string {
		a := oauthStart(fl.b, provider, "")
		return fl.f.authorize(a.location)
	}
	for _, tc := range []struct {
		name   string
		change func(v *views.Config)
		run    func(t *testing.T, fl flow) answer
		status int
		says   string
	}{
		{"state mismatch", nil, func(t *testing.T, fl flow) answer {
			p := back(fl, "fake")
			u, _ := url.Parse(p)
			q := u.Query()
			q.Set("state", q.Get("state")+"x")
			u.RawQuery = q.Encode()
			return fl.b.get(u.RequestURI())
		}, 400, "started in another browser"},
		{"no state cookie (another browser)", nil, func(t *testing.T, fl flow) answer {
			p := back(fl, "fake")
			return fl.ve.browser().get(p)
		}, 400, "started in another browser"},
		{"state of another provider", nil, func(t *testing.T, fl flow) answer {
			p := back(fl, "fake")
			return fl.b.get(strings.Replace(p, "/oauthresponse/fake", "/oauthresponse/oidc", 1))
		}, 400, "started in another browser"},
		{"expired state", nil, func(t *testing.T, fl flow) answer {
			p := back(fl, "fake")
			fl.ve.clock.Advance(11 * time.Minute)
			return fl.b.get(p)
		}, 400, "started in another browser"},
		{"replayed state", nil, func(t *testing.T, fl flow) answer {
			p := back(fl, "fake")
			u, _ := url.Parse(fl.ve.web.URL)
			var saved []*http.Cookie
			for _, c := range fl.b.c.Jar.Cookies(u) {
				if strings.HasSuffix(c.Name, "_oauth") {
					saved = append(saved, c)
				}
			}
			// Someone who copied the cookie and the URL uses them first;
			// then the browser they came from comes back with them.
			eve := fl.ve.browser()
			eve.c.Jar.SetCookies(u, saved)
			if a := eve.get(p); a.status != http.StatusSeeOther {
				t.Fatalf("first use: %d %s", a.status, a.body)
			}
			return fl.b.get(p)
		}, 400, "started in another browser"},
		{"wrong PKCE verifier (an injected code)", nil, func(t *testing.T, fl flow) answer {
			// Eve's code, from her own start, in Alice's browser with
			// Alice's state: the verifier is Alice's, the challenge Eve's.
			evePath, _ := url.Parse(back(flow{fl.ve, fl.f, fl.ve.browser()}, "fake"))
			alicePath, _ := url.Parse(back(fl, "fake"))
			q := alicePath.Query()
			q.Set("code", evePath.Query().Get("code"))
			alicePath.RawQuery = q.Encode()
			return fl.b.get(alicePath.RequestURI())
		}, 400, "invalid_grant - PKCE verification failed"},
		{"provider error", nil, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) { f.deny = true })
			return fl.b.get(back(fl, "fake"))
		}, 400, "access_denied - The user said no.&lt;script&gt;"},
		{"unverified email", nil, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) { f.verified = false })
			return fl.b.get(back(fl, "fake"))
		}, 400, "did not give a verified email address"},
		{"unverified email, OpenID Connect", nil, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) { f.verified = false })
			return fl.b.get(back(fl, "oidc"))
		}, 400, "did not give a verified email address"},
		{"not an address", nil, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) { f.email = "alice" }) // a username, if looked up as one
			return fl.b.get(back(fl, "oidc"))
		}, 400, "did not give a verified email address"},
		{"unknown email", nil, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) { f.email = "nobody@example.com" })
			a := fl.b.get(back(fl, "fake"))
			if _, err := fl.ve.m.FindUser(context.Background(), "nobody@example.com"); !errors.Is(err, gatehouse.ErrNotFound) {
				t.Errorf("an account was created: %v", err)
			}
			return a
		}, 400, "Identity nobody@example.com not registered"},
		{"inactive user", nil, func(t *testing.T, fl flow) answer {
			u := &gatehouse.User{Email: "bob@example.com", Active: false, ConfirmedAt: fl.ve.clock.Now()}
			if err := fl.ve.m.CreateUser(context.Background(), u, ""); err != nil {
				t.Fatal(err)
			}
			fl.f.set(func(f *fakeOAuth) { f.email = "bob@example.com" })
			return fl.b.get(back(fl, "fake"))
		}, 400, "Account is disabled."},
		{"unconfirmed user", func(v *views.Config) { v.Confirmable = true }, func(t *testing.T, fl flow) answer {
			u := &gatehouse.User{Email: "carol@example.com", Active: true}
			if err := fl.ve.m.CreateUser(context.Background(), u, "some password 123"); err != nil {
				t.Fatal(err)
			}
			fl.f.set(func(f *fakeOAuth) { f.email = "carol@example.com" })
			return fl.b.get(back(fl, "fake"))
		}, 400, "Email requires confirmation."},
		{"token endpoint 500", nil, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) { f.tokenStatus = 500 })
			return fl.b.get(back(fl, "fake"))
		}, 503, "could not be reached"},
		{"identity endpoint 502", nil, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) { f.identityStatus = 502 })
			return fl.b.get(back(fl, "oidc"))
		}, 503, "could not be reached"},
		{"identity endpoint 401", nil, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) { f.identityStatus = 401 })
			return fl.b.get(back(fl, "fake"))
		}, 400, "invalid_response - Unauthorized"},
		{"identity answer too long", nil, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) {
				f.identityBody = `{"email":"alice@example.com","email_verified":true,"x":"` + strings.Repeat("a", 70<<10) + `"}`
			})
			return fl.b.get(back(fl, "oidc"))
		}, 400, "An error occurred while communicating with the OAuth provider"},
		{"identity answer not JSON", nil, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) { f.identityBody = `<html>` })
			return fl.b.get(back(fl, "fake"))
		}, 400, "An error occurred while communicating with the OAuth provider"},
		{"slow provider", func(v *views.Config) { v.OAuth.Timeout = 100 * time.Millisecond }, func(t *testing.T, fl flow) answer {
			fl.f.set(func(f *fakeOAuth) { f.slow = true })
			return fl.b.get(back(fl, "fake"))
		}, 503, "could not be reached"},
		{"no code", nil, func(t *testing.T, fl flow) answer {
			u, _ := url.Parse(back(fl, "fake"))
			q := u.Query()
			q.Del("code")
			u.RawQuery = q.Encode()
			return fl.b.get(u.RequestURI())
		}, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ve, f := newOAuthEnv(t, func(_ *gatehouse.Config, v *views.Config) {
				if tc.change != nil {
					tc.change(v)
				}
			})
			fl := flow{ve, f, ve.browser()}
			fl.b.unavailable = tc.status == http.StatusServiceUnavailable
			a := tc.run(t, fl)
			if a.status != tc.status || !strings.Contains(a.body, tc.says) {
				t.Errorf("%d, want %d saying %q: %s", a.status, tc.status, tc.says, a.body)
			}
			if !strings.Contains(a.body, `action="/login/oauthstart/fake"`) {
				t.Error("the answer is not the login page with its buttons")
			}
			if tc.status == 503 && !strings.Contains(a.body, "Fake ") {
				t.Error("the 503 does not name the provider")
			}
			if who := fl.b.loggedInAs(); who != "" {
				t.Errorf("logged in as %s", who)
			}
		})
	}
}

// A refusal to a JSON client is the envelope with the message.
func TestOAuthResponseRefusedJSON(t *testing.T) {
	t.Parallel()
	ve, f := newOAuthEnv(t, nil)
	f.set(func(f *fakeOAuth) { f.email = "nobody@example.com" })
	c := ve.jsonClient()
	c.do("GET", "/login", "")
	_, resp, _ := c.do("POST", "/login/oauthstart/fake", `{}`)
	status, _, raw := c.do("GET", f.authorize(resp["location"].(string)), "")
	if status != http.StatusBadRequest || !strings.Contains(raw, `"errors":["Identity nobody@example.com not registered"]`) {
		t.Errorf("%d %s", status, raw)
	}
}

// A user with a second factor gives it after the provider, as after a
// password; a mailed code does not rescue such a login.
func TestOAuthSecondFactor(t *testing.T) {
	t.Parallel()
	ve, f := newOAuthEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.TwoFactor.Enabled = true
		v.Mail.PerAddress = gatehouse.Limit{Count: 1000, Per: time.Second}
	})
	c := ve.jsonClient()
	c.do("GET", "/login", "")
	c.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`"}`)
	secret, _ := enrolAuthenticator(t, ve, c)
	c.do("POST", "/logout", "")

	b := ve.browser()
	a := f.oauthLogin(b, "fake", "")
	if a.status != http.StatusSeeOther || a.location != "/tf-validate" {
		t.Fatalf("OAuth with a second factor: %d to %q", a.status, a.location)
	}
	if who := b.loggedInAs(); who != "" {
		t.Fatalf("logged in as %s before the second factor", who)
	}
	b.get("/tf-validate")
	if a := b.post("/tf-validate", map[string]string{"code": code(t, ve, secret)}); a.status != http.StatusSeeOther {
		t.Fatalf("tf-validate: %d %s", a.status, a.body)
	}
	if who := b.loggedInAs(); who != "alice@example.com" {
		t.Fatalf("after the second factor: logged in as %q", who)
	}

	// JSON: tf_required, and no mailed-code rescue.
	jc := ve.jsonClient()
	jc.do("GET", "/login", "")
	_, resp, _ := jc.do("POST", "/login/oauthstart/fake", `{}`)
	status, resp, raw := jc.do("GET", f.authorize(resp["location"].(string)), "")
	if status != http.StatusOK || resp["tf_required"] != true || resp["tf_state"] != "ready" {
		t.Fatalf("JSON OAuth with a second factor: %d %s", status, raw)
	}
	_, _, raw = jc.do("GET", "/tf-rescue", "")
	if strings.Contains(raw, `"email"`) || !strings.Contains(raw, `"recovery_code"`) {
		t.Errorf("rescue options after OAuth: %s", raw)
	}
}

// OAuth logins are capped per client.
func TestOAuthPerClient(t *testing.T) {
	t.Parallel()
	ve, f := newOAuthEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.OAuth.PerClient = gatehouse.Limit{Count: 1, Per: time.Hour}
	})
	if a := f.oauthLogin(ve.browser(), "fake", ""); a.status != http.StatusSeeOther {
		t.Fatalf("first: %d", a.status)
	}
	exchanges := func() int { f.mu.Lock(); defer f.mu.Unlock(); return f.exchanges }
	before := exchanges()
	if a := f.oauthLogin(ve.browser(), "fake", ""); a.status != http.StatusTooManyRequests {
		t.Fatalf("second: %d", a.status)
	}
	if exchanges() != before {
		t.Error("a throttled login still called the provider")
	}
}

// OAuth hooks: a login is the engine's LoggedIn, an unknown address its
// LoginFailed.
func TestOAuthHooks(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var events []string
	ve, f := newOAuthEnv(t, func(c *gatehouse.Config, _ *views.Config) {
		c.Hooks.LoggedIn = func(_ context.Context, u *gatehouse.User) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, "in "+u.Email)
		}
		c.Hooks.LoginFailed = func(_ context.Context, identity, reason, _ string) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, reason+" "+identity)
		}
	})
	f.oauthLogin(ve.browser(), "fake", "")
	f.set(func(f *fakeOAuth) { f.email = "nobody@example.com" })
	f.oauthLogin(ve.browser(), "fake", "")
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(events, ", "); got != "in alice@example.com, unknown_account nobody@example.com" {
		t.Errorf("hooks: %s", got)
	}
}

func TestOAuthConfigErrors(t *testing.T) {
	t.Parallel()
	good := views.GitHubProvider("id", "secret")
	for _, tc := range []struct {
		name string
		cfg  views.OAuthConfig
		base string
		says string
	}{
		{"no providers", views.OAuthConfig{Enabled: true}, "https://example.com", "at least one provider"},
		{"no BaseURL", views.OAuthConfig{Enabled: true, Providers: []views.OAuthProvider{good}}, "", "BaseURL"},
		{"bad name", views.OAuthConfig{Enabled: true, Providers: []views.OAuthProvider{{Name: "Git Hub", ClientID: "x",
			Endpoint: good.Endpoint, Identity: good.Identity}}}, "https://example.com", "not a provider name"},
		{"twice", views.OAuthConfig{Enabled: true, Providers: []views.OAuthProvider{good, good}}, "https://example.com", "named twice"},
		{"no identity", views.OAuthConfig{Enabled: true, Providers: []views.OAuthProvider{{Name: "x", ClientID: "x", Endpoint: good.Endpoint}}}, "https://example.com", "no Identity"},
		{"no endpoint", views.OAuthConfig{Enabled: true, Providers: []views.OAuthProvider{{Name: "x", ClientID: "x", Identity: good.Identity}}}, "https://example.com", "Endpoint"},
		{"no client ID", views.OAuthConfig{Enabled: true, Providers: []views.OAuthProvider{views.GoogleProvider("", "")}}, "https://example.com", "no ClientID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ve := newViewEnv(t, nil, nil)
			_, err := views.New(ve.m, views.Config{BaseURL: tc.base, OAuth: tc.cfg})
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want one saying %q", err, tc.says)
			}
		})
	}
}
