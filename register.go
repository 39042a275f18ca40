package gatehouse

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// RegisterView serves the register path (Registerable): email, password,
// password_confirm, and any other fields, which go to Views.OnRegister
// (Flask-Security's extended register form). It is for visitors who are
// not logged in, and rate-limited per client (Views.RegisterPerIP) and per
// address (Mail.PerAddress).
//
// With Confirmable, the answer is the same, byte for byte, whether or not
// the address has an account: a new account gets the confirmation mail; a
// taken address gets, instead, a notice that someone tried to sign up with
// it (or, if that account was never confirmed, the confirmation mail
// again), and the account is left as it was. The user must then confirm by
// the mailed link, which also settles the password (see ConfirmLinkView),
// before logging in. An account left unconfirmed past Views.ConfirmWithin
// gives way to a new registration. Without Confirmable the new user is
// logged in at once, which a taken address cannot be, so a taken address
// gets the "already associated" error, as with Views.DetailedErrors.
func (m *Manager) RegisterView() http.Handler {
	return m.RequireAnonymous(m.view(func(w http.ResponseWriter, r *http.Request) {
		if WantsJSON(r) {
			m.ok(w, r, nil)
			return
		}
		m.render(w, r, http.StatusOK, "register", "UI_REGISTER", m.registerPage(nil))
	}, m.registerPost))
}

func (m *Manager) registerPage(f form) page {
	p := page{Action: m.cfg.Views.Prefix + m.cfg.Views.RegisterPath}
	if f != nil {
		p.Form = map[string]string{"email": f["email"]}
	}
	return p
}

func (m *Manager) registerPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	fe := &formErrors{}
	email, err := ValidateEmail(f["email"])
	switch {
	case strings.TrimSpace(f["email"]) == "":
		fe.add("email", m.Text(r, MsgEmailNotProvided))
	case err != nil:
		fe.add("email", m.Text(r, MsgInvalidEmailAddress))
	}
	m.checkNewPassword(r, fe, f["password"], f["password_confirm"], "password", "password_confirm", !WantsJSON(r), email, f["username"])
	if fe.any() {
		m.fail(w, r, fe, "register", "UI_REGISTER", m.registerPage(f))
		return
	}
	if err := m.allowClient(r, "register", m.cfg.Views.RegisterPerIP); err != nil {
		m.WriteError(w, r, err)
		return
	}
	if err := m.allowMail(r, "register", email); err != nil {
		m.WriteError(w, r, err)
		return
	}
	u := &User{Email: email, Active: true}
	if m.cfg.Views.OnRegister != nil {
		extra := map[string]string{}
		for k, v := range f {
			switch k {
			case "email", "password", "password_confirm", "csrf_token":
			default:
				extra[k] = v
			}
		}
		if err := m.cfg.Views.OnRegister(r, u, extra); err != nil {
			if fields, ok := errorAs[FieldErrors](err); ok {
				for k, msgs := range fields {
					for _, msg := range msgs {
						fe.add(k, msg)
					}
				}
				m.fail(w, r, fe, "register", "UI_REGISTER", m.registerPage(f))
				return
			}
			m.WriteError(w, r, err)
			return
		}
		u.Email = email // the hook may not change the checked address
	}
	lang := m.language(r)
	var welcome *mailPayload
	if m.cfg.Confirmable || !m.cfg.Mail.DisableWelcome {
		welcome = &mailPayload{Kind: mailWelcome, Lang: lang}
	}
	created := true
	err = m.createUser(ctx, u, f["password"], welcome)
	if errors.Is(err, ErrDuplicate) && m.cfg.Confirmable && !m.cfg.Views.DetailedErrors {
		created, err = m.registerTaken(ctx, u, f["password"], welcome, lang)
	}
	if err != nil {
		if errors.Is(err, ErrDuplicate) {
			fe.add("email", m.Text(r, MsgEmailAlreadyAssociated, "email", email))
			m.fail(w, r, fe, "register", "UI_REGISTER", m.registerPage(f))
			return
		}
		m.WriteError(w, r, err)
		return
	}
	if h := m.cfg.Hooks.Registered; h != nil && created {
		h(ctx, u)
	}
	if m.cfg.Confirmable && (!m.cfg.LoginWithoutConfirmation || !created) {
		// The same answer for a new and a taken address.
		m.done(w, r, nil, m.cfg.Views.PostRegisterURL, MsgConfirmRegistration, "email", email)
		return
	}
	if err := m.Login(w, r, u, LoginOptions{}); err != nil {
		m.WriteError(w, r, err)
		return
	}
	if m.cfg.Confirmable {
		m.done(w, r, map[string]any{"user": m.userPayload(u)}, m.cfg.Views.PostRegisterURL, MsgConfirmRegistration, "email", u.Email)
		return
	}
	m.done(w, r, map[string]any{"user": m.userPayload(u)}, m.cfg.Views.PostRegisterURL, "")
}

// registerTaken handles a registration for a taken address without
// saying so: an account never confirmed within the confirmation window
// gives way to the new one (created reports that); otherwise the owner
// is mailed (the confirmation mail again for an unconfirmed account, else
// a notice that someone tried to sign up) and nothing else changes. A nil
// error means "answer as for a new account".
func (m *Manager) registerTaken(ctx context.Context, u *User, password string, welcome *mailPayload, lang string) (created bool, err error) {
	owner, err := m.st.users.UserByEmail(ctx, u.Email)
	if errors.Is(err, ErrNotFound) {
		return false, ErrDuplicate // the username was taken; say so
	}
	if err != nil {
		return false, err
	}
	if !owner.IsConfirmed() {
		if m.cfg.Now().Sub(owner.CreatedAt) > m.cfg.Views.ConfirmWithin && m.st.deleter != nil {
			// Unconfirmed past its window: it expired. The new registrant
			// takes the address (and must prove the mailbox in turn).
			if err := m.DeleteUser(ctx, owner.ID); err != nil {
				return false, err
			}
			m.log.LogAttrs(ctx, levelInfo, "gatehouse: unconfirmed account expired", attrEvent("unconfirmed_expired"), attrUser(owner))
			u.ID, u.PasswordHash = "", ""
			return true, m.createUser(ctx, u, password, welcome)
		}
		return false, m.enqueueMail(ctx, mailPayload{Kind: mailConfirm, UserID: owner.ID, Lang: lang})
	}
	return false, m.enqueueMail(ctx, mailPayload{Kind: mailRegisterNotice, UserID: owner.ID, Lang: lang})
}
