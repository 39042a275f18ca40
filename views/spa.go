package views

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse-auth/gatehouse"
)

// SPAConfig sends browsers that open a mailed link to a single-page app's
// own pages, with what the app needs in the query, instead of the views'
// pages (Flask-Security's SECURITY_REDIRECT_BEHAVIOR = "spa"). The URLs
// may be absolute, for a front end served from another origin
// (REDIRECT_HOST). Links still never act on GET: a good link sends the
// browser to the app's page with its token, and the app POSTs it to the
// view's JSON endpoint, from the same browser; a bad or expired one sends
// the browser to the error URL with the message as "error" (or the
// category its [text, category] override gives), as Flask-Security does.
// Set Referrer-Policy: no-referrer on the app's pages that receive a
// token.
type SPAConfig struct {
	// Enabled turns the behaviour on; the URLs the enabled features use
	// are then required.
	Enabled bool
	// ResetView (RESET_VIEW) receives a good reset link as ?token=; the
	// app POSTs {password, password_confirm} to /reset/<token>. Errors go
	// to Config.ResetErrorURL (RESET_ERROR_VIEW).
	ResetView string
	// ConfirmView receives a good confirmation link as ?token=, with email,
	// identity and password_required; the app POSTs {password} (the
	// sign-up password) or {new_password, new_password_confirm} to
	// /confirm/<token>. With
	// Config.ConfirmOnGet the link confirms at once and the browser goes to
	// PostConfirmURL (POST_CONFIRM_VIEW) with email, identity and the
	// message instead. Errors go to Config.ConfirmErrorURL
	// (CONFIRM_ERROR_VIEW).
	ConfirmView string
	// LoginView receives a good passwordless link as ?token=, with email
	// and identity; the app POSTs to /login/<token>. LoginErrorView
	// (LOGIN_ERROR_VIEW) receives bad and expired ones.
	LoginView, LoginErrorView string
	// ChangeEmailView receives a good change-email link as ?token= with
	// the new address as email; the app POSTs to
	// /change-email-confirm/<token>. Bad and expired ones go to
	// Config.ChangeEmailErrorURL (CHANGE_EMAIL_ERROR_VIEW).
	ChangeEmailView string
}

// check returns what c lacks for the features cfg enables.
func (s SPAConfig) check(c Config) []error {
	if !s.Enabled {
		return nil
	}
	var errs []error
	need := func(on bool, value, name string) {
		if !on {
			return
		}
		u, err := url.Parse(value)
		if value == "" || err != nil || u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" || u.Scheme == "" && (u.Host != "" || len(value) == 0 || value[0] != '/') {
			errs = append(errs, errors.New("SPA.Enabled needs "+name+": an absolute path (\"/reset-password\") or http(s) URL of the app's page"))
		}
	}
	need(c.Recoverable, s.ResetView, "SPA.ResetView")
	need(c.Recoverable, c.ResetErrorURL, "ResetErrorURL")
	need(c.Confirmable && !c.ConfirmOnGet, s.ConfirmView, "SPA.ConfirmView")
	need(c.Confirmable, c.ConfirmErrorURL, "ConfirmErrorURL")
	need(c.Passwordless, s.LoginView, "SPA.LoginView")
	need(c.Passwordless, s.LoginErrorView, "SPA.LoginErrorView")
	need(c.ChangeEmail, s.ChangeEmailView, "SPA.ChangeEmailView")
	need(c.ChangeEmail, c.ChangeEmailErrorURL, "ChangeEmailErrorURL")
	return errs
}

// spa reports whether r, a browser's GET of a mailed link, goes to the
// single-page app's pages.
func (v *Views) spa(r *http.Request) bool {
	return v.cfg.SPA.Enabled && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !gatehouse.WantsJSON(r)
}

// spaRedirect sends the browser to target with params added to its query.
func spaRedirect(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, err := url.Parse(target)
	if err != nil { // checked in New
		http.Error(w, "bad SPA URL", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// identityParams are Flask-Security's get_redirect_qparams: the user's
// email and identity (username if set, else email), plus extra.
func identityParams(u *gatehouse.User, extra url.Values) url.Values {
	q := url.Values{"email": {u.Email}, "identity": {u.Email}}
	if u.Username != "" {
		q.Set("identity", u.Username)
	}
	for k, vs := range extra {
		q[k] = vs
	}
	return q
}
