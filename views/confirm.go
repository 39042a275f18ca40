package views

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// confirmView serves the confirm path (Confirmable): GET the form to ask
// for the confirmation mail again, POST an email to send it. The answer is
// the same whether or not the address has an unconfirmed account. It is
// for visitors who are not logged in.
func (v *Views) confirmView() http.Handler {
	return v.anonymous(v.view(func(w http.ResponseWriter, r *http.Request) {
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, nil)
			return
		}
		v.render(w, r, http.StatusOK, "confirm", i18n.UISendConfirm, page{Action: v.cfg.Prefix + v.cfg.ConfirmPath})
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		v.mailRequest(w, r, f["email"], f, mailAsk{view: "confirm", form: "send_confirmation", title: i18n.UISendConfirm, path: v.cfg.ConfirmPath,
			generic: i18n.GenericConfirmation, detailed: i18n.ConfirmationRequest, kind: mailConfirm})
	}))
}

// confirmLinkView serves the link in confirmation mails.
//
// GET (and HEAD) only shows a page: nothing is confirmed, spent or logged
// in by opening the link, so neither a link opened from another site nor a
// mail scanner that fetches it does anything. The page's button POSTs, from
// this site and with the CSRF token (JSON clients POST the token's URL).
//
// The POST proves the mailbox; it must also settle the password, so that
// whoever registered the address cannot keep a password against its owner
// (account pre-hijacking): it carries the account's password (the one
// chosen at sign-up), or a new_password (and new_password_confirm) that
// replaces it. An account without a password needs neither. Confirming
// rotates the SecurityStamp, ending every session, remember cookie and
// token made before it. It logs in only with AutoLoginAfterConfirm, and
// never in place of another user's session.
//
// With ConfirmOnGet, GET confirms at once (Flask-Security's behaviour, for
// front ends that rely on it): it still never logs in, but the password
// chosen at sign-up stays.
func (v *Views) confirmLinkView() http.Handler {
	return v.view(v.confirmLinkGet, v.confirmLinkPost)
}

func (v *Views) confirmLinkGet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	raw := r.PathValue("token")
	if v.cfg.ConfirmOnGet && r.Method == http.MethodGet {
		v.confirmAddress(w, r, raw, nil)
		return
	}
	_, u, err := v.auth.PeekToken(r.Context(), TokenConfirm, raw)
	if err != nil {
		v.badLink(w, r, err, u, v.confirmLinks())
		return
	}
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, map[string]any{"password_required": u.PasswordHash != ""})
		return
	}
	if v.spa(r) {
		spaRedirect(w, r, v.cfg.SPA.ConfirmView, identityParams(u, url.Values{"token": {raw}, "password_required": {strconv.FormatBool(u.PasswordHash != "")}}))
		return
	}
	v.render(w, r, http.StatusOK, "confirm_link", i18n.UIConfirmTitle, v.confirmLinkPage(raw, u))
}

func (v *Views) confirmLinkPage(raw string, u *gatehouse.User) page {
	return page{Action: v.cfg.Prefix + v.cfg.ConfirmPath + "/" + raw,
		Extra: map[string]any{"email": u.Email, "has_password": u.PasswordHash != ""}}
}

func (v *Views) confirmLinkPost(w http.ResponseWriter, r *http.Request, f form) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	ctx := r.Context()
	raw := r.PathValue("token")
	_, u, err := v.auth.PeekToken(ctx, TokenConfirm, raw)
	if err != nil {
		v.badLink(w, r, err, u, v.confirmLinks())
		return
	}
	fe := &formErrors{}
	var newHash *string
	switch {
	case f["new_password"] != "" || f["new_password_confirm"] != "":
		v.checkNewPassword(r, fe, f["new_password"], f["new_password_confirm"], "new_password", "new_password_confirm", !gatehouse.WantsJSON(r), u.Email, u.Username)
		if !fe.any() {
			h, err := v.auth.HashPassword(ctx, f["new_password"])
			if err != nil {
				v.auth.WriteError(w, r, err)
				return
			}
			newHash = &h
		}
	case u.PasswordHash == "":
	case f["password"] == "":
		fe.add("password", v.text(r, i18n.PasswordNotProvided))
	default:
		switch err := v.auth.CheckPassword(ctx, u, f["password"]); {
		case errors.Is(err, gatehouse.ErrInvalidCredentials):
			fe.add("password", v.text(r, i18n.InvalidPassword))
		case err != nil:
			v.checkFailed(w, r, err, "confirm_link", i18n.UIConfirmTitle, v.confirmLinkPage(raw, u))
			return
		}
	}
	if fe.any() {
		v.fail(w, r, fe, "confirm_link", i18n.UIConfirmTitle, v.confirmLinkPage(raw, u))
		return
	}
	v.confirmAddress(w, r, raw, newHash)
}

// confirmAddress redeems a confirmation token and confirms its address,
// with a new password hash if newHash is set, then answers.
func (v *Views) confirmAddress(w http.ResponseWriter, r *http.Request, raw string, newHash *string) {
	ctx := r.Context()
	_, u, err := v.auth.RedeemToken(ctx, TokenConfirm, raw)
	if err != nil {
		v.badLink(w, r, err, u, v.confirmLinks())
		return
	}
	change := gatehouse.UserChange{PasswordHash: newHash}
	if !u.IsConfirmed() {
		now := v.cfg.Now()
		change.ConfirmedAt = &now
	}
	if err := v.auth.EndSessions(ctx, u, change); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	// Log in only from the page's POST (it proved the password or chose
	// one), only if asked to or if this browser was already logged in as
	// this user (whose session the new stamp just ended), and never in
	// place of someone else's session.
	cur, loggedIn := gatehouse.CurrentUser(ctx)
	same := loggedIn && cur.ID == u.ID
	if r.Method == http.MethodPost && u.Active && (same || v.cfg.AutoLoginAfterConfirm && !loggedIn) {
		if handled, err := v.signIn(w, r, u, gatehouse.LoginOptions{}, viaLink); err != nil || handled {
			if err != nil {
				v.auth.WriteError(w, r, err)
			}
			return
		}
		v.done(w, r, map[string]any{"user": v.userPayload(u)}, v.cfg.PostConfirmURL, i18n.EmailConfirmed)
		return
	}
	if v.spa(r) { // ConfirmOnGet
		spaRedirect(w, r, v.cfg.PostConfirmURL, identityParams(u, url.Values{v.texts.Category(i18n.EmailConfirmed, "success"): {v.text(r, i18n.EmailConfirmed)}}))
		return
	}
	v.done(w, r, nil, v.cfg.Prefix+v.cfg.LoginPath, i18n.EmailConfirmed)
}
