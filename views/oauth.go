package views

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"
)

// Sign-in with an external OAuth 2.0 provider (Flask-Security's
// OAUTH_ENABLE, oauth_glue.py). The login page's button POSTs, with the
// CSRF token, to the start view, which sends the browser to the
// provider's authorization page with a random state and a PKCE challenge,
// both kept in a sealed, short-lived cookie of this browser's. The
// provider sends the browser back to the response view, which checks the
// state against the cookie (once: a state is spent when used), exchanges
// the code with the PKCE verifier, asks the provider for the account's
// verified email address, and logs in the existing user who has it: never
// creating one. A second factor, if the user has one, is asked for as
// after a password.

// OAuthConfig configures sign-in with external OAuth 2.0 providers
// (Flask-Security's OAUTH_ENABLE): the login page shows a button for each
// provider, and a user whose verified email address at the provider is
// that of an existing, active account logs in to it. No account is ever
// created from a provider's answer.
type OAuthConfig struct {
	// Enabled turns on the start and response views and the login page's
	// buttons. It needs BaseURL (the address the provider sends browsers
	// back to is built from it, never from the request's Host) and at
	// least one provider.
	Enabled bool
	// Providers are the providers offered, in the login page's order:
	// GitHubProvider and GoogleProvider (Flask-Security's
	// OAUTH_BUILTIN_PROVIDERS), or any OAuthProvider
	// (register_provider_ext). Names must differ.
	Providers []OAuthProvider
	// StartPath and ResponsePath are the views' paths under Prefix; the
	// provider's name follows them. Register BaseURL + Prefix +
	// ResponsePath + "/" + Name as the redirect URI at the provider.
	// Defaults: "/login/oauthstart", "/login/oauthresponse"
	// (OAUTH_START_URL, OAUTH_RESPONSE_URL).
	StartPath, ResponsePath string
	// VerifyStartPath and VerifyResponsePath are the re-authentication
	// views' (OAUTH_VERIFY_START_URL, OAUTH_VERIFY_RESPONSE_URL): a
	// logged-in user whose login is no longer fresh proves it again at
	// the provider, from the verify page's buttons. Register BaseURL +
	// Prefix + VerifyResponsePath + "/" + Name at the provider too.
	// Defaults: "/login/oauth-verify-start", "/login/oauth-verify-response".
	VerifyStartPath, VerifyResponsePath string
	// PostLoginURL is where browsers go after an OAuth login that has no
	// "next" (POST_OAUTH_LOGIN_VIEW). Default: the engine's PostLoginURL.
	PostLoginURL string
	// Within is how long a user has at the provider before the state it
	// was sent with expires. Default: 10 minutes.
	Within time.Duration
	// Timeout bounds the calls to the provider when the browser comes back
	// (the code exchange and the identity request, together): past it the
	// answer is a 503 saying the provider could not be reached. Default:
	// 10 seconds.
	Timeout time.Duration
	// Client makes the calls to providers. Default: a client of its own
	// whose requests time out after Timeout.
	Client *http.Client
	// PerClient caps the OAuth logins one client may complete (each costs
	// calls to the provider); past it the answer is 429. Default: 30 an
	// hour.
	PerClient gatehouse.Limit
}

// OAuthProvider is an OAuth 2.0 provider users may sign in with.
type OAuthProvider struct {
	// Name names the provider in URLs: lower-case letters, digits, "-" and
	// "_" ("github").
	Name string
	// Label is the provider's name as the login page's button shows it
	// ("GitHub"). Default: Name.
	Label string
	// ClientID and ClientSecret are the application's credentials at the
	// provider.
	ClientID, ClientSecret string
	// Endpoint is the provider's authorization and token URLs
	// (golang.org/x/oauth2/endpoints has many).
	Endpoint oauth2.Endpoint
	// Scopes are asked for: enough to read the account's email address
	// ("user:email" at GitHub, "openid email" at Google).
	Scopes []string
	// Identity turns the token into the account's verified email address.
	// Required.
	Identity OAuthIdentity
}

