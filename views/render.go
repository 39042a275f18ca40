package views

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/http"
	"strings"
	texttemplate "text/template"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

//go:embed templates
var builtinTemplates embed.FS

// pageNames are the built-in pages; each is rendered inside layout.html.
var pageNames = []string{"login", "register", "forgot", "confirm", "reset", "change", "error", "confirm_link", "login_link", "verify",
	"tf_setup", "tf_validate", "tf_select", "tf_rescue", "mf_recovery_codes", "mf_recovery", "wan_register", "wan_signin",
	"change_email", "change_email_confirm", "change_username", "recover_username", "sessions", "delete_account",
	"us_signin", "us_verify", "us_setup"}

// readTemplate reads name from the override FS if it has it, else from the
// built-in templates.
func readTemplate(override fs.FS, dir, name string) (string, error) {
	if override != nil {
		if b, err := fs.ReadFile(override, name); err == nil {
			return string(b), nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	b, err := builtinTemplates.ReadFile(dir + "/" + name)
	return string(b), err
}

// lang is the request's language: Config.Language's choice if the texts
// have it, else the best match for Accept-Language.
func (v *Views) lang(r *http.Request) string {
	if v.cfg.Language != nil {
		if l := v.cfg.Language(r); v.texts.Has(l) {
			return l
		}
		return i18n.Reference
	}
	return v.texts.Match(r.Header.Get("Accept-Language"))
}

// text is key's text in r's language, with placeholders filled from args
// (name, value, ...).
func (v *Views) text(r *http.Request, key i18n.Key, args ...string) string {
	return v.texts.Text(v.lang(r), key, args...)
}

// templateFuncs are what every page and mail template can call: FuncMap,
// dict, and t (the text of a key in lang).
func (v *Views) templateFuncs(lang string) map[string]any {
	funcs := map[string]any{
		"t": func(key string, args ...string) string { return v.texts.Text(lang, i18n.Key(key), args...) },
		"dict": func(kv ...any) map[string]any {
			d := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				d[k] = kv[i+1]
			}
			return d
		},
	}
	for k, f := range v.FuncMap() {
		funcs[k] = f
	}
	for k, f := range v.cfg.TemplateFuncs {
		if _, builtin := funcs[k]; !builtin {
			funcs[k] = f
		}
	}
	return funcs
}

// FuncMap returns functions for an application's html/template pages to
// show the current user. Each takes the request (or its context):
//
//	{{with currentUser .Request}}Hello, {{.Email}}{{else}}<a href="/login">Log in</a>{{end}}
//	{{if hasRole .Request "admin"}}<a href="/admin">Admin</a>{{end}}
//
// Functions: currentUser (the *gatehouse.User, nil when anonymous),
// isAuthenticated, isFresh and hasRole.
func (v *Views) FuncMap() htmltemplate.FuncMap {
	return htmltemplate.FuncMap{
		"currentUser": func(x any) *gatehouse.User {
			u, _ := gatehouse.CurrentUser(requestOf(x).Context())
			return u
		},
		"isAuthenticated": func(x any) bool {
			_, ok := gatehouse.FromContext(requestOf(x).Context())
			return ok
		},
		"isFresh": func(x any) bool {
			_, err := v.auth.Check(requestOf(x), gatehouse.Policy{Fresh: true})
			return err == nil
		},
		"hasRole": func(x any, role string) bool {
			u, _ := gatehouse.CurrentUser(requestOf(x).Context())
			return u.HasRole(role)
		},
	}
}

// requestOf is the request a template function was given: the request
// itself, or one carrying the given context.
func requestOf(x any) *http.Request {
	if r, ok := x.(*http.Request); ok && r != nil {
		return r
	}
	ctx, ok := x.(context.Context)
	if !ok {
		ctx = context.Background()
	}
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	return r
}

// parseTemplates parses every page with the layout and every mail
// template, once, and renders each page once, so a broken override is an
// error in New; render binds the request's language to a clone, so one
// parse serves every language.
func (v *Views) parseTemplates() error {
	layout, err := readTemplate(v.cfg.Templates, "templates", "layout.html")
	if err != nil {
		return err
	}
	partials, err := readTemplate(v.cfg.Templates, "templates", "partials.html")
	if err != nil {
		return err
	}
	v.pages = make(map[string]*htmltemplate.Template, len(pageNames))
	for _, name := range pageNames {
		body, err := readTemplate(v.cfg.Templates, "templates", name+".html")
		if err != nil {
			return err
		}
		t, err := htmltemplate.New(name).Funcs(v.templateFuncs(i18n.Reference)).Parse(partials)
		for _, src := range []string{layout, body} {
			if err == nil {
				_, err = t.Parse(src)
			}
		}
		if err == nil { // on a clone: an executed template cannot be cloned
			var trial *htmltemplate.Template
			if trial, err = t.Clone(); err == nil {
				err = trial.ExecuteTemplate(&bytes.Buffer{}, "layout", trialPage)
			}
		}
		if err != nil {
			return fmt.Errorf("views: template %s.html: %w", name, err)
		}
		v.pages[name] = t
	}
	for _, kind := range mailKinds {
		for _, ext := range []string{".txt", ".html"} {
			src, err := readTemplate(v.cfg.Mail.Templates, "templates/mail", kind+ext)
			if err != nil {
				return fmt.Errorf("views: mail template %s%s: %w", kind, ext, err)
			}
			if ext == ".txt" {
				_, err = texttemplate.New(kind).Funcs(v.templateFuncs(i18n.Reference)).Parse(src)
			} else {
				_, err = htmltemplate.New(kind).Funcs(v.templateFuncs(i18n.Reference)).Parse(src)
			}
			if err != nil {
				return fmt.Errorf("views: mail template %s%s: %w", kind, ext, err)
			}
		}
	}
	return nil
}

// trialPage is the data New renders every page with, once: what the
// built-in pages read, so an override that breaks on it is an error in
// New.
var trialPage = page{Form: map[string]string{}, OAuth: []oauthButton{{Name: "github", Label: "GitHub", Action: "/login/oauthstart/github"}}, Extra: map[string]any{
	"email": "user@example.com", "current": "other@example.com", "has_password": true, "other_device": true,
	"message": "Message.", "status": 400,
	"method": "authenticator", "mailed": false, "rescue": "/tf-rescue", "recovery": "/mf-recovery", "qr": htmltemplate.URL("data:,"), "key": "ABCD",
	"action": "/tf-setup", "methods": []string{"authenticator", "email"}, "options": map[string]any{"email": "/tf-rescue"},
	"codes": []string{"a1b2-c3d4-e5f6"}, "left": 1, "keys": []map[string]any{{"name": "key", "usage": "first"}}, "first": true,
	"delete": "/wan-delete", "secondary": false, "next": "/", "passkey": "/wan-verify",
	"current_email": "user@example.com", "new_email": "new@example.com", "current_username": "user", "username": true,
	"sessions": []sessionInfo{{ID: "id", Device: "Firefox on Linux", IP: "192.0.2.1", CreatedAt: "2026-01-01T00:00:00Z", LastSeen: "2026-01-01T00:00:00Z", Current: true}},
	"password": true, "send_code": "/us-signin/send-code", "active_text": "Currently active sign in options: Password.",
	"choices": []string{"email", "authenticator"}, "deletable": []string{"email"}, "state_action": "/us-setup/state",
}}

// page is the data every built-in page gets.
type page struct {
	Title        string
	Lang         string
	Action       string
	CSRFToken    string
	Flashes      []gatehouse.Flash
	Errors       []string
	FieldErrors  map[string][]string
	Form         map[string]string
	Remember     bool
	Passwordless bool
	// OAuth are the login page's buttons for OAuth providers.
	OAuth   []oauthButton
	URLs    viewURLs
	Request *http.Request
	Extra   map[string]any
}

// viewURLs are the views' addresses a page may link to; a feature that
// is off has none.
type viewURLs struct {
	Login, Register, Reset, Confirm, Change, Logout string
	// TwoFactor is the two-factor setup page, RecoveryCodes the recovery
	// codes page.
	TwoFactor, RecoveryCodes string
	// Passkeys lists and adds passkeys; PasskeySignin signs in with one
	// (if passkeys may be a first factor); PasskeyVerify re-authenticates
	// with one; PasskeyScript is the script their forms need.
	Passkeys, PasskeySignin, PasskeyVerify, PasskeyScript string
	// The account pages: change email, change username, recover
	// username, sessions, delete account.
	ChangeEmail, ChangeUsername, RecoverUsername, Sessions, DeleteAccount string
}

// render writes page view with status.
func (v *Views) render(w http.ResponseWriter, r *http.Request, status int, view string, title i18n.Key, p page) {
	lang := v.lang(r)
	p.Lang, p.Request = lang, r
	p.Title = v.texts.Text(lang, title)
	p.CSRFToken = v.auth.CSRFToken(w, r)
	p.Flashes = append(v.auth.Flashes(w, r), p.Flashes...)
	p.URLs = v.urls()
	p.Passwordless = v.cfg.Passwordless && view == "login"
	switch view {
	case "login":
		p.OAuth = v.oauthButtons(r, false)
	case "verify", "us_verify":
		p.OAuth = v.oauthButtons(r, true)
	}
	if p.Form == nil {
		p.Form = map[string]string{}
	}
	if v.cfg.Context != nil {
		if p.Extra == nil {
			p.Extra = map[string]any{}
		}
		v.cfg.Context(r, view, p.Extra)
	}
	t, err := v.pages[view].Clone()
	if err != nil {
		v.renderFailed(w, r, view, err)
		return
	}
	t.Funcs(map[string]any{"t": func(key string, args ...string) string { return v.texts.Text(lang, i18n.Key(key), args...) }})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		v.renderFailed(w, r, view, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action "+v.formAction()+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// formAction is the pages' CSP form-action: the site, and the OAuth
// providers' authorization pages, where the login page's buttons lead
// (browsers check the redirect after a form's POST against it too).
func (v *Views) formAction() string {
	if len(v.formOrigins) == 0 {
		return "'self'"
	}
	return "'self' " + strings.Join(v.formOrigins, " ")
}

// renderFailed answers a page that could not be rendered (an override
// that fails on some data, say) in plain text: never through the error
// page, which could fail the same way.
func (v *Views) renderFailed(w http.ResponseWriter, r *http.Request, view string, err error) {
	v.log.ErrorContext(r.Context(), "views: rendering page", "event", "template_error", "view", view, "err", err)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.Error(w, v.text(r, i18n.InternalError), http.StatusInternalServerError)
}

// errorPage is the engine's error page for browsers (Extension.ErrorPage).
func (v *Views) errorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	title := i18n.UIErrorTitle
	switch status {
	case http.StatusUnauthorized:
		title = i18n.UIUnauthorizedTitle
	case http.StatusForbidden:
		title = i18n.UIForbiddenTitle
	}
	v.render(w, r, status, "error", title, page{Extra: map[string]any{"message": message, "status": status}})
}

func (v *Views) urls() viewURLs {
	c := v.cfg
	u := viewURLs{Login: c.Prefix + c.LoginPath, Logout: c.Prefix + c.LogoutPath}
	if c.Registerable {
		u.Register = c.Prefix + c.RegisterPath
	}
	if c.Recoverable {
		u.Reset = c.Prefix + c.ResetPath
	}
	if c.Confirmable {
		u.Confirm = c.Prefix + c.ConfirmPath
	}
	if c.Changeable {
		u.Change = c.Prefix + c.ChangePath
	}
	if c.TwoFactor.Enabled {
		u.TwoFactor = c.Prefix + c.TwoFactor.SetupPath
	}
	if c.TwoFactor.Enabled || c.WebAuthn.Enabled {
		u.RecoveryCodes = c.Prefix + c.TwoFactor.RecoveryCodesPath
	}
	for _, a := range []struct {
		on   bool
		f    *string
		path string
	}{
		{c.ChangeEmail, &u.ChangeEmail, c.ChangeEmailPath}, {c.Username.Changeable, &u.ChangeUsername, c.Username.ChangePath},
		{c.Username.Recovery, &u.RecoverUsername, c.Username.RecoverPath}, {c.Sessions, &u.Sessions, c.SessionsPath},
		{c.DeleteAccount, &u.DeleteAccount, c.DeleteAccountPath},
	} {
		if a.on {
			*a.f = c.Prefix + a.path
		}
	}
	if c.WebAuthn.Enabled {
		u.Passkeys, u.PasskeyVerify = c.Prefix+c.WebAuthn.RegisterPath, c.Prefix+c.WebAuthn.VerifyPath
		u.PasskeyScript = c.Prefix + "/static/webauthn.js"
		if !c.WebAuthn.NoFirstFactor {
			u.PasskeySignin = c.Prefix + c.WebAuthn.SigninPath
		}
	}
	return u
}

// renderMail makes a message of kind for u in lang, with data (Link,
// Within, ...) for the templates.
func (v *Views) renderMail(kind, subject, lang string, u *gatehouse.User, data map[string]any) (*Message, error) {
	data["Email"] = u.Email
	data["User"] = u
	if v.cfg.Mail.Context != nil {
		v.cfg.Mail.Context(kind, u, data)
	}
	funcs := v.templateFuncs(lang)
	var text, html strings.Builder
	if !v.cfg.Mail.NoText {
		src, err := readTemplate(v.cfg.Mail.Templates, "templates/mail", kind+".txt")
		if err != nil {
			return nil, err
		}
		tt, err := texttemplate.New(kind).Funcs(funcs).Parse(src)
		if err != nil {
			return nil, err
		}
		if err := tt.Execute(&text, data); err != nil {
			return nil, err
		}
	}
	if !v.cfg.Mail.NoHTML {
		src, err := readTemplate(v.cfg.Mail.Templates, "templates/mail", kind+".html")
		switch {
		case err == nil:
			ht, err := htmltemplate.New(kind).Funcs(funcs).Parse(src)
			if err != nil {
				return nil, err
			}
			if err := ht.Execute(&html, data); err != nil {
				return nil, err
			}
		case v.cfg.Mail.NoText || !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	return &Message{To: u.Email, Subject: subject, Text: text.String(), HTML: html.String(), Kind: kind}, nil
}
