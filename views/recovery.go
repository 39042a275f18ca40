package views

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// newRecoveryCodes replaces u's recovery codes with new ones and returns
// them: the only time they are seen; only their hashes are stored.
func (v *Views) newRecoveryCodes(ctx context.Context, u *gatehouse.User) ([]string, error) {
	store := v.cfg.TwoFactor.Factors
	codes := mfa.NewRecoveryCodes(v.cfg.TwoFactor.RecoveryCodes)
	err := v.auth.InTx(ctx, func(ctx context.Context) error {
		all, err := store.Factors(ctx, u.ID)
		if err != nil {
			return err
		}
		var old []string
		for _, f := range all {
			if f.Kind == mfa.KindRecovery {
				old = append(old, f.ID)
			}
		}
		if len(old) > 0 {
			if err := store.DeleteFactors(ctx, u.ID, old...); err != nil {
				return err
			}
		}
		for _, c := range codes {
			if err := store.AddFactor(ctx, &mfa.Factor{UserID: u.ID, Kind: mfa.KindRecovery, Data: mfa.HashRecoveryCode(c), CreatedAt: v.cfg.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// recoveryCodesPage shows codes, new, with a way on ("next", the
// post-login page unless the caller says), or how many are left.
func (v *Views) recoveryCodesPage(codes []string, left int) page {
	extra := map[string]any{"codes": codes, "left": left}
	if codes != nil {
		extra["next"] = v.auth.Config().PostLoginURL
	}
	return page{Action: v.cfg.Prefix + v.cfg.TwoFactor.RecoveryCodesPath, Extra: extra}
}

// recoveryCodesView serves /mf-recovery-codes to a logged-in user with a
// fresh login: GET tells how many codes are left (stored hashed, they
// cannot be shown again: "recovery_codes" is empty, unlike
// Flask-Security's, which keeps them readable); POST replaces them with
// new ones, shown once, and mails a notice.
func (v *Views) recoveryCodesView() http.Handler {
	return v.auth.RequireFresh(v.view(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		fs, err := v.factorsOf(r.Context(), u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"recovery_codes": []string{}, "recovery_codes_left": len(fs.recovery)})
			return
		}
		v.render(w, r, http.StatusOK, "mf_recovery_codes", i18n.UIRecoveryCodesTitle, v.recoveryCodesPage(nil, len(fs.recovery)))
	}, func(w http.ResponseWriter, r *http.Request, _ form) {
		u, _ := gatehouse.CurrentUser(r.Context())
		codes, err := v.newRecoveryCodes(r.Context(), u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		v.log.InfoContext(r.Context(), "views: recovery codes replaced", "event", "recovery_codes", "user_id", u.ID)
		v.notify(r, u, i18n.RecoveryCodesRegenerated)
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"recovery_codes": codes, "recovery_codes_left": len(codes)})
			return
		}
		v.render(w, r, http.StatusOK, "mf_recovery_codes", i18n.UIRecoveryCodesTitle, v.recoveryCodesPage(codes, len(codes)))
	}))
}

// recoveryView serves /mf-recovery: a recovery code, once, completes a
// pending login whose second factor is lost; the user is mailed that one
// was used.
func (v *Views) recoveryView() http.Handler {
	pg := page{Action: v.cfg.Prefix + v.cfg.TwoFactor.RecoveryPath}
	return v.view(func(w http.ResponseWriter, r *http.Request) {
		p, _, ok, err := v.pendingLogin(r)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if !ok || p.State != tfReady && p.State != tfSelect {
			v.tfDenied(w, r)
			return
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, nil)
			return
		}
		v.render(w, r, http.StatusOK, "mf_recovery", i18n.UIRecoveryTitle, pg)
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		ctx := r.Context()
		p, u, ok, err := v.pendingLogin(r)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if !ok || p.State != tfReady && p.State != tfSelect {
			v.tfDenied(w, r)
			return
		}
		err = v.auth.CheckFactor(ctx, u, func(ctx context.Context) error {
			fs, err := v.factorsOf(ctx, u)
			if err != nil {
				return err
			}
			for _, rc := range fs.recovery {
				if mfa.MatchRecoveryCode(rc.Data, f["code"]) {
					err := v.cfg.TwoFactor.Factors.UseFactor(ctx, u.ID, rc.ID, 1, v.cfg.Now())
					if errors.Is(err, gatehouse.ErrConflict) {
						return gatehouse.ErrInvalidCredentials // spent by a request just now
					}
					return err
				}
			}
			return gatehouse.ErrInvalidCredentials
		})
		switch {
		case errors.Is(err, gatehouse.ErrInvalidCredentials):
			fe := &formErrors{}
			fe.add("code", v.text(r, i18n.InvalidRecoveryCode))
			v.fail(w, r, fe, "mf_recovery", i18n.UIRecoveryTitle, pg)
			return
		case err != nil:
			v.checkFailed(w, r, err, "mf_recovery", i18n.UIRecoveryTitle, pg)
			return
		}
		v.log.InfoContext(ctx, "views: recovery code used", "event", "recovery_code_used", "user_id", u.ID)
		v.notify(r, u, i18n.RecoveryCodeUsed)
		v.finishLogin(w, r, u, p, false, nil)
	})
}
