package views

import (
	"context"
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// deleteAccountView serves DeleteAccountPath to users with a fresh login
// (a Gatehouse addition): GET the page ({csrf_token, email}); POST
// {"confirm": true} deletes the user with their roles, second factors,
// tokens and sessions, logs this browser out and mails a notice to the
// address.
func (v *Views) deleteAccountView() http.Handler {
	return v.auth.RequireFresh(v.view(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"email": u.Email})
			return
		}
		v.render(w, r, http.StatusOK, "delete_account", i18n.UIDeleteAccount, v.deleteAccountPage(u))
	}, v.deleteAccountPost))
}

func (v *Views) deleteAccountPage(u *gatehouse.User) page {
	return page{Action: v.cfg.Prefix + v.cfg.DeleteAccountPath, Extra: map[string]any{"email": u.Email}}
}

func (v *Views) deleteAccountPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	u, _ := gatehouse.CurrentUser(ctx)
	fe := &formErrors{}
	v.formHook(r, "delete_account", f, fe)
	if f["confirm"] != "true" {
		fe.add("confirm", v.text(r, i18n.DeleteNotConfirmed))
	}
	if fe.any() {
		v.fail(w, r, fe, "delete_account", i18n.UIDeleteAccount, v.deleteAccountPage(u))
		return
	}
	// The notice is written before the user is gone, from what it was.
	lang := v.lang(r)
	notice, err := v.renderMail(mailAccountDeleted, v.texts.Text(lang, i18n.EmailSubjectAccountDeleted), lang, u, map[string]any{})
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if err := v.deleteFactors(ctx, u); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if err := v.admin.DeleteUser(ctx, u.ID); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if err := v.auth.Logout(w, r); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	v.log.InfoContext(ctx, "views: account deleted by its owner", "event", "account_deleted", "user_id", u.ID)
	if err := v.enqueueMail(ctx, mailPayload{Kind: mailAccountDeleted, Lang: lang, Message: notice}); err != nil {
		// The account is gone; a lost notice is logged, not answered.
		v.log.ErrorContext(ctx, "views: queueing the deletion notice", "event", "store_error", "err", err)
	}
	if h := v.cfg.Hooks.AccountDeleted; h != nil {
		h(ctx, u)
	}
	v.done(w, r, nil, v.cfg.PostDeleteURL, i18n.AccountDeleted)
}

// deleteFactors removes u's second factors and passkeys from the factor
// store, which may be apart from the user store that deletes the user.
func (v *Views) deleteFactors(ctx context.Context, u *gatehouse.User) error {
	store := v.cfg.TwoFactor.Factors
	if store == nil {
		return nil
	}
	factors, err := store.Factors(ctx, u.ID)
	if err != nil || len(factors) == 0 {
		return err
	}
	ids := make([]string, len(factors))
	for i, f := range factors {
		ids[i] = f.ID
	}
	return store.DeleteFactors(ctx, u.ID, ids...)
}