// OAuthIdentity returns the verified email address of the account token
// is for (Flask-Security's fetch_identity_cb). client sends the token
// with every request and ctx carries the deadline. It returns an error
// wrapping ErrOAuthUnverified when the provider has no verified address
// for the account, and one wrapping ErrOAuthUnavailable when the provider
// failed (a 5xx); a network error or a deadline counts as the latter.
type OAuthIdentity func(ctx context.Context, client *http.Client, token *oauth2.Token) (email string, err error)

var (
	// ErrOAuthUnverified is returned by an OAuthIdentity when the provider
	// gives no verified email address for the account: a login is refused
	// then, for an unverified address could be anybody's.
	ErrOAuthUnverified = errors.New("views: the OAuth provider gives no verified email address")
	// ErrOAuthUnavailable is returned by an OAuthIdentity when the
	// provider failed to answer (a 5xx or 429): the login is refused with
	// a 503, to be tried again.
	ErrOAuthUnavailable = errors.New("views: the OAuth provider is unavailable")
)

// GitHubProvider is GitHub (Flask-Security's built-in "github"): the
// account's primary address, if GitHub has verified it.
func GitHubProvider(clientID, clientSecret string) OAuthProvider {
	return OAuthProvider{Name: "github", Label: "GitHub", ClientID: clientID, ClientSecret: clientSecret,
		Endpoint: endpoints.GitHub, Scopes: []string{"user:email"}, Identity: GitHubEmails("https://api.github.com/user/emails")}
}

// GoogleProvider is Google (Flask-Security's built-in "google"): the
// account's address, if Google has verified it.
func GoogleProvider(clientID, clientSecret string) OAuthProvider {
	return OAuthProvider{Name: "google", Label: "Google", ClientID: clientID, ClientSecret: clientSecret,
		Endpoint: endpoints.Google, Scopes: []string{"openid", "email"},
		Identity: GoogleUserinfo("https://openidconnect.googleapis.com/v1/userinfo")}
}

// GitHubEmails reads the account's primary, verified address from
// GitHub's list of the user's addresses at url (GitHub's API:
// https://api.github.com/user/emails, or a GitHub Enterprise server's).
func GitHubEmails(url string) OAuthIdentity {
	return func(ctx context.Context, client *http.Client, _ *oauth2.Token) (string, error) {
		body, err := getIdentity(ctx, client, url, "application/vnd.github+json")
		if err != nil {
			return "", err
		}
		return parseGitHubEmails(body)
	}
}

// GoogleUserinfo reads the account's address and whether Google verified
// it from the OpenID Connect userinfo endpoint at url
// (https://openidconnect.googleapis.com/v1/userinfo).
func GoogleUserinfo(url string) OAuthIdentity {
	return func(ctx context.Context, client *http.Client, _ *oauth2.Token) (string, error) {
		body, err := getIdentity(ctx, client, url, "application/json")
		if err != nil {
			return "", err
		}
		return parseUserinfo(body)
	}
}

// maxIdentityBytes caps a provider's identity answer.
const maxIdentityBytes = 64 << 10

// statusError is a provider's answer with an unexpected status.
type statusError struct{ status int }

func (e *statusError) Error() string {
	return fmt.Sprintf("views: the OAuth provider answered %d", e.status)
}

// getIdentity GETs url with client, and returns the body of a 2xx answer
// of at most maxIdentityBytes.
func getIdentity(ctx context.Context, client *http.Client, url, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("%w: %w", ErrOAuthUnavailable, &statusError{resp.StatusCode})
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, &statusError{resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIdentityBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxIdentityBytes {
		return nil, errors.New("views: the OAuth provider's answer is too long")
	}
	return body, nil
}

// parseGitHubEmails picks the primary, verified address from GitHub's
// list of a user's addresses.
func parseGitHubEmails(body []byte) (string, error) {
	var list []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return "", errors.New("views: GitHub's list of addresses is not JSON")
	}
	for _, e := range list {
		if e.Primary && e.Verified && e.Email != "" {
			return e.Email, nil
		}
	}
	return "", ErrOAuthUnverified
}

