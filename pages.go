package gatehouse

import (
	"bytes"
	"embed"
	"errors"
	htmltemplate "html/template"
	"io/fs"
	"net/http"
	"strings"
	texttemplate "text/template"
)

//go:embed templates
var builtinTemplates embed.FS

// pageNames are the built-in pages; each is rendered inside layout.html.
var pageNames = []string{"login", "register", "forgot", "confirm", "reset", "change", "error", "confirm_link", "login_link", "verify"}

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

// templateFuncs are what every page and mail template can call; t is bound
// to the language per render.
func (m *Manager) templateFuncs(lang string) map[string]any {
	funcs := map[string]any{
		"t": func(key string, args ...string) string { return m.textLang(nil, lang, key, args...) },
		"dict": func(kv ...any) map[string]any {
			d := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				d[k] = kv[i+1]
			}
			return d
		},
	}
	for k, v := range m.FuncMap() {
		funcs[k] = v
	}
	return funcs
}

// parsePages parses every page with the layout, once, at New; render binds
// the request's language to a clone, so one parse serves every language.
func (m *Manager) parsePages() error {
	layout, err := readTemplate(m.cfg.Views.Templates, "templates", "layout.html")
	if err != nil {
		return err
	}
	m.pages = make(map[string]*htmltemplate.Template, len(pageNames))
	for _, name := range pageNames {
		body, err := readTemplate(m.cfg.Views.Templates, "templates", name+".html")
		if err != nil {
			return err
		}
		t, err := htmltemplate.New(name).Funcs(m.templateFuncs(defaultLanguage)).Parse(layout)
		if err == nil {
			_, err = t.Parse(body)
		}
		if err != nil {
			return errors.New("gatehouse: template " + name + ".html: " + err.Error())
		}
		m.pages[name] = t
	}
	return nil
}

// page is the data every built-in page gets.
type page struct {
	Title        string
	Lang         string
	Action       string
	CSRFToken    string
	Flashes      []Flash
	Errors       []string
	FieldErrors  map[string][]string
	Form         map[string]string
	Remember     bool
	Passwordless bool
	URLs         viewURLs
	Request      *http.Request
	Extra        map[string]any
}

type viewURLs struct {
	Login, Register, Reset, Confirm, Change, Logout string
}

// render writes page view with status.
func (m *Manager) render(w http.ResponseWriter, r *http.Request, status int, view, titleKey string, p page) {
	lang := m.language(r)
	p.Lang, p.Request = lang, r
	p.Title = m.Text(r, titleKey)
	p.CSRFToken = m.CSRFToken(w, r)
	p.Flashes = append(m.Flashes(w, r), p.Flashes...)
	p.URLs = m.viewURLs()
	p.Passwordless = m.cfg.Passwordless && view == "login"
	if p.Form == nil {
		p.Form = map[string]string{}
	}
	if m.cfg.Views.Context != nil {
		if p.Extra == nil {
			p.Extra = map[string]any{}
		}
		m.cfg.Views.Context(r, view, p.Extra)
	}
	t, err := m.pages[view].Clone()
	if err != nil {
		m.renderFailed(w, r, view, err)
		return
	}
	t.Funcs(map[string]any{"t": func(key string, args ...string) string { return m.textLang(r, lang, key, args...) }})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		m.renderFailed(w, r, view, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderFailed answers a page that could not be rendered (a broken
// template override, say) in plain text: never through WriteError, which
// renders the error page and could fail the same way, forever.
func (m *Manager) renderFailed(w http.ResponseWriter, r *http.Request, view string, err error) {
	m.log.LogAttrs(r.Context(), levelError, "gatehouse: rendering page", attrEvent("template_error"), slogString("view", view), attrErr(err))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.Error(w, m.Text(r, MsgInternalError), http.StatusInternalServerError)
}

func (m *Manager) viewURLs() viewURLs {
	v := m.cfg.Views
	u := viewURLs{Login: v.Prefix + v.LoginPath, Logout: v.Prefix + v.LogoutPath}
	if m.cfg.Registerable {
		u.Register = v.Prefix + v.RegisterPath
	}
	if m.cfg.Recoverable {
		u.Reset = v.Prefix + v.ResetPath
	}
	if m.cfg.Confirmable {
		u.Confirm = v.Prefix + v.ConfirmPath
	}
	if m.cfg.Changeable {
		u.Change = v.Prefix + v.ChangePath
	}
	return u
}

// renderMail makes a message of kind for u in lang, with data (Link,
// Within, ...) for the templates.
func (m *Manager) renderMail(kind, subjectKey, lang string, u *User, data map[string]any) (*Message, error) {
	data["Email"] = u.Email
	data["User"] = u
	if m.cfg.Mail.Context != nil {
		m.cfg.Mail.Context(kind, u, data)
	}
	funcs := m.templateFuncs(lang)
	var text, html strings.Builder
	src, err := readTemplate(m.cfg.Mail.Templates, "templates/mail", kind+".txt")
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
	if src, err := readTemplate(m.cfg.Mail.Templates, "templates/mail", kind+".html"); err == nil {
		ht, err := htmltemplate.New(kind).Funcs(funcs).Parse(src)
		if err != nil {
			return nil, err
		}
		if err := ht.Execute(&html, data); err != nil {
			return nil, err
		}
	}
	return &Message{To: u.Email, Subject: m.textLang(nil, lang, subjectKey), Text: text.String(), HTML: html.String(), Kind: kind}, nil
}
