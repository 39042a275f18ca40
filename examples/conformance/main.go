// Command conformance serves Flask-Security's JSON contract
// (docs/json-api.md) for black-box tests: the port of Flask-Security's
// quickstart.
//
//	PORT=8000 SMTP_HOST=127.0.0.1 SMTP_PORT=1025 go run ./examples/conformance
//
// Environment: PORT (default 8000), DATABASE_URL (sqlite:///abs.db,
// sqlite://relative.db or postgres://...; default a SQLite file
// conformance.db), SMTP_HOST and SMTP_PORT (default 127.0.0.1:1025; mail is
// sent in plain text, for a local test server), SECRET_KEY (default: random
// per start), MAIL_RETRY_DELAY and MAIL_LEASE (the outbox's first retry
// delay and claim lease; defaults 1s and 2m), REDIS_URL (sessions and the
// throttle's counts in Redis, for several instances; default: stateless
// cookie sessions, counts in the database), FEATURES=all (every view on:
// the account pages, unified sign-in, passkeys, with BaseURL on localhost;
// see allFeatures) and OAUTH_URL (with FEATURES=all, a stand-in OAuth
// provider "fake" there). It seeds roles admin and
// editor, admin@example.com / "correct horse battery" (admin, confirmed)
// and plain@example.com / "plain password 1" (confirmed). SIGTERM stops it
// gracefully: every accepted request is answered, then the mail workers
// finish, then the database closes.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/dburl"
	"github.com/gatehouse-auth/gatehouse/mail"
	"github.com/gatehouse-auth/gatehouse/pgstore"
	"github.com/gatehouse-auth/gatehouse/redisstore"
	"github.com/gatehouse-auth/gatehouse/views"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// GATEHOUSE_CPUPROFILE=file writes a CPU profile until shutdown, for
	// the load harness (examples/bench).
	if path := os.Getenv("GATEHOUSE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	port := env("PORT", "8000")
	db, err := dburl.Open(ctx, env("DATABASE_URL", "conformance.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	// USER_CACHE_MAX_AGE (PostgreSQL) sets how long an instance may keep a
	// user it got no notification about; tests make it long, so that only
	// notifications can explain a change seen in time.
	if v := os.Getenv("USER_CACHE_MAX_AGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("USER_CACHE_MAX_AGE: %w", err)
		}
		if pg, ok := db.Store.(*pgstore.Store); ok {
			pg.UserCacheMaxAge = d
		}
	}
	db.WatchUsers(ctx)
	smtpPort, err := strconv.Atoi(env("SMTP_PORT", "1025"))
	if err != nil {
		return fmt.Errorf("SMTP_PORT: %w", err)
	}
	// MAIL_RETRY_DELAY and MAIL_LEASE let tests of outages and crashes run
	// in seconds rather than minutes.
	retryDelay, err := time.ParseDuration(env("MAIL_RETRY_DELAY", "1s"))
	if err != nil {
		return fmt.Errorf("MAIL_RETRY_DELAY: %w", err)
	}
	lease, err := time.ParseDuration(env("MAIL_LEASE", "2m"))
	if err != nil {
		return fmt.Errorf("MAIL_LEASE: %w", err)
	}
	// TRUSTED_PROXIES (comma-separated prefixes) lets tests play many
	// clients through X-Forwarded-For; LOGIN_THROTTLE ("5/10s") shortens
	// the per-(account, client) throttle so its tests run in seconds.
	var proxies []netip.Prefix
	for _, p := range strings.Split(os.Getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			prefix, err := netip.ParsePrefix(p)
			if err != nil {
				return fmt.Errorf("TRUSTED_PROXIES: %w", err)
			}
			proxies = append(proxies, prefix)
		}
	}
	var throttle gatehouse.ThrottleConfig
	if v := os.Getenv("LOGIN_THROTTLE"); v != "" {
		count, per, _ := strings.Cut(v, "/")
		n, err := strconv.Atoi(count)
		d, err2 := time.ParseDuration(per)
		if err != nil || err2 != nil {
			return fmt.Errorf("LOGIN_THROTTLE %q: want count/duration, such as 5/10s", v)
		}
		throttle.PerAccountClient = []gatehouse.Limit{{Count: n, Per: d}}
	}
	// MAIL_PER_ADDRESS ("1/1s") shortens the window in which mails to one
	// address are merged, for tests that ask twice in a row.
	var perAddress gatehouse.Limit
	if v := os.Getenv("MAIL_PER_ADDRESS"); v != "" {
		count, per, _ := strings.Cut(v, "/")
		n, err := strconv.Atoi(count)
		d, err2 := time.ParseDuration(per)
		if err != nil || err2 != nil {
			return fmt.Errorf("MAIL_PER_ADDRESS %q: want count/duration, such as 1/1s", v)
		}
		perAddress = gatehouse.Limit{Count: n, Per: d}
	}
	// HASH_WAIT sets how long a login may wait for a password hash before
	// it is answered 503 (Config.HashWait).
	hashWait, err := time.ParseDuration(env("HASH_WAIT", "0s"))
	if err != nil {
		return fmt.Errorf("HASH_WAIT: %w", err)
	}
	key := []byte(os.Getenv("SECRET_KEY"))
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key)
	}
	s := db.Store
	// REDIS_URL keeps sessions and the throttle's counts in Redis, shared
	// by several instances (with the same SECRET_KEY and DATABASE_URL).
	var sessions gatehouse.SessionStore
	var limiter gatehouse.Limiter
	if u := os.Getenv("REDIS_URL"); u != "" {
		opts, err := redis.ParseURL(u)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		rdb := redis.NewClient(opts)
		defer rdb.Close()
		rs := redisstore.New(rdb)
		sessions, limiter = rs, rs
	}
	// FEATURES=all keeps sessions in the database (the account pages'
	// session list needs a store), unless they are in Redis, and lets
	// users log in with a username.
	var identities []string
	if os.Getenv("FEATURES") == "all" {
		if sessions == nil {
			sessions = s
		}
		identities = []string{"email", "username"}
	}
	auth, err := gatehouse.New(gatehouse.Config{
		Users: s, Tokens: s, Roles: s, Sessions: sessions, Limiter: limiter,
		SecretKeys: [][]byte{key},
		LoginURL:   "/login", IdentityAttributes: identities,
		Trackable: true, TokenAuth: true, BasicAuth: true,
		// Flask-Security's clients may send tokens in the URL.
		TokenQuery:     "auth_token",
		TrustedProxies: proxies,
		Throttle:       throttle,
		HashWait:       hashWait,
		// Plain HTTP on 127.0.0.1: the library's default is Secure.
		Cookie: gatehouse.CookieConfig{Insecure: true},
		Logger: logger,
	})
	if err != nil {
		return err
	}
	cfg := views.Config{
		Registerable: true, Confirmable: true, Recoverable: true, Changeable: true, Passwordless: true,
		BaseURL: "http://127.0.0.1:" + port,
		// A test app: its tests sign many users up from one address.
		RegisterPerIP: gatehouse.Limit{Count: 10_000, Per: time.Hour},
		// Flask-Security's TWO_FACTOR, on: a user with a second factor is
		// asked for it. (Passkeys need a domain; this app is served at
		// 127.0.0.1, so the views' tests and the demo's cover them.)
		TwoFactor: views.TwoFactorConfig{Enabled: true, RequiredRoles: []string{"secure"}},
		Mail: views.MailConfig{
			Mailer: &mail.SMTP{
				Host: env("SMTP_HOST", "127.0.0.1"), Port: smtpPort, TLS: mail.None,
				From: "Gatehouse <no-reply@example.com>", Timeout: 5 * time.Second,
			},
			RetryDelay: retryDelay, MaxRetryDelay: 4 * retryDelay, SendTimeout: 10 * time.Second, Lease: lease,
			PerAddress: perAddress,
		},
		Logger: logger,
	}
	if os.Getenv("FEATURES") == "all" {
		allFeatures(&cfg, port, env("OAUTH_URL", ""))
	}
	v, err := views.New(auth, cfg)
	if err != nil {
		return err
	}
	if err := seed(ctx, auth); err != nil {
		return err
	}
	// The outbox workers run until the server has finished its requests.
	work, stopWork := context.WithCancel(context.Background())
	worked := make(chan error, 1)
	go func() { worked <- v.Run(work) }()

	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		stopWork()
		<-worked
		return err
	}
	handler := auth.Authenticate(routes(auth, v))
	if os.Getenv("LOG_REQUESTS") != "" {
		// For tests that must know the server has a request in hand.
		next := handler
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			logger.Info("request", "method", r.Method, "path", r.URL.Path)
			next.ServeHTTP(w, r)
		})
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	logger.Info("conformance app listening", "addr", "http://"+ln.Addr().String(), "database", db.Kind+" "+db.Where)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		stopWork()
		<-worked
		return err
	case <-ctx.Done():
	}
	// Graceful stop (SIGTERM): no new connections, every accepted request
	// is answered, then the workers finish the mail in hand, then the
	// database closes (deferred above).
	shutdown, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	stopWork()
	<-worked
	logger.Info("conformance app stopped")
	return err
}

