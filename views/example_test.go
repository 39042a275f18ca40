package views_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/views"
)

// The engine, the views on it, and a front end that logs in over the JSON
// API: GET the login view for a CSRF token, then POST the credentials.
func Example() {
	store := memstore.New()
	auth, err := gatehouse.New(gatehouse.Config{
		Users: store, Tokens: store,
		SecretKeys: [][]byte{gatehouse.NewSecretKey()}, // in production: the same key on every start
		LoginURL:   "/login",
		Cookie:     gatehouse.CookieConfig{Insecure: true}, // plain-HTTP test server
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	v, err := views.New(auth, views.Config{
		Recoverable: true,
		BaseURL:     "https://example.com", // links in mails point here
		Mail: views.MailConfig{Mailer: views.MailerFunc(func(_ context.Context, m *views.Message) error {
			fmt.Println("mail:", m.Subject)
			return nil
		})},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	auth.CreateUser(context.Background(), &gatehouse.User{Email: "ada@example.com", Active: true}, "correct horse battery")
	mux := http.NewServeMux()
	v.Mount(mux)
	srv := httptest.NewServer(auth.Authenticate(mux))
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	csrf := ""
	call := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", csrf)
		resp, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if i := strings.Index(string(raw), `"csrf_token":"`); i >= 0 {
			csrf, _, _ = strings.Cut(string(raw[i+len(`"csrf_token":"`):]), `"`)
		}
		fmt.Println(method, path, resp.StatusCode)
	}
	call("GET", "/login", "")
	call("POST", "/login", `{"email":"ada@example.com","password":"correct horse battery"}`)
	call("POST", "/logout", `{}`)
	call("GET", "/reset", "") // a new session, a new CSRF token
	call("POST", "/reset", `{"email":"ada@example.com"}`)
	v.SendPending(context.Background()) // Run's workers do this all the time
	// Output:
	// GET /login 200
	// POST /login 200
	// POST /logout 200
	// GET /reset 200
	// POST /reset 200
	// mail: Password reset instructions
}

// FuncMap shows the current user in an application's own templates.
func ExampleViews_FuncMap() {
	auth, _ := gatehouse.New(gatehouse.Config{Users: memstore.New(), SecretKeys: [][]byte{gatehouse.NewSecretKey()}})
	v, _ := views.New(auth, views.Config{})
	page := template.Must(template.New("nav").Funcs(v.FuncMap()).Parse(
		`{{with currentUser .}}{{.Email}}{{if hasRole $ "admin"}} (admin){{end}}{{else}}Log in{{end}}` + "\n"))
	page.Execute(os.Stdout, context.Background())
	ctx := gatehouse.NewContext(context.Background(), gatehouse.Principal{
		User: &gatehouse.User{ID: "1", Email: "ada@example.com", Roles: []string{"admin"}}, Method: gatehouse.MethodSession,
	})
	page.Execute(os.Stdout, ctx)
	// Output:
	// Log in
	// ada@example.com (admin)
}

// Sign-in with GitHub (Flask-Security's OAUTH_ENABLE): the login page
// gets a "Continue with GitHub" button, whose POST sends the browser to
// GitHub with a state and a PKCE challenge; GitHub sends it back to
// BaseURL + "/login/oauthresponse/github", which logs in the user whose
// verified primary address it is. A JSON front end is given the address
// to navigate to.
func ExampleGitHubProvider() {
	store := memstore.New()
	auth, _ := gatehouse.New(gatehouse.Config{Users: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()},
		Cookie: gatehouse.CookieConfig{Insecure: true}, Logger: slog.New(slog.DiscardHandler)})
	v, err := views.New(auth, views.Config{
		BaseURL: "https://example.com",
		OAuth: views.OAuthConfig{Enabled: true, Providers: []views.OAuthProvider{
			// The OAuth app's credentials, from GitHub's developer settings.
			views.GitHubProvider("Iv1.0123456789abcdef", os.Getenv("GITHUB_CLIENT_SECRET")),
		}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	v.Mount(mux)
	srv := httptest.NewServer(auth.Authenticate(mux))
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	var answer struct {
		Response struct {
			CSRFToken string `json:"csrf_token"`
			Location  string `json:"location"`
		} `json:"response"`
	}
	call := func(method, path string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", answer.Response.CSRFToken)
		resp, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&answer)
	}
	call("GET", "/login")
	call("POST", "/login/oauthstart/github")
	to, _ := url.Parse(answer.Response.Location)
	fmt.Println(to.Host + to.Path)
	fmt.Println(to.Query().Get("redirect_uri"))
	fmt.Println(to.Query().Get("scope"), to.Query().Get("code_challenge_method"))
	// Output:
	// github.com/login/oauth/authorize
	// https://example.com/login/oauthresponse/github
	// user:email S256
}
