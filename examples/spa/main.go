// Command spa is a single-page app on Gatehouse's JSON API: the page and
// its script (app/) are served at /app/, the API under /api, on one origin
// (no CORS needed; docs/json-api.md says what changes with two). Mailed
// links land on the app's own routes (views.Config.SPA, Flask-Security's
// REDIRECT_BEHAVIOR = "spa"), and the CSRF token reaches the script in
// the XSRF-TOKEN cookie (Config.Cookie.CSRFName).
//
//	go run ./examples/spa    # then open http://localhost:8081/app/
//
// Mail goes to a development mailbox at /dev/mail. A browser test drives
// it in Chromium.
package main

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"syscall"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mail"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/views"
)

//go:embed app
var appFiles embed.FS

// site is the API, the app and the development mailbox.
type site struct {
	auth    *gatehouse.Manager
	views   *views.Views
	mailbox *mail.Mailbox
	handler http.Handler
}

// newSite builds the site for base, its external address.
func newSite(base string) (*site, error) {
	store := memstore.New() // an example: use sqlitestore or pgstore in an app
	key := make([]byte, 32)
	rand.Read(key)
	auth, err := gatehouse.New(gatehouse.Config{
		Users: store, Tokens: store, Outbox: store,
		SecretKeys: [][]byte{key},
		// The script reads the CSRF token from this cookie and sends it
		// back in X-XSRF-Token, as axios and Angular do by themselves.
		Cookie: gatehouse.CookieConfig{CSRFName: "XSRF-TOKEN", Insecure: true}, // plain HTTP on localhost only
		// Guards send browsers to the app's login route.
		LoginURL: "/app/login", PostLoginURL: "/app/",
	})
	if err != nil {
		return nil, err
	}
	box := &mail.Mailbox{}
	v, err := views.New(auth, views.Config{
		Prefix:       "/api",
		Registerable: true, Recoverable: true, Passwordless: true,
		BaseURL: base,
		// Mailed links go to the app's routes, never to server pages.
		SPA:           views.SPAConfig{Enabled: true, ResetView: "/app/reset", LoginView: "/app/magic", LoginErrorView: "/app/login"},
		ResetErrorURL: "/app/forgot",
		Mail:          views.MailConfig{Mailer: box, DisableWelcome: true},
	})
	if err != nil {
		return nil, err
	}
	s := &site{auth: auth, views: v, mailbox: box}
	mux := http.NewServeMux()
	v.Mount(mux)
	app, _ := fs.Sub(appFiles, "app") // a literal, present directory
	index, _ := fs.ReadFile(app, "index.html")
	mux.Handle("GET /app/app.js", http.StripPrefix("/app/", http.FileServerFS(app)))
	mux.HandleFunc("GET /app/", func(w http.ResponseWriter, r *http.Request) {
		// Every route of the app is the same page; its script routes.
		// The URL may hold a token: do not leak it in a Referer.
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(index)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/app/", http.StatusFound) })
	mux.HandleFunc("GET /dev/mail", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		msgs := box.Messages()
		slices.Reverse(msgs)
		mailPage.Execute(w, msgs)
	})
	mux.Handle("GET /api/hello", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		views.WriteJSON(w, http.StatusOK, map[string]any{"message": "Hello, " + u.Email})
	})))
	s.handler = auth.Authenticate(mux)
	return s, nil
}

// mailPage lists the mails sent, newest first, with their links.
var mailPage = template.Must(template.New("mail").Funcs(template.FuncMap{
	"links": func(text string) []string { return linkRE.FindAllString(text, -1) },
}).Parse(`<!doctype html><title>Dev mailbox</title><h1>Dev mailbox</h1>
{{range .}}<article class="mail"><h2>{{.Subject}}</h2><p>To {{.To}}</p><pre>{{.Text}}</pre>{{range links .Text}}<a href="{{.}}">{{.}}</a>{{end}}</article>{{else}}<p>No mail yet.</p>{{end}}`))

var linkRE = regexp.MustCompile(`https?://[^\s<>"]+`)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", "localhost:8081")
	if err != nil {
		log.Fatal(err)
	}
	s, err := newSite("http://localhost:8081")
	if err != nil {
		log.Fatal(err)
	}
	work, stopWork := context.WithCancel(context.Background())
	worked := make(chan error, 1)
	go func() { worked <- s.views.Run(work) }()
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	fmt.Println("single-page app: http://localhost:8081/app/ (mail: http://localhost:8081/dev/mail)")
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	stopWork()
	<-worked
}
