package views

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// Re-authentication at an OAuth provider (Flask-Security's
// oauth_verify_start and oauth_verify_response): a logged-in user whose
// login is no longer fresh proves it again by signing in at the provider
// with the account's address, from the verify page's buttons, and the
// session is fresh again.

// oauthVerifyStartView serves POST on VerifyStartPath/{name} to logged-in
// users, with the CSRF token: as the start of a login, with the user's ID
// in the state, and the provider sends the browser back to
// VerifyResponsePath.
func (v *Views) oauthVerifyStartView() http.Handler {
	return v.auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, f, ok := v.oauthStartRequest(w, r)
		if !ok {
			return
		}
		u, _ := gatehouse.CurrentUser(r.Context())
		st := oauthState{Provider: p.Name, Next: v.oauthNext(w, r, f), Verify: u.ID}
		v.log.InfoContext(r.Context(), "views: OAuth re-authentication started", "event", "oauth_verify_start", "provider", p.Name, "user_id", u.ID)
		v.oauthRedirect(w, r, p.verify, st)
	}))
}

// oauthVerifyResponseView serves GET on VerifyResponsePath/{name}: the
// state must be this user's re-authentication, and the provider's
// verified address the account's; then the session is fresh again
// (REAUTHENTICATION_SUCCESSFUL) and the browser goes on to "next".
// Another address answers IDENTITY_NOT_REGISTERED (browsers: back to the
// verify page); the state's and the provider's failures answer as the
// login's do.
func (v *Views) oauthVerifyResponseView() http.Handler {
	return v.auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		p, ok := v.oauth[r.PathValue("name")]
		if !ok {
			v.auth.WriteError(w, r, gatehouse.ErrNotFound)
			return
		}
		ctx := r.Context()
		log := v.log.With("provider", p.Name)
		u, _ := gatehouse.CurrentUser(ctx)
		st, err := v.takeOAuthState(w, r, p.Name)
		if err == nil && st.Verify != u.ID {
			err = fmt.Errorf("%w: not this user's re-authentication", errUnsealed)
		}
		if err != nil {
			if errors.Is(err, errUnsealed) || errors.Is(err, errExpired) || errors.Is(err, gatehouse.ErrRateLimited) {
				log.InfoContext(ctx, "views: OAuth re-authentication refused: bad state", "event", "oauth_verify_failed", "reason", "state", "err", err)
				v.oauthVerifyFailed(w, r, http.StatusBadRequest, v.text(r, i18n.OAuthStateInvalid), "")
				return
			}
			v.auth.WriteError(w, r, err)
			return
		}
		q := r.URL.Query()
		if e := q.Get("error"); e != "" || q.Get("code") == "" {
			v.oauthVerifyFailed(w, r, http.StatusBadRequest, v.text(r, i18n.OAuthHandshakeError,
				"exerror", providerText(or(e, "invalid_request"), 64), "exdesc", providerText(q.Get("error_description"), 200)), st.Next)
			return
		}
		if err := v.auth.Allow(r, "oauth login", "", v.cfg.OAuth.PerClient); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		// Each try is a check of the account's credentials: throttled as
		// the other re-authentications are.
		var email string
		err = v.auth.CheckFactor(ctx, u, func(ctx context.Context) error {
			var err error
			if email, err = v.oauthIdentity(ctx, p, p.verify, q.Get("code"), st.Verifier); err != nil {
				return err
			}
			if !sameAddress(email, u.Email) {
				return gatehouse.ErrInvalidCredentials
			}
			return nil
		})
		switch {
		case errors.Is(err, gatehouse.ErrInvalidCredentials):
			log.InfoContext(ctx, "views: OAuth re-authentication refused: another account", "event", "oauth_verify_failed", "reason", "other_account", "user_id", u.ID)
			v.oauthVerifyFailed(w, r, http.StatusBadRequest, v.text(r, i18n.IdentityNotRegistered, "id", email), st.Next)
			return
		case errors.Is(err, gatehouse.ErrRateLimited):
			v.auth.WriteError(w, r, err)
			return
		case err != nil:
			status, msg := v.providerFailure(r, p, err)
			log.WarnContext(ctx, "views: OAuth re-authentication failed at the provider", "event", "oauth_verify_failed", "reason", "provider", "status", status, "err", err)
			v.oauthVerifyFailed(w, r, status, msg, st.Next)
			return
		}
		if err := v.auth.ConfirmLogin(w, r); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		log.InfoContext(ctx, "views: OAuth re-authentication", "event", "oauth_verify", "user_id", u.ID)
		r2 := r.Clone(ctx)
		r2.URL.RawQuery = ""
		if st.Next != "" {
			r2.URL.RawQuery = "next=" + url.QueryEscape(st.Next)
		}
		v.done(w, r2, map[string]any{"user": v.userPayload(u)}, v.nextURL(w, r2), i18n.ReauthenticationSuccessful)
	}))
}

// oauthVerifyFailed answers a failed re-authentication: JSON with status,
// or back to the verify page (with next) and the message as a flash.
func (v *Views) oauthVerifyFailed(w http.ResponseWriter, r *http.Request, status int, msg, next string) {
	if gatehouse.WantsJSON(r) {
		WriteJSON(w, status, ErrorResponse{Errors: []string{msg}})
		return
	}
	v.auth.Flash(w, r, "error", msg)
	target := v.cfg.Prefix + v.cfg.VerifyPath
	if next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