// parseUserinfo reads an OpenID Connect userinfo answer: its email, if
// email_verified (a boolean, or the string "true" some providers send).
func parseUserinfo(body []byte) (string, error) {
	var info struct {
		Email    string          `json:"email"`
		Verified json.RawMessage `json:"email_verified"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return "", errors.New("views: the userinfo answer is not a JSON object")
	}
	if v := string(info.Verified); info.Email == "" || v != "true" && v != `"true"` {
		return "", ErrOAuthUnverified
	}
	return info.Email, nil
}

// oauthProvider is a configured provider, ready to use.
type oauthProvider struct {
	OAuthProvider
	conf   *oauth2.Config // for logins
	verify *oauth2.Config // for re-authentication: another redirect URI
}

// oauthDefaults fills in OAuth and checks it.
func (c *Config) oauthDefaults() []error {
	o := &c.OAuth
	if o.StartPath == "" {
		o.StartPath = "/login/oauthstart"
	}
	if o.ResponsePath == "" {
		o.ResponsePath = "/login/oauthresponse"
	}
	if o.VerifyStartPath == "" {
		o.VerifyStartPath = "/login/oauth-verify-start"
	}
	if o.VerifyResponsePath == "" {
		o.VerifyResponsePath = "/login/oauth-verify-response"
	}
	if o.Within <= 0 {
		o.Within = 10 * time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.PerClient.Count <= 0 {
		o.PerClient = gatehouse.Limit{Count: 30, Per: time.Hour}
	}
	if !o.Enabled {
		return nil
	}
	var errs []error
	o.Providers = slices.Clone(o.Providers) // the caller's stay as they are
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.Timeout}
	}
	if u, err := url.Parse(c.BaseURL); c.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("missing BaseURL (such as https://example.com): OAuth providers send browsers back to an address built from it"))
	}
	if len(o.Providers) == 0 {
		errs = append(errs, errors.New("OAuth.Enabled needs at least one provider in OAuth.Providers"))
	}
	seen := map[string]bool{}
	for i := range o.Providers {
		p := &o.Providers[i]
		if p.Name == "" || len(p.Name) > 32 || strings.Trim(p.Name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			errs = append(errs, fmt.Errorf("OAuth.Providers: %q is not a provider name (lower-case letters, digits, - and _)", p.Name))
		}
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("OAuth.Providers: %q is named twice", p.Name))
		}
		seen[p.Name] = true
		if p.Label == "" {
			p.Label = p.Name
		}
		if p.ClientID == "" {
			errs = append(errs, fmt.Errorf("OAuth.Providers: %q has no ClientID", p.Name))
		}
		if p.Identity == nil {
			errs = append(errs, fmt.Errorf("OAuth.Providers: %q has no Identity: the views need the account's verified email address", p.Name))
		}
		for _, e := range []string{p.Endpoint.AuthURL, p.Endpoint.TokenURL} {
			if u, err := url.Parse(e); e == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs = append(errs, fmt.Errorf("OAuth.Providers: %q needs an Endpoint with http(s) AuthURL and TokenURL", p.Name))
				break
			}
		}
	}
	return errs
}

// setUpOAuth makes the providers' oauth2 configs, and adds their
// authorization pages' origins to where the login page's forms may go
// (Content-Security-Policy form-action: browsers apply it to the
// redirect that follows the button's POST).
func (v *Views) setUpOAuth() {
	o := v.cfg.OAuth
	if !o.Enabled {
		return
	}
	v.oauth = make(map[string]*oauthProvider, len(o.Providers))
	site := strings.TrimSuffix(v.cfg.BaseURL, "/") + v.cfg.Prefix
	for _, p := range o.Providers {
		conf := &oauth2.Config{
			ClientID: p.ClientID, ClientSecret: p.ClientSecret, Endpoint: p.Endpoint, Scopes: slices.Clone(p.Scopes),
			RedirectURL: site + o.ResponsePath + "/" + p.Name,
		}
		verify := *conf
		verify.RedirectURL = site + o.VerifyResponsePath + "/" + p.Name
		v.oauth[p.Name] = &oauthProvider{OAuthProvider: p, conf: conf, verify: &verify}
		if u, err := url.Parse(p.Endpoint.AuthURL); err == nil {
			if origin := u.Scheme + "://" + u.Host; !slices.Contains(v.formOrigins, origin) {
				v.formOrigins = append(v.formOrigins, origin)
			}
		}
	}
}

// oauthButtons are the login page's buttons (or the verify page's, which
// start a re-authentication), one per provider.
func (v *Views) oauthButtons(r *http.Request, verify bool) []oauthButton {
	if !v.cfg.OAuth.Enabled {
		return nil
	}
	start := v.cfg.OAuth.StartPath
	if verify {
		start = v.cfg.OAuth.VerifyStartPath
	}
	var bs []oauthButton
	for _, p := range v.cfg.OAuth.Providers {
		bs = append(bs, oauthButton{Name: p.Name, Label: p.Label, Action: v.withNext(r, v.cfg.Prefix+start+"/"+p.Name)})
	}
	return bs
}

// oauthButton is a provider's button on the login page: a form POSTing
// to Action.
type oauthButton struct{ Name, Label, Action string }

// oauthNames are the providers' names, for the login view's JSON.
func (v *Views) oauthNames() []string {
	names := []string{}
	for _, p := range v.cfg.OAuth.Providers {
		names = append(names, p.Name)
	}
	return names
}

// oauthState is what the state cookie keeps between start and response.
type oauthState struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Verifier string `json:"v"` // the PKCE code verifier
	Next     string `json:"n,omitempty"`
	Remember bool   `json:"r,omitempty"`
	Verify   string `json:"u,omitempty"` // re-authentication: the logged-in user's ID
}

// oauthCookie is the state's cookie: the session cookie's attributes but
// SameSite=Lax, which the provider's redirect back needs (a Strict
// cookie is not sent on it), and "_oauth" after its name.
func (v *Views) oauthCookie(value string, maxAge int) *http.Cookie {
	c := v.linkCookie(value, maxAge)
	c.Name = v.auth.Config().Cookie.Name + "_oauth"
	c.SameSite = http.SameSiteLaxMode
	return c
}

// oauthStartView serves POST on StartPath/{name} (Flask-Security's
// oauthstart): the CSRF token checked, it sends the browser to the
// provider's authorization page (303), or gives a JSON client its
// address ({"location": ...}) to navigate to. "next", if safe, is kept
// for after the login. A logged-in user is sent to PostLoginURL (JSON:
// 400). The form may say "remember".
func (v *Views) oauthStartView() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, f, ok := v.oauthStartRequest(w, r)
		if !ok {
			return
		}
		if _, ok := gatehouse.CurrentUser(r.Context()); ok {
			v.auth.Deny(w, r, gatehouse.ErrAnonymousRequired)
			return
		}
		st := oauthState{Provider: p.Name, Next: v.oauthNext(w, r, f), Remember: f.bool("remember", v.cfg.DefaultRemember)}
		v.log.InfoContext(r.Context(), "views: OAuth login started", "event", "oauth_start", "provider", p.Name)
		v.oauthRedirect(w, r, p.conf, st)
	})
}

// oauthStartRequest reads a start's POST: the provider named in the path
// (404 if none), the body, its CSRF token. ok is false once answered.
func (v *Views) oauthStartRequest(w http.ResponseWriter, r *http.Request) (*oauthProvider, form, bool) {
	p, ok := v.oauth[r.PathValue("name")]
	if !ok {
		v.auth.WriteError(w, r, gatehouse.ErrNotFound)
		return nil, nil, false
	}
	f, err := decodeBody(w, r)
	if err != nil {
		v.writeError(w, r, err)
		return nil, nil, false
	}
	if err := v.auth.CheckCSRF(r, f["csrf_token"]); err != nil {
		v.auth.WriteError(w, r, err)
		return nil, nil, false
	}
	return p, f, true
}

// oauthNext is a start's "next" (query or body), if it stays on the site;
// one that leaves it is dropped, and browsers are told.
func (v *Views) oauthNext(w http.ResponseWriter, r *http.Request, f form) string {
	next := r.URL.Query().Get("next")
	if next == "" {
		next = f["next"]
	}
	if next != "" && !gatehouse.IsSafeRedirect(next, v.allowedHosts) {
		if !gatehouse.WantsJSON(r) {
			v.flash(w, r, "error", i18n.InvalidRedirect)
		}
		return ""
	}
	return next
}

// oauthRedirect completes st with a fresh state and PKCE verifier, seals
// it into the browser's state cookie, and sends the browser to conf's
// authorization page (a JSON client gets its address as "location").
func (v *Views) oauthRedirect(w http.ResponseWriter, r *http.Request, conf *oauth2.Config, st oauthState) {
	st.State, st.Verifier = rand.Text(), oauth2.GenerateVerifier()
	within := v.cfg.OAuth.Within
	http.SetCookie(w, v.oauthCookie(v.seal.sealText("oauth state", st, v.cfg.Now().Add(within)), int(within/time.Second)))
	location := conf.AuthCodeURL(st.State, oauth2.S256ChallengeOption(st.Verifier))
	w.Header().Set("Cache-Control", "no-store")
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, map[string]any{"location": location})
		return
	}
	http.Redirect(w, r, location, http.StatusSeeOther)
}

// oauthResponseView serves GET on ResponsePath/{name}, where the
// provider sends the browser back (Flask-Security's oauthresponse). It
// logs in the existing user whose address the provider verified, or asks
// for their second factor, and sends the browser on to "next" (from the
// start), else OAuth.PostLoginURL, else PostLoginURL. A failure is the
// login page (JSON: the envelope) saying why: 400 for a state that is
// missing, wrong, expired or used, an error from the provider, a refused
// code, an address that is not verified, not registered, or whose account
// may not log in; 503 when the provider fails or is too slow; 429 past
// OAuth.PerClient.
func (v *Views) oauthResponseView() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Referrer-Policy", "no-referrer") // the URL holds the code
		h.Set("Cache-Control", "no-store")
		p, ok := v.oauth[r.PathValue("name")]
		if !ok {
			v.auth.WriteError(w, r, gatehouse.ErrNotFound)
			return
		}
		v.oauthResponse(w, r, p)
	})
}

func (v *Views) oauthResponse(w http.ResponseWriter, r *http.Request, p *oauthProvider) {
	ctx := r.Context()
	log := v.log.With("provider", p.Name)
	st, err := v.takeOAuthState(w, r, p.Name)
	if err == nil && st.Verify != "" {
		err = fmt.Errorf("%w: a re-authentication's state", errUnsealed)
	}
	if err != nil {
		if errors.Is(err, errUnsealed) || errors.Is(err, errExpired) || errors.Is(err, gatehouse.ErrRateLimited) {
			log.InfoContext(ctx, "views: OAuth login refused: bad state", "event", "oauth_failed", "reason", "state", "err", err)
			v.oauthFailed(w, r, http.StatusBadRequest, v.text(r, i18n.OAuthStateInvalid))
			return
		}
		v.auth.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" || q.Get("code") == "" {
		if e == "" {
			e = "invalid_request"
		}
		log.InfoContext(ctx, "views: OAuth login refused by the provider", "event", "oauth_failed", "reason", "provider_error", "error", providerText(e, 64))
		v.oauthFailed(w, r, http.StatusBadRequest, v.text(r, i18n.OAuthHandshakeError,
			"exerror", providerText(e, 64), "exdesc", providerText(q.Get("error_description"), 200)))
		return
	}
	if err := v.auth.Allow(r, "oauth login", "", v.cfg.OAuth.PerClient); err != nil {
		log.InfoContext(ctx, "views: OAuth login refused: too many", "event", "oauth_failed", "reason", "throttled")
		v.auth.WriteError(w, r, err)
		return
	}
	email, err := v.oauthIdentity(ctx, p, p.conf, q.Get("code"), st.Verifier)
	if err != nil {
		status, msg := v.providerFailure(r, p, err)
		log.WarnContext(ctx, "views: OAuth login failed at the provider", "event", "oauth_failed", "reason", "provider", "status", status, "err", err)
		v.oauthFailed(w, r, status, msg)
		return
	}
	u, err := v.auth.FindUser(ctx, email)
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		log.InfoContext(ctx, "views: OAuth login refused: no such account", "event", "oauth_failed", "reason", "unknown_account")
		if hook := v.auth.Config().Hooks.LoginFailed; hook != nil {
			hook(ctx, email, "unknown_account", v.clientOf(r))
		}
		// The address is the caller's own, proven at the provider: showing
		// it tells nothing of anyone else's (as Flask-Security does).
		v.oauthFailed(w, r, http.StatusBadRequest, v.text(r, i18n.IdentityNotRegistered, "id", email))
		return
	case err != nil:
		v.auth.WriteError(w, r, err)
		return
	case !sameAddress(email, u.Email):
		// The lookup folds case and Unicode spellings; the provider's
		// verified address must be the account's itself, but for ASCII
		// case ("ſam@" is another mailbox than "sam@").
		log.InfoContext(ctx, "views: OAuth login refused: another spelling of an address", "event", "oauth_failed", "reason", "spelling", "user_id", u.ID)
		v.oauthFailed(w, r, http.StatusBadRequest, v.text(r, i18n.IdentityNotRegistered, "id", email))
		return
	case !u.Active:
		log.InfoContext(ctx, "views: OAuth login refused: account disabled", "event", "oauth_failed", "reason", "inactive", "user_id", u.ID)
		v.oauthFailed(w, r, http.StatusBadRequest, v.text(r, i18n.DisabledAccount))
		return
	case !v.loginAllowed(u):
		// Unconfirmed: whoever registered the address may not have been its
		// owner, and may know the account's password (a pre-hijacked
		// account): its owner confirms it first.
		log.InfoContext(ctx, "views: OAuth login refused: address not confirmed", "event", "oauth_failed", "reason", "unconfirmed", "user_id", u.ID)
		v.oauthFailed(w, r, http.StatusBadRequest, v.text(r, i18n.ConfirmationRequired))
		return
	}
	// "next" from the start goes where a login form's would: the request's.
	r2 := r.Clone(ctx)
	r2.URL.RawQuery = ""
	if st.Next != "" {
		r2.URL.RawQuery = url.Values{"next": {st.Next}}.Encode()
	}
	handled, err := v.signIn(w, r2, u, gatehouse.LoginOptions{Remember: st.Remember}, viaOAuth)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if handled {
		return
	}
	log.InfoContext(ctx, "views: OAuth login", "event", "oauth_login", "user_id", u.ID)
	if gatehouse.WantsJSON(r) {
		v.ok(w, r2, v.tfNotRequired(map[string]any{"user": v.loginPayload(r, u)}))
		return
	}
	target := v.auth.NextURL(w, r2)
	if st.Next == "" && v.cfg.OAuth.PostLoginURL != "" && target == v.auth.Config().PostLoginURL {
		target = v.cfg.OAuth.PostLoginURL
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// takeOAuthState reads the state cookie, clears it, and checks it: made
// for provider, not expired, the state the provider sent back (compared in
// constant time), and not used before: a state is spent once, in every
// process (the limiter records it). The error is errUnsealed or
// errExpired for a bad state, one wrapping ErrRateLimited for a used one,
// else the limiter's.
func (v *Views) takeOAuthState(w http.ResponseWriter, r *http.Request, provider string) (*oauthState, error) {
	c, err := r.Cookie(v.auth.Config().Cookie.Name + "_oauth")
	if err != nil {
		return nil, fmt.Errorf("%w: no state cookie", errUnsealed)
	}
	http.SetCookie(w, v.oauthCookie("", -1))
	st := &oauthState{}
	if err := v.seal.openText("oauth state", c.Value, st, v.cfg.Now()); err != nil {
		return nil, err
	}
	got := r.URL.Query().Get("state")
	if st.Provider != provider || st.State == "" || subtle.ConstantTimeCompare([]byte(got), []byte(st.State)) != 1 {
		return nil, fmt.Errorf("%w: state mismatch", errUnsealed)
	}
	sum := sha256.Sum256([]byte("views oauth state\x00" + st.State))
	if err := v.auth.Allow(r, "oauth state", hex.EncodeToString(sum[:]), gatehouse.Limit{Count: 1, Per: v.cfg.OAuth.Within}); err != nil {
		return nil, err
	}
	return st, nil
}

// oauthIdentity exchanges code (with the PKCE verifier) for a token and
// asks the provider for the account's verified address, within
// OAuth.Timeout.
func (v *Views) oauthIdentity(ctx context.Context, p *oauthProvider, conf *oauth2.Config, code, verifier string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, v.cfg.OAuth.Timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, v.cfg.OAuth.Client)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return "", err
	}
	email, err := p.Identity(ctx, conf.Client(ctx, tok), tok)
	if err != nil {
		return "", err
	}
	email = strings.TrimSpace(email)
	// An address, and nothing else: the engine would look a string without
	// "@" up as a username.
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" || len(email) > 254 {
		return "", fmt.Errorf("%w: not an email address", ErrOAuthUnverified)
	}
	return email, nil
}

// providerFailure is the status and message for a failure of the
// provider's: its refusal of the code (400, with its error), no verified
// address (400), or its failing or slowness (503).
func (v *Views) providerFailure(r *http.Request, p *oauthProvider, err error) (int, string) {
	var re *oauth2.RetrieveError
	var se *statusError
	var ne net.Error
	switch {
	case errors.Is(err, ErrOAuthUnverified):
		return http.StatusBadRequest, v.text(r, i18n.OAuthEmailUnverified, "provider", p.Label)
	case errors.As(err, &re) && re.ErrorCode != "":
		return http.StatusBadRequest, v.text(r, i18n.OAuthHandshakeError,
			"exerror", providerText(re.ErrorCode, 64), "exdesc", providerText(re.ErrorDescription, 200))
	case errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests),
		errors.Is(err, ErrOAuthUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.As(err, &ne):
		return http.StatusServiceUnavailable, v.text(r, i18n.OAuthProviderUnavailable, "provider", p.Label)
	case errors.As(err, &re) && re.Response != nil:
		return http.StatusBadRequest, v.text(r, i18n.OAuthHandshakeError, "exerror", "invalid_response", "exdesc", re.Response.Status)
	case errors.As(err, &se):
		return http.StatusBadRequest, v.text(r, i18n.OAuthHandshakeError, "exerror", "invalid_response", "exdesc", http.StatusText(se.status))
	}
	return http.StatusBadRequest, v.text(r, i18n.OAuthHandshakeError, "exerror", "invalid_response", "exdesc", p.Label)
}

// oauthFailed answers a failed OAuth login: the envelope with the
// message, or the login page saying it, with status.
func (v *Views) oauthFailed(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "30")
	}
	if gatehouse.WantsJSON(r) {
		WriteJSON(w, status, ErrorResponse{Errors: []string{msg}})
		return
	}
	pg := v.loginPage(r, nil)
	pg.Action = v.cfg.Prefix + v.cfg.LoginPath
	pg.Errors = []string{msg}
	v.render(w, r, status, "login", i18n.UILogin, pg)
}

// providerText is what a provider sent (an error code, a description),
// made safe to show: printable ASCII (RFC 6749's alphabet for both), at
// most max bytes.
func providerText(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < max; i++ {
		if c := s[i]; c >= 0x20 && c <= 0x7e {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// clientOf is the client's address as the engine sees it, for hooks.
func (v *Views) clientOf(r *http.Request) string {
	if ip := v.auth.Config().ClientIP; ip != nil {
		if a := ip(r); a.IsValid() {
			return a.String()
		}
	}
	return ""
}

// sameAddress reports whether a and b are one address: equal but for the
// case of ASCII letters.
func sameAddress(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
