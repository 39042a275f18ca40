package gatehouse

import (
	"errors"
	"net/http"
	"strings"
)

// RegisterView serves the register path (Registerable): email, password,
// password_confirm, and any other fields, which go to Views.OnRegister
// (Flask-Security's extended register form). With Confirmable the user
// must confirm by the mailed link before logging in; otherwise they are
// logged in at once. A welcome mail goes out unless Mail.DisableWelcome.
func (m *Manager) RegisterView() http.Handler {
	return m.view(func(w http.ResponseWriter, r *http.Request) {
		if WantsJSON(r) {
			m.ok(w, r, nil)
			return
		}
		if _, ok := CurrentUser(r.Context()); ok {
			http.Redirect(w, r, m.cfg.PostLoginURL, http.StatusSeeOther)
			return
		}
		m.render(w, r, http.StatusOK, "register", "UI_REGISTER", m.registerPage(nil))
	}, m.registerPost)
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
	var welcome *mailPayload
	if m.cfg.Confirmable || !m.cfg.Mail.DisableWelcome {
		welcome = &mailPayload{Kind: mailWelcome, Lang: m.language(r)}
	}
	if err := m.createUser(ctx, u, f["password"], welcome); err != nil {
		if errors.Is(err, ErrDuplicate) {
			fe.add("email", m.Text(r, MsgEmailAlreadyAssociated, "email", email))
			m.fail(w, r, fe, "register", "UI_REGISTER", m.registerPage(f))
			return
		}
		m.WriteError(w, r, err)
		return
	}
	if h := m.cfg.Hooks.Registered; h != nil {
		h(ctx, u)
	}
	if m.cfg.Confirmable && !m.cfg.LoginWithoutConfirmation {
		m.done(w, r, map[string]any{"user": m.userPayload(u)}, m.cfg.Views.PostRegisterURL, MsgConfirmRegistration, "email", u.Email)
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
