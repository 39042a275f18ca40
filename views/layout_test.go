package views_test

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/views"
)

// appLayout is an app's own layout for the built-in pages: its nav (who
// is logged in, through the views' functions, and a helper of its own),
// the flashes, and the page's form where it wants it. It defines nothing
// else: the "field" and "style" partials come with the views.
const appLayout = `{{define "layout"}}<!doctype html><html lang="{{.Lang}}"><head><title>{{.Title}} · {{brand}}</title>{{template "style"}}</head>
<body><nav id="app-nav"><a href="/">{{brand}}</a>{{with currentUser .Request}}<span id="who">{{.Email}}</span><a href="{{$.URLs.Sessions}}">Sessions</a>{{else}}<a href="{{.URLs.Login}}">Log in</a>{{end}}</nav>
<main><h1>{{.Title}}</h1>{{range .Flashes}}<p class="flash {{.Category}}">{{.Message}}</p>{{end}}{{template "content" .}}</main></body></html>{{end}}`

// The built-in pages render inside the app's layout, with its nav and its
// own template functions; a layout that breaks is an error in New.
func TestAppLayout(t *testing.T) {
	t.Parallel()
	ve, _ := accountEnv(t, func(_ *gatehouse.Config, v *views.Config) {
		v.Templates = fstest.MapFS{"layout.html": {Data: []byte(appLayout)}}
		v.TemplateFuncs = map[string]any{"brand": func() string { return "Acme" }, "t": func() string { return "not the views' t" }}
	})
	b := ve.browser()
	page := b.get("/login")
	for _, want := range []string{`<nav id="app-nav"><a href="/">Acme</a>`, `<a href="/login">Log in</a>`, `<title>Log in · Acme</title>`, `name="password"`, `:root{color-scheme`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("login page lacks %q:\n%s", want, page.body)
		}
	}
	if got := b.post("/login", map[string]string{"email": "alice@example.com", "password": alicePassword}); got.status != http.StatusSeeOther {
		t.Fatalf("login: %d", got.status)
	}
	page = b.get("/sessions")
	for _, want := range []string{`<span id="who">alice@example.com</span>`, `<a href="/sessions">Sessions</a>`, "This browser"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("sessions page lacks %q:\n%s", want, page.body)
		}
	}

	m, err := gatehouse.New(ve.cfg)
	if err != nil {
		t.Fatal(err)
	}
	broken := `{{define "layout"}}{{.Title}}{{template "content" .}}{{.NoSuchField}}{{end}}`
	if _, err := views.New(m, views.Config{Templates: fstest.MapFS{"layout.html": {Data: []byte(broken)}}}); err == nil || !strings.Contains(err.Error(), "NoSuchField") {
		t.Errorf("New with a broken layout: %v", err)
	}
}
