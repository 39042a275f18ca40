package views

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// loginView serves GET and POST on the login path (Flask-Security's
// /login). GET: the form, or {csrf_token, identity_attributes} as JSON.
// POST: email (or username, or identity) and password, optional remember;
// "?include_auth_token" adds user.authentication_token when the engine's
// TokenAuth is on. With Passwordless on, a POST with an email and no
// password mails a login link instead.
//
// Unknown users, wrong passwords and inactive accounts get the same answer,
// byte for byte and in the same hashing time; an unconfirmed account says
// so only after the right password (DetailedErrors restores
// Flask-Security's detailed messages).
// LoginURL returns the address of the login page with next as its
// "next" parameter (Flask-Login's login_url(login_view, next_url)): the
// engine's Config.LoginURL if set, else where the login view is mounted;
// a next that would leave the site (see gatehouse.IsSafeRedirect) is left
// out.
func (v *Views) LoginURL(next string) string {
	target := v.auth.Config().LoginURL
	if target == "" {
		target = v.cfg.Prefix + v.cfg.LoginPath
	}
	if next == "" || !gatehouse.IsSafeRedirect(next, v.allowedHosts) {
		return target
	}
	u, err := url.Parse(target)
	if err != nil { // the engine's New checked it
		return target
	}
	q := u.Query()
	q.Set("next", next)
	u.RawQuery = q.Encode()
	return u.String()
}

func (v *Views) loginView() http.Handler {
	return v.view(v.loginGet, v.loginPost)
}

func (v *Views) loginGet(w http.ResponseWriter, r *http.Request) {
	if gatehouse.WantsJSON(r) {
		resp := map[string]any{"identity_attributes": v.auth.Config().IdentityAttributes}
		if v.cfg.OAuth.Enabled {
			// As Flask-Security's verify view says them, for a front end's buttons.
			resp["oauth_providers"] = v.oauthNames()
		}
		v.ok(w, r, resp)
		return
	}
	// A fresh login goes on to "next"; a stale one is shown the form, so a
	// RefreshURL pointing here asks for the password instead of sending
	// the browser back and forth.
	if _, err := v.auth.Check(r, gatehouse.Policy{Fresh: true}); err == nil {
		http.Redirect(w, r, v.nextURL(w, r), http.StatusSeeOther)
		return
	}
	v.render(w, r, http.StatusOK, "login", i18n.UILogin, v.loginPage(r, nil))
}

func (v *Views) loginPage(r *http.Request, f form) page {
	p := page{Action: v.withNext(r, v.cfg.Prefix+v.cfg.LoginPath), Remember: v.cfg.DefaultRemember}
	if f != nil {
		p.Form = map[string]string{"email": f.identity()}
		p.Remember = f.bool("remember", v.cfg.DefaultRemember)
	}
	return p
}

// withNext carries r's "next" on to action, a form's target, if it is a
// safe place to go.
func (v *Views) withNext(r *http.Request, action string) string {
	next := r.URL.Query().Get("next")
	if next == "" || !gatehouse.IsSafeRedirect(next, v.auth.Config().AllowedRedirectHosts) {
		return action
	}
	return action + "?next=" + url.QueryEscape(next)
}

// identity is the login field the client used.
func (f form) identity() string {
	for _, k := range []string{"email", "username", "identity"} {
		if v := strings.TrimSpace(f[k]); v != "" {
			return v
		}
	}
	return ""
}