// allFeatures switches on every view the library has, for the OpenAPI
// test (FEATURES=all): the account pages (change email, usernames,
// sessions, delete account), unified sign-in, passkeys and, with
// oauthURL, OAuth login with a provider "fake" served there (a test's
// stand-in: POST /token answers a token, GET /userinfo the address).
// Passkeys need a domain, so the site is named localhost (it still
// listens on 127.0.0.1).
func allFeatures(c *views.Config, port, oauthURL string) {
	c.BaseURL = "http://localhost:" + port
	c.ChangeEmail, c.Sessions, c.DeleteAccount = true, true, true
	c.Username = views.UsernameConfig{Enabled: true, Changeable: true, Recovery: true}
	c.UnifiedSignin = views.UnifiedSigninConfig{Enabled: true}
	c.WebAuthn = views.WebAuthnConfig{Enabled: true}
	if oauthURL == "" {
		return
	}
	c.OAuth = views.OAuthConfig{Enabled: true, Providers: []views.OAuthProvider{{
		Name: "fake", Label: "Fake", ClientID: "conformance", ClientSecret: "secret",
		Endpoint: oauth2.Endpoint{AuthURL: oauthURL + "/authorize", TokenURL: oauthURL + "/token", AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   []string{"email"},
		Identity: func(ctx context.Context, client *http.Client, _ *oauth2.Token) (string, error) {
			req, err := http.NewRequestWithContext(ctx, "GET", oauthURL+"/userinfo", nil)
			if err != nil {
				return "", err
			}
			resp, err := client.Do(req)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			if resp.StatusCode >= 500 {
				return "", fmt.Errorf("%w: %s", views.ErrOAuthUnavailable, resp.Status)
			}
			var info struct {
				Email    string `json:"email"`
				Verified bool   `json:"verified"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != http.StatusOK {
				return "", fmt.Errorf("userinfo: %s %v", resp.Status, err)
			}
			if !info.Verified {
				return "", views.ErrOAuthUnverified
			}
			return info.Email, nil
		},
	}}}
}

func seed(ctx context.Context, auth *gatehouse.Manager) error {
	for _, r := range []string{"admin", "editor", "secure"} {
		if _, err := admin.New(auth).FindOrCreateRole(ctx, r, ""); err != nil {
			return err
		}
	}
	for _, a := range []struct{ email, password, role string }{
		{"admin@example.com", "correct horse battery", "admin"},
		{"plain@example.com", "plain password 1", ""},
		{"secure@example.com", "secure password 1", "secure"}, // must set up a second factor
	} {
		if _, err := auth.FindUser(ctx, a.email); err == nil {
			continue
		}
		// The user and its roles in one step: a crash never leaves the
		// admin without its role.
		u := &gatehouse.User{Email: a.email, Active: true, ConfirmedAt: time.Now()}
		if a.role != "" {
			u.Roles = []string{a.role}
		}
		if err := auth.CreateUser(ctx, u, a.password); err != nil {
			return err
		}
	}
	return nil
}

func routes(auth *gatehouse.Manager, v *views.Views) http.Handler {
	mux := http.NewServeMux()
	v.Mount(mux)
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"id": u.ID, "email": u.Email})
	})
	mux.Handle("GET /api/me", auth.RequireLogin(me))
	mux.Handle("GET /api/fresh", auth.RequireFresh(me))
	mux.Handle("GET /api/admin", auth.RequireRoles("admin")(me))
	mux.Handle("GET /api/editors", auth.Require(gatehouse.Policy{AnyRoles: []string{"editor", "admin"}})(me))
	mux.Handle("GET /protected", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>Protected</title><h1>Protected</h1><p>Hello %s.</p>", html.EscapeString(u.Email))
	})))
	mux.Handle("GET /fresh", auth.RequireFresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>Fresh</title><h1>Fresh</h1><p>You logged in with your password just now.</p>")
	})))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>Gatehouse</title><h1>Gatehouse conformance app</h1><p><a href="/login">Log in</a> · <a href="/register">Register</a></p>`)
	})
	return mux
}
