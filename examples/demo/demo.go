package main

import (
	"context"
	"crypto/rand"
	"embed"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/dburl"
	"github.com/gatehouse-auth/gatehouse/mail"
	"github.com/gatehouse-auth/gatehouse/views"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "correct horse battery"
)

// demo is the site: the engine, its views, the dev mailbox, and the
// handler.
type demo struct {
	auth    *gatehouse.Manager
	views   *views.Views
	mailbox *mail.Mailbox
	handler http.Handler
	where   string
	close   func() error
}

func (d *demo) Close() error { return d.close() }

// newDemo opens the database, configures gatehouse with every feature on,
// seeds the admin account, and builds the site for base (the URL it is
// served at, from which links in mails are made).
func newDemo(ctx context.Context, database, base string, logTo io.Writer) (*demo, error) {
	db, err := dburl.Open(ctx, database)
	if err != nil {
		return nil, err
	}
	db.WatchUsers(ctx)
	key, err := secretKey(strings.TrimPrefix(strings.TrimPrefix(database, "sqlite:///"), "sqlite://") + ".key")
	if err != nil {
		db.Close()
		return nil, err
	}
	box := &mail.Mailbox{}
	s := db.Store
	logger := slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelInfo}))
	auth, err := gatehouse.New(gatehouse.Config{
		Users: s, Tokens: s, Roles: s, Sessions: s,
		IdentityAttributes: []string{"email", "username"},
		SecretKeys:         [][]byte{key},
		LoginURL:           "/login",
		Trackable:          true, TokenAuth: true,
		// The demo serves plain HTTP on localhost; the library default is Secure.
		Cookie: gatehouse.CookieConfig{Insecure: true},
		Logger: logger,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	v, err := views.New(auth, views.Config{
		Registerable: true, Confirmable: true, Recoverable: true, Changeable: true, Passwordless: true,
		BaseURL: base,
		// Confirming logs in: the confirmation page has the user prove the
		// password (or choose one) first.
		AutoLoginAfterConfirm: true,
		// Second factors: an authenticator app or mailed codes, recovery
		// codes, and passkeys (to sign in with, or as a second factor).
		TwoFactor: views.TwoFactorConfig{Enabled: true},
		// Passkeys need a domain: a demo served at an IP address does without.
		WebAuthn: views.WebAuthnConfig{Enabled: !servedAtIP(base)},
		// The account pages: change the address, a username (to log in
		// with, and to be reminded of), sessions, deleting the account.
		ChangeEmail: true, Sessions: true, DeleteAccount: true,
		Username: views.UsernameConfig{Enabled: true, Changeable: true, Recovery: true},
		// The built-in pages inside the demo's own header (page.go).
		Templates: layoutFS(),
		Mail:      views.MailConfig{Mailer: box},
		Logger:    logger,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := seed(ctx, auth); err != nil {
		db.Close()
		return nil, err
	}
	d := &demo{auth: auth, views: v, mailbox: box, where: db.Kind + " " + db.Where, close: db.Close}
	d.handler = auth.Authenticate(d.routes())
	return d, nil
}

func seed(ctx context.Context, auth *gatehouse.Manager) error {
	if _, err := admin.New(auth).FindOrCreateRole(ctx, "admin", "Administrators"); err != nil {
		return err
	}
	if _, err := auth.FindUser(ctx, adminEmail); err == nil {
		return nil // made by an earlier run
	}
	// The user and its role in one step: a crash never leaves an admin
	// without its role.
	u := &gatehouse.User{Email: adminEmail, Active: true, ConfirmedAt: time.Now(), Roles: []string{"admin"}}
	return auth.CreateUser(ctx, u, adminPassword)
}

// secretKey reads the key sessions are sealed with from path, making it on
// first run, so logins survive a restart of the demo.
func secretKey(path string) ([]byte, error) {
	if key, err := os.ReadFile(path); err == nil && len(key) >= 32 {
		return key, nil
	}
	key := make([]byte, 32)
	rand.Read(key)
	return key, os.WriteFile(path, key, 0o600)
}

var linkRE = regexp.MustCompile(`https?://[^\s<>"]+`)

func (d *demo) routes() http.Handler {
	auth := d.auth
	page := template.Must(template.Must(template.New("page").Funcs(d.views.FuncMap()).Funcs(template.FuncMap{
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"linkify": func(s string) template.HTML {
			esc := template.HTMLEscapeString(s)
			return template.HTML(linkRE.ReplaceAllStringFunc(esc, func(u string) string {
				return `<a href="` + u + `">` + u + `</a>`
			}))
		},
	}).ParseFS(layoutFS(), "layout.html")).Parse(pageHTML))
	render := func(w http.ResponseWriter, r *http.Request, body string, data map[string]any) {
		if data == nil {
			data = map[string]any{}
		}
		data["R"], data["Body"] = r, body
		data["CSRF"] = auth.CSRFToken(w, r)
		data["Flashes"] = auth.Flashes(w, r)
		if p, ok := gatehouse.FromContext(r.Context()); ok {
			data["Method"] = p.Method.String()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, data)
	}
	mux := http.NewServeMux()
	d.views.Mount(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { render(w, r, "home", nil) })
	mux.Handle("GET /account", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, "account", nil)
	})))
	mux.Handle("GET /protected", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, "protected", nil)
	})))
	mux.Handle("GET /fresh", auth.RequireFresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, "fresh", nil)
	})))
	mux.Handle("GET /admin", auth.RequireRoles("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		users, _ := admin.New(auth).ListUsers(r.Context(), admin.Filter{Limit: 50})
		render(w, r, "admin", map[string]any{"Users": users})
	})))
	mux.HandleFunc("GET /dev/mail", func(w http.ResponseWriter, r *http.Request) {
		render(w, r, "mail", map[string]any{"Mails": d.mailbox.Messages()})
	})
	return mux
}

func servedAtIP(base string) bool {
	u, err := url.Parse(base)
	return err == nil && net.ParseIP(u.Hostname()) != nil
}

//go:embed templates
var templates embed.FS

// layoutFS holds layout.html: the demo's header and styles, for the
// views' pages (views.Config.Templates) and its own.
func layoutFS() fs.FS {
	sub, _ := fs.Sub(templates, "templates") // a literal, present directory
	return sub
}