func (v *Views) loginPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	identity, pw := f.identity(), f["password"]
	_, hasPassword := f["password"]
	// Passwordless: the page's own form says so; a JSON client sends an
	// email and no password field at all (docs/json-api.md). A browser form
	// with an empty password is a mistake to point out, not a mail to send.
	if v.cfg.Passwordless && (f.bool("passwordless", false) || gatehouse.WantsJSON(r) && !hasPassword && identity != "") {
		if identity == "" {
			identity = strings.TrimSpace(f["passwordless-email"])
		}
		if _, ok := gatehouse.CurrentUser(ctx); ok {
			v.auth.Deny(w, r, gatehouse.ErrAnonymousRequired)
			return
		}
		v.passwordlessRequest(w, r, identity, f)
		return
	}
	fe := &formErrors{}
	v.formHook(r, "login", f, fe)
	if identity == "" {
		fe.add("email", v.text(r, i18n.EmailNotProvided))
	}
	if pw == "" {
		fe.add("password", v.text(r, i18n.PasswordNotProvided))
	}
	if fe.any() {
		v.fail(w, r, fe, "login", i18n.UILogin, v.loginPage(r, f))
		return
	}
	u, err := v.auth.VerifyPassword(ctx, identity, pw)
	switch {
	case err == nil && v.cfg.Confirmable && !v.cfg.LoginWithoutConfirmation && !u.IsConfirmed():
		// The password was right: saying so tells nothing to a stranger.
		fe.add("email", v.text(r, i18n.ConfirmationRequired))
	case err == nil:
	case errors.Is(err, gatehouse.ErrInvalidCredentials), errors.Is(err, gatehouse.ErrInactive):
		if v.cfg.DetailedErrors {
			v.detailedLoginError(ctx, r, fe, identity, err)
		} else {
			fe.add("password", v.text(r, i18n.GenericAuthnFailed))
		}
	default:
		v.checkFailed(w, r, err, "login", i18n.UILogin, v.loginPage(r, f))
		return
	}
	if fe.any() {
		v.fail(w, r, fe, "login", i18n.UILogin, v.loginPage(r, f))
		return
	}
	// A second factor, if the user has one, before the session starts.
	handled, err := v.signIn(w, r, u, gatehouse.LoginOptions{Remember: f.bool("remember", v.cfg.DefaultRemember)}, viaPassword)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if handled {
		return
	}
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, v.tfNotRequired(map[string]any{"user": v.loginPayload(r, u)}))
		return
	}
	http.Redirect(w, r, v.nextURL(w, r), http.StatusSeeOther)
}

func (v *Views) detailedLoginError(ctx context.Context, r *http.Request, fe *formErrors, identity string, err error) {
	switch u, lookupErr := v.auth.FindUser(ctx, identity); {
	case lookupErr != nil || u == nil:
		fe.add("email", v.text(r, i18n.UserDoesNotExist))
	case errors.Is(err, gatehouse.ErrInactive):
		fe.add("email", v.text(r, i18n.DisabledAccount))
	case u.PasswordHash == "":
		fe.add("password", v.text(r, i18n.PasswordNotSet))
	default:
		fe.add("password", v.text(r, i18n.InvalidPassword))
	}
}

// logoutView serves GET and POST on the logout path: it logs out and
// redirects to the "next" query or form value if it is safe (as
// Flask-Security's logout does), else to PostLogoutURL (JSON: 200 {}). A
// GET from another site (Sec-Fetch-Site: cross-site) is refused, so a link
// cannot log users out.
func (v *Views) logoutView() http.Handler {
	logout := func(w http.ResponseWriter, r *http.Request) {
		if err := v.auth.Logout(w, r); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if gatehouse.WantsJSON(r) {
			WriteJSON(w, http.StatusOK, map[string]any{})
			return
		}
		v.flash(w, r, "success", i18n.LoggedOut)
		target := v.cfg.PostLogoutURL
		next := r.URL.Query().Get("next")
		if next == "" && r.PostForm != nil {
			next = r.PostForm.Get("next")
		}
		if next != "" && gatehouse.IsSafeRedirect(next, v.allowedHosts) {
			target = next
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	}
	return v.view(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			v.auth.WriteError(w, r, gatehouse.ErrCSRF)
			return
		}
		logout(w, r)
	}, func(w http.ResponseWriter, r *http.Request, _ form) { logout(w, r) })
}
