package views

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// TokenChangeEmail is the kind of one-time token a change-email link
// carries; its Token.Binding is the new address.
const TokenChangeEmail = "change_email"

// changeEmailView serves the change-email path (ChangeEmail) to users
// with a fresh login: GET the form ({csrf_token, current_email} as JSON);
// POST email, the new address. A link to confirm it is mailed to the new
// address; the answer is the same whether or not another account has the
// address (that one is not mailed), unless DetailedErrors.
func (v *Views) changeEmailView() http.Handler {
	return v.auth.RequireFresh(v.view(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"current_email": u.Email})
			return
		}
		v.render(w, r, http.StatusOK, "change_email", i18n.UIChangeEmail, v.changeEmailPage(u, nil))
	}, v.changeEmailPost))
}

func (v *Views) changeEmailPage(u *gatehouse.User, f form) page {
	return page{Action: v.cfg.Prefix + v.cfg.ChangeEmailPath, Form: map[string]string{"email": f["email"]},
		Extra: map[string]any{"current_email": u.Email}}
}

func (v *Views) changeEmailPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	u, _ := gatehouse.CurrentUser(ctx)
	fe := &formErrors{}
	v.formHook(r, "change_email", f, fe)
	email := v.checkEmail(r, fe, f["email"])
	if email != "" && strings.EqualFold(email, u.Email) {
		fe.add("email", v.text(r, i18n.ChangeEmailSame))
	}
	if fe.any() {
		v.fail(w, r, fe, "change_email", i18n.UIChangeEmail, v.changeEmailPage(u, f))
		return
	}
	if err := v.allowMail(r, email); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if v.cfg.DetailedErrors {
		switch free, err := v.addressFree(ctx, email); {
		case err != nil:
			v.auth.WriteError(w, r, err)
			return
		case !free:
			fe.add("email", v.text(r, i18n.EmailAlreadyAssociated, "email", email))
			v.fail(w, r, fe, "change_email", i18n.UIChangeEmail, v.changeEmailPage(u, f))
			return
		}
	}
	// The same work for a free address and a taken one, known only to
	// the worker: it voids the user's earlier link either way, and mails
	// a new one only if the address is free then (a taken address's owner
	// is not pestered).
	send, err := v.sendMail(r, email, mailChangeEmail)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if send {
		p := mailPayload{Kind: mailChangeEmail, UserID: u.ID, To: email, Lang: v.lang(r), Was: stampOf(u) + " " + u.Email}
		if err := v.enqueueMail(ctx, p); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	v.log.InfoContext(ctx, "views: change of email asked for", "event", "change_email_requested", "user_id", u.ID)
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, map[string]any{"current_email": u.Email})
		return
	}
	v.done(w, r, nil, v.cfg.Prefix+v.cfg.ChangeEmailPath, i18n.ChangeEmailSent, "email", email)
}

func (v *Views) changeEmailLinks() linkKind {
	return linkKind{invalid: i18n.InvalidChangeEmailToken, expired: i18n.ChangeEmailExpired,
		within: v.cfg.ChangeEmailWithin, target: v.cfg.ChangeEmailErrorURL}
}

// changeEmailConfirmView serves the links mailed to a new address: GET
// checks the link and shows what it will do (JSON: {new_email}; a
// single-page app gets SPA.ChangeEmailView?token=...&email=...); POST
// changes the address, marks it confirmed and tells the old address.
// Anyone with the link may confirm it: it went to the new address, after
// a fresh login by the account's owner.
func (v *Views) changeEmailConfirmView() http.Handler {
	return v.view(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Referrer-Policy", "no-referrer")
		raw := r.PathValue("token")
		t, u, err := v.auth.PeekToken(r.Context(), TokenChangeEmail, raw)
		if err == nil && t.Binding == "" {
			err = gatehouse.ErrTokenInvalid
		}
		if err != nil {
			v.badLink(w, r, err, u, v.changeEmailLinks())
			return
		}
		switch {
		case gatehouse.WantsJSON(r):
			v.ok(w, r, map[string]any{"new_email": t.Binding})
		case v.spa(r):
			spaRedirect(w, r, v.cfg.SPA.ChangeEmailView, url.Values{"token": {raw}, "email": {t.Binding}})
		default:
			v.render(w, r, http.StatusOK, "change_email_confirm", i18n.UIChangeEmail, page{
				Action: v.cfg.Prefix + v.cfg.ChangeEmailConfirmPath + "/" + raw,
				Extra:  map[string]any{"email": u.Email, "new_email": t.Binding}})
		}
	}, v.changeEmailConfirmPost)
}

func (v *Views) changeEmailConfirmPost(w http.ResponseWriter, r *http.Request, _ form) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	ctx := r.Context()
	t, u, err := v.auth.RedeemToken(ctx, TokenChangeEmail, r.PathValue("token"))
	if err == nil && t.Binding == "" {
		err = gatehouse.ErrTokenInvalid
	}
	if err != nil {
		v.badLink(w, r, err, u, v.changeEmailLinks())
		return
	}
	old, now := u.Email, v.cfg.Now()
	if free, err := v.addressFree(ctx, t.Binding); err != nil || !free {
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		v.linkRefused(w, r, i18n.EmailAlreadyAssociated, v.text(r, i18n.EmailAlreadyAssociated, "email", t.Binding), v.cfg.ChangeEmailErrorURL)
		return
	}
	err = v.auth.InTx(ctx, func(ctx context.Context) error {
		if err := v.st.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{Email: &t.Binding, ConfirmedAt: &now, UpdatedAt: now}); err != nil {
			return err
		}
		return v.enqueueMail(ctx, mailPayload{Kind: mailEmailChanged, UserID: u.ID, To: old, Lang: v.lang(r)})
	})
	if errors.Is(err, gatehouse.ErrDuplicate) {
		// Taken since the link was mailed.
		v.linkRefused(w, r, i18n.EmailAlreadyAssociated, v.text(r, i18n.EmailAlreadyAssociated, "email", t.Binding), v.cfg.ChangeEmailErrorURL)
		return
	}
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	u.Email, u.ConfirmedAt = t.Binding, now
	v.log.InfoContext(ctx, "views: email address changed", "event", "email_changed", "user_id", u.ID)
	if h := v.cfg.Hooks.EmailChanged; h != nil {
		h(ctx, u, old)
	}
	resp := map[string]any{}
	if cur, ok := gatehouse.CurrentUser(ctx); ok && cur.ID == u.ID {
		resp["user"] = v.userPayload(u)
	}
	v.done(w, r, resp, v.cfg.PostChangeEmailURL, i18n.ChangeEmailConfirmed)
}

// addressFree reports whether email may become an account's address: no
// account has it, or only one that was never confirmed and expired
// (ConfirmWithin), which then gives way, as it does to a registration.
func (v *Views) addressFree(ctx context.Context, email string) (bool, error) {
	owner, err := v.st.Users.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		return true, nil
	case err != nil:
		return false, err
	case owner.IsConfirmed() || !v.cfg.Confirmable || v.cfg.Now().Sub(owner.CreatedAt) <= v.cfg.ConfirmWithin:
		return false, nil
	}
	switch err := v.admin.DeleteUser(ctx, owner.ID); {
	case errors.Is(err, admin.ErrUnsupported):
		return false, nil
	case err != nil:
		return false, err
	}
	v.log.InfoContext(ctx, "views: unconfirmed account expired", "event", "unconfirmed_expired", "user_id", owner.ID)
	return true, nil
}
