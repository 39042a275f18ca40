package views

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
	"github.com/gatehouse-auth/gatehouse/password"
)

// checkNewPassword validates a new password for the account whose details
// are words (email address, username), and its confirmation, into fe
// under the given field names.
func (v *Views) checkNewPassword(r *http.Request, fe *formErrors, pw, confirm, field, confirmField string, needConfirm bool, words ...string) {
	if pw == "" {
		fe.add(field, v.text(r, i18n.PasswordNotProvided))
		return
	}
	words = append(words, v.cfg.AppName, v.siteWord)
	if err := v.cfg.PasswordPolicy.ValidateFor(r.Context(), pw, words...); err != nil {
		fe.add(field, v.passwordMessage(r, err))
		return
	}
	if (needConfirm || confirm != "") && confirm != pw {
		fe.add(confirmField, v.text(r, i18n.RetypePasswordMismatch))
	}
}

// passwordMessage says why the policy refused a password.
func (v *Views) passwordMessage(r *http.Request, err error) string {
	switch {
	case errors.Is(err, password.ErrTooShort):
		n := 8
		if p, ok := v.cfg.PasswordPolicy.(password.Policy); ok && p.MinLength > 0 {
			n = p.MinLength
		}
		return v.text(r, i18n.PasswordInvalidLength, "length", strconv.Itoa(n))
	case errors.Is(err, password.ErrTooLong):
		return v.text(r, i18n.PasswordTooLong)
	case errors.Is(err, password.ErrBreached):
		return v.text(r, i18n.PasswordBreached)
	case errors.Is(err, password.ErrContext):
		return v.text(r, i18n.PasswordBasedOnAccount)
	case errors.Is(err, password.ErrInvalidUTF8):
		return v.text(r, i18n.BadRequest)
	default:
		return v.text(r, i18n.PasswordTooSimple)
	}
}

// setPassword sets u's password as the engine's SetPassword does (a new
// SecurityStamp ends every session and link of u), and queues notice, if
// any, in the same transaction: the change and its notice stand or fall
// together.
func (v *Views) setPassword(ctx context.Context, u *gatehouse.User, pw string, notice *mailPayload) error {
	h, err := v.auth.HashPassword(ctx, pw)
	if err != nil {
		return err
	}
	return v.auth.InTx(ctx, func(ctx context.Context) error {
		if err := v.auth.EndSessions(ctx, u, gatehouse.UserChange{PasswordHash: &h}); err != nil {
			return err
		}
		if notice == nil {
			return nil
		}
		notice.UserID = u.ID
		return v.enqueueMail(ctx, *notice)
	})
}

// createUser stores u (its PasswordHash made by HashPassword beforehand)
// and queues mail, if any, in one transaction: no account without its
// confirmation mail.
func (v *Views) createUser(ctx context.Context, u *gatehouse.User, mail *mailPayload) error {
	return v.auth.InTx(ctx, func(ctx context.Context) error {
		if err := v.auth.CreateUser(ctx, u, ""); err != nil {
			return err
		}
		if mail == nil {
			return nil
		}
		m := *mail
		m.UserID = u.ID
		return v.enqueueMail(ctx, m)
	})
}
