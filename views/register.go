package views

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// registerView serves the register path (Registerable): email, password,
// password_confirm, and any other fields, which go to OnRegister
// (Flask-Security's extended register form). It is for visitors who are
// not logged in, and rate-limited per client (RegisterPerIP) and as every
// request for mail is (MailConfig.PerAddressClient and friends).
//
// With Confirmable, the answer is the same, byte for byte, whether or not
// the address has an account: a new account gets the confirmation mail; a
// taken address gets, instead, a notice that someone tried to sign up with
// it (or, if that account was never confirmed, the confirmation mail
// again), and the account is left as it was. The user must then confirm by
// the mailed link, which also settles the password (see confirmLinkView),
// before logging in. An account left unconfirmed past ConfirmWithin gives
// way to a new registration. Without Confirmable the new user is logged in
// at once, which a taken address cannot be, so a taken address gets the
// "already associated" error, as with DetailedErrors.
func (v *Views) registerView() http.Handler {
	return v.anonymous(v.view(func(w http.ResponseWriter, r *http.Request) {
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, nil)
			return
		}
		v.render(w, r, http.StatusOK, "register", i18n.UIRegister, v.registerPage(nil))
	}, v.registerPost))
}

func (v *Views) registerPage(f form) page {
	p := page{Action: v.cfg.Prefix + v.cfg.RegisterPath, Extra: map[string]any{"username": v.cfg.Username.Enabled}}
	if f != nil {
		p.Form = map[string]string{"email": f["email"], "username": f["username"]}
	}
	return p
}

func (v *Views) registerPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	c := v.cfg
	fe := &formErrors{}
	v.formHook(r, "register", f, fe)
	email := v.checkEmail(r, fe, f["email"])
	username := ""
	if c.Username.Enabled {
		username = v.checkUsername(r, fe, "username", f["username"])
	}
	v.checkNewPassword(r, fe, f["password"], f["password_confirm"], "password", "password_confirm", !gatehouse.WantsJSON(r), email, username)
	charged := false
	if username != "" && !fe.any() {
		// Saying a username is taken is what lets people choose another;
		// each such answer costs a registration from the client's
		// allowance, so it is no cheaper a way to list usernames than
		// signing up.
		if err := v.auth.Allow(r, "register", "", c.RegisterPerIP); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		charged = true
		switch taken, err := v.usernameTaken(r, username, nil); {
		case err != nil:
			v.auth.WriteError(w, r, err)
			return
		case taken:
			fe.add("username", v.text(r, i18n.UsernameAlreadyAssociated, "username", username))
		}
	}
	if fe.any() {
		v.fail(w, r, fe, "register", i18n.UIRegister, v.registerPage(f))
		return
	}
	if !charged {
		if err := v.auth.Allow(r, "register", "", c.RegisterPerIP); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	if err := v.allowMail(r, email); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	u := &gatehouse.User{Email: email, Username: username, Active: true}
	for _, name := range c.RegisterFields {
		if val := strings.TrimSpace(f[name]); val != "" {
			if u.Fields == nil {
				u.Fields = map[string]string{}
			}
			u.Fields[name] = val
		}
	}
	if c.OnRegister != nil {
		extra := map[string]string{}
		for k, val := range f {
			switch k {
			case "email", "password", "password_confirm", "csrf_token":
			default:
				extra[k] = val
			}
		}
		if err := c.OnRegister(r, u, extra); err != nil {
			var fields FieldErrors
			if errors.As(err, &fields) {
				for k, msgs := range fields {
					for _, msg := range msgs {
						fe.add(k, msg)
					}
				}
				v.fail(w, r, fe, "register", i18n.UIRegister, v.registerPage(f))
				return
			}
			v.auth.WriteError(w, r, err)
			return
		}
		u.Email = email // the hook may not change the checked address
	}
	lang := v.lang(r)
	var welcome *mailPayload
	if c.Confirmable || !c.Mail.DisableWelcome {
		welcome = &mailPayload{Kind: mailWelcome, Lang: lang}
	}
	created := true
	var err error
	if u.PasswordHash, err = v.auth.HashPassword(ctx, f["password"]); err == nil {
		err = v.createUser(ctx, u, welcome)
	}
	if errors.Is(err, gatehouse.ErrDuplicate) && c.Confirmable && !c.DetailedErrors {
		created, err = v.registerTaken(r, u, welcome, lang)
	}
	if err != nil {
		if errors.Is(err, gatehouse.ErrDuplicate) {
			fe.add("email", v.text(r, i18n.EmailAlreadyAssociated, "email", email))
			v.fail(w, r, fe, "register", i18n.UIRegister, v.registerPage(f))
			return
		}
		v.auth.WriteError(w, r, err)
		return
	}
	if h := c.Hooks.Registered; h != nil && created {
		h(ctx, u)
	}
	if c.Confirmable && (!c.LoginWithoutConfirmation || !created) {
		// The same answer for a new and a taken address.
		v.done(w, r, nil, c.PostRegisterURL, i18n.ConfirmRegistration, "email", email)
		return
	}
	if handled, err := v.signIn(w, r, u, gatehouse.LoginOptions{}, viaPassword); err != nil || handled {
		if err != nil {
			v.auth.WriteError(w, r, err)
		}
		return
	}
	if c.Confirmable {
		v.done(w, r, map[string]any{"user": v.userPayload(u)}, c.PostRegisterURL, i18n.ConfirmRegistration, "email", u.Email)
		return
	}
	v.done(w, r, map[string]any{"user": v.userPayload(u)}, c.PostRegisterURL, "")
}

// registerTaken handles a registration for a taken address without
// saying so: an account never confirmed within the confirmation window
// gives way to the new one (created reports that); otherwise the owner
// is mailed (the confirmation mail again for an unconfirmed account, else
// a notice that someone tried to sign up) and nothing else changes. A nil
// error means "answer as for a new account".
func (v *Views) registerTaken(r *http.Request, u *gatehouse.User, welcome *mailPayload, lang string) (created bool, err error) {
	ctx := r.Context()
	owner, err := v.st.Users.UserByEmail(ctx, u.Email)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return false, gatehouse.ErrDuplicate // the username was taken; say so
	}
	if err != nil {
		return false, err
	}
	if !owner.IsConfirmed() {
		if v.cfg.Now().Sub(owner.CreatedAt) > v.cfg.ConfirmWithin {
			// Unconfirmed past its window: it expired. The new registrant
			// takes the address (and must prove the mailbox in turn). The
			// old account goes with its tokens and sessions; a store that
			// cannot delete users keeps it, and its owner is mailed again.
			switch err := v.admin.DeleteUser(ctx, owner.ID); {
			case err == nil:
				v.log.InfoContext(ctx, "views: unconfirmed account expired", "event", "unconfirmed_expired", "user_id", owner.ID)
				u.ID = ""
				return true, v.createUser(ctx, u, welcome)
			case !errors.Is(err, admin.ErrUnsupported):
				return false, err
			}
		}
		return false, v.mailOwner(r, owner, mailConfirm, lang)
	}
	return false, v.mailOwner(r, owner, mailRegisterNotice, lang)
}

// mailOwner mails the owner of a taken address kind, unless one was sent
// moments ago (sendMail).
func (v *Views) mailOwner(r *http.Request, owner *gatehouse.User, kind, lang string) error {
	send, err := v.sendMail(r, owner.Email, kind)
	if err != nil || !send {
		return err
	}
	return v.enqueueMail(r.Context(), mailPayload{Kind: kind, UserID: owner.ID, Lang: lang})
}
