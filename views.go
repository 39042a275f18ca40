package gatehouse

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-auth/gatehouse/password"
)

// Mount adds the enabled views to r under Config.Views.Prefix: login,
// logout, verify (re-authentication), and, as configured, register,
// confirm, reset, change and passwordless login. Requests reach them through Authenticate if it wraps
// r; they work without it too.
func (m *Manager) Mount(r Router) {
	v := m.cfg.Views
	p := v.Prefix
	r.Handle("GET "+p+v.LoginPath, m.LoginView())
	r.Handle("POST "+p+v.LoginPath, m.LoginView())
	r.Handle("GET "+p+v.LogoutPath, m.LogoutView())
	r.Handle("POST "+p+v.LogoutPath, m.LogoutView())
	r.Handle("GET "+p+v.VerifyPath, m.VerifyView())
	r.Handle("POST "+p+v.VerifyPath, m.VerifyView())
	m.verifyMounted.Store(true)
	if m.cfg.Passwordless {
		r.Handle("GET "+p+v.LoginPath+"/{token}", m.PasswordlessLinkView())
		r.Handle("POST "+p+v.LoginPath+"/{token}", m.PasswordlessLinkView())
	}
	if m.cfg.Registerable {
		r.Handle("GET "+p+v.RegisterPath, m.RegisterView())
		r.Handle("POST "+p+v.RegisterPath, m.RegisterView())
	}
	if m.cfg.Confirmable {
		r.Handle("GET "+p+v.ConfirmPath, m.ConfirmView())
		r.Handle("POST "+p+v.ConfirmPath, m.ConfirmView())
		r.Handle("GET "+p+v.ConfirmPath+"/{token}", m.ConfirmLinkView())
		r.Handle("POST "+p+v.ConfirmPath+"/{token}", m.ConfirmLinkView())
	}
	if m.cfg.Recoverable {
		r.Handle("GET "+p+v.ResetPath, m.ForgotView())
		r.Handle("POST "+p+v.ResetPath, m.ForgotView())
		r.Handle("GET "+p+v.ResetPath+"/{token}", m.ResetView())
		r.Handle("POST "+p+v.ResetPath+"/{token}", m.ResetView())
	}
	if m.cfg.Changeable {
		r.Handle("GET "+p+v.ChangePath, m.ChangeView())
		r.Handle("POST "+p+v.ChangePath, m.ChangeView())
	}
}

// Routes returns a handler serving the enabled views (see Mount). Mount it
// where its prefix points: with Views.Prefix "/auth",
// mux.Handle("/auth/", m.Routes()).
func (m *Manager) Routes() http.Handler {
	mux := http.NewServeMux()
	m.Mount(mux)
	return mux
}

// view wraps a view's handler: it loads the session (if Authenticate did
// not), decodes the body of POSTs, checks CSRF, and answers errors.
func (m *Manager) view(get func(w http.ResponseWriter, r *http.Request), post func(w http.ResponseWriter, r *http.Request, f form)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, st := m.ensure(w, r)
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			if get == nil {
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			get(w, r)
		case http.MethodPost:
			f, err := decodeBody(w, r)
			if err != nil {
				m.WriteError(w, r, err)
				return
			}
			if err := m.checkCSRF(r, st, f["csrf_token"]); err != nil {
				m.log.LogAttrs(r.Context(), levelWarn, "gatehouse: CSRF check failed", attrEvent("csrf_failed"))
				m.WriteError(w, r, err)
				return
			}
			post(w, r, f)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// ok answers a successful JSON request: the envelope with response, plus
// the (possibly new) CSRF token.
func (m *Manager) ok(w http.ResponseWriter, r *http.Request, response map[string]any) {
	if response == nil {
		response = map[string]any{}
	}
	if _, has := response["csrf_token"]; !has {
		response["csrf_token"] = m.CSRFToken(w, r)
	}
	WriteJSON(w, http.StatusOK, response)
}

// formErrors is a 400 with field errors: JSON envelope, or the page again.
type formErrors struct {
	fields FieldErrors
	errors []string
}

func (fe *formErrors) add(field, msg string) {
	if fe.fields == nil {
		fe.fields = FieldErrors{}
	}
	fe.fields.Add(field, msg)
	if !slices.Contains(fe.errors, msg) {
		fe.errors = append(fe.errors, msg)
	}
}

func (fe *formErrors) any() bool { return len(fe.errors) > 0 }

// fail answers fe: the JSON envelope, or view re-rendered with the errors.
func (m *Manager) fail(w http.ResponseWriter, r *http.Request, fe *formErrors, view, titleKey string, p page) {
	if WantsJSON(r) {
		WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: fe.errors, FieldErrors: fe.fields})
		return
	}
	p.FieldErrors = fe.fields
	for _, e := range fe.errors {
		if !fieldHas(fe.fields, e) {
			p.Errors = append(p.Errors, e)
		}
	}
	m.render(w, r, http.StatusBadRequest, view, titleKey, p)
}

func fieldHas(f FieldErrors, msg string) bool {
	for _, msgs := range f {
		if slices.Contains(msgs, msg) {
			return true
		}
	}
	return false
}

// done answers success: JSON response, or a redirect with a flash.
func (m *Manager) done(w http.ResponseWriter, r *http.Request, response map[string]any, redirect, flashKey string, args ...string) {
	if WantsJSON(r) {
		m.ok(w, r, response)
		return
	}
	if flashKey != "" && !m.cfg.Flash.Disable {
		m.Flash(w, r, "success", m.Text(r, flashKey, args...))
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// userPayload is the user as JSON answers show it.
func (m *Manager) userPayload(u *User) map[string]any {
	if m.cfg.Views.UserPayload != nil {
		return m.cfg.Views.UserPayload(u)
	}
	return map[string]any{"id": u.ID, "email": u.Email}
}

// checkNewPassword validates a new password for the account whose
// details are words (email address, username), and its confirmation, into
// fe under the given field names.
func (m *Manager) checkNewPassword(r *http.Request, fe *formErrors, pw, confirm, field, confirmField string, needConfirm bool, words ...string) {
	if pw == "" {
		fe.add(field, m.Text(r, MsgPasswordNotProvided))
		return
	}
	words = append(words, m.cfg.Views.AppName, m.siteWord)
	if err := m.cfg.Views.PasswordPolicy.ValidateFor(r.Context(), pw, words...); err != nil {
		fe.add(field, m.passwordMessage(r, err))
		return
	}
	if (needConfirm || confirm != "") && confirm != pw {
		fe.add(confirmField, m.Text(r, MsgRetypePasswordMismatch))
	}
}

func (m *Manager) passwordMessage(r *http.Request, err error) string {
	switch {
	case errors.Is(err, password.ErrTooShort):
		n := 8
		if p, ok := m.cfg.Views.PasswordPolicy.(password.Policy); ok && p.MinLength > 0 {
			n = p.MinLength
		}
		return m.Text(r, MsgPasswordInvalidLength, "length", itoa(n))
	case errors.Is(err, password.ErrTooLong):
		return m.Text(r, MsgPasswordTooLong)
	case errors.Is(err, password.ErrBreached):
		return m.Text(r, MsgPasswordBreached)
	case errors.Is(err, password.ErrContext):
		return m.Text(r, MsgPasswordBasedOnAccount)
	case errors.Is(err, password.ErrInvalidUTF8):
		return m.Text(r, MsgBadRequest)
	default:
		return m.Text(r, MsgPasswordTooSimple)
	}
}
