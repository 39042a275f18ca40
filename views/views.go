// Package views is the Flask-Security product built on gatehouse's engine:
// the login, logout, register, confirm, forgot/reset, change-password,
// passwordless and verify views, as HTML pages and as Flask-Security's JSON
// contract (docs/json-api.md), the mails they send through a durable
// outbox, and their texts in several languages. It is a client of the
// engine's exported API, like any application's own handlers.
//
//	auth, err := gatehouse.New(gatehouse.Config{Users: store, Tokens: store, SecretKeys: keys})
//	v, err := views.New(auth, views.Config{Registerable: true, BaseURL: "https://example.com", Mail: views.MailConfig{Mailer: mailer}})
//	v.Mount(mux)
//	go v.Run(ctx) // sends mail
//	http.ListenAndServe(":8080", auth.Authenticate(mux))
//
// A request is served by one file per view (login.go, register.go, ...),
// with the shared request decoding and answers (form.go), page and mail
// rendering (render.go, mail.go), one flow for every mailed link
// (links.go), and the outbox workers that send mail (outbox.go).
package views

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
	"github.com/gatehouse-auth/gatehouse/mfa"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Views serves the views. Make it with New; it is safe for concurrent use.
type Views struct {
	auth  *gatehouse.Manager
	cfg   Config
	st    gatehouse.Stores
	admin *admin.Admin // deletes unconfirmed accounts that expired
	seal  *sealer      // two-factor secrets, pending logins, passkey ceremonies
	wa    *webauthn.WebAuthn
	oauth map[string]*oauthProvider // by name, with OAuth.Enabled
	texts *i18n.Catalog
	pages map[string]*template.Template
	log   *slog.Logger

	wake       chan struct{} // a mail job was queued in this process
	workers    atomic.Int32  // Run calls in progress
	warnedIdle atomic.Bool
	siteWord   string // the site's name from BaseURL, which passwords may not be based on
	usDummy    string // a TOTP secret an unknown identity's code is checked against, for the time it takes
	// allowedHosts are the engine's AllowedRedirectHosts, for logout's next.
	allowedHosts []string
	// formOrigins are where the pages' forms may lead besides the site
	// (the OAuth providers' authorization pages): CSP form-action.
	formOrigins []string
}

// New validates cfg, fills in its defaults, parses every page and mail
// template (a broken override is an error here, not on the first
// request), and installs the views' texts, error page and login rule into
// auth.
func New(auth *gatehouse.Manager, cfg Config) (*Views, error) {
	v := &Views{auth: auth, st: auth.Stores(), admin: admin.New(auth), wake: make(chan struct{}, 1),
		allowedHosts: auth.Config().AllowedRedirectHosts}
	cfg, err := cfg.withDefaults(auth.Config(), v.st)
	if err != nil {
		return nil, err
	}
	v.cfg, v.log = cfg, cfg.Logger
	if v.texts, err = i18n.Load(cfg.Texts); err != nil {
		return nil, err
	}
	if err := v.parseTemplates(); err != nil {
		return nil, err
	}
	if v.seal, err = newSealer(auth.Keys("views")); err != nil {
		return nil, err
	}
	if cfg.WebAuthn.Enabled {
		v.wa, err = webauthn.New(&webauthn.Config{RPID: cfg.WebAuthn.RPID, RPDisplayName: cfg.WebAuthn.RPName, RPOrigins: cfg.WebAuthn.Origins})
		if err != nil {
			return nil, fmt.Errorf("views: WebAuthn: %w", err)
		}
	}
	v.siteWord = siteWord(cfg.BaseURL)
	if v.usDummy, _, err = mfa.NewTOTP("gatehouse", "nobody"); err != nil {
		return nil, err
	}
	v.setUpOAuth()
	ext := gatehouse.Extension{
		Text:       func(r *http.Request, key string) string { return v.text(r, i18n.Key(key)) },
		ErrorPage:  v.errorPage,
		AllowLogin: v.passwordAlone,
		Login:      cfg.Prefix + cfg.LoginPath,
		Refresh:    cfg.Prefix + cfg.VerifyPath,
	}
	if cfg.UnifiedSignin.Enabled {
		ext.Refresh = cfg.Prefix + cfg.UnifiedSignin.VerifyPath // as Flask-Security's reauthn_handler
	}
	if cfg.Recoverable {
		ext.LockedOut = v.lockedOut
	}
	auth.Extend(ext)
	return v, nil
}

// lockedOut mails the owner of an account the engine locked
// (ThrottleConfig.Lockout) a reset link, which unlocks it. The mail is in
// English: no request of the owner's says which language they read.
func (v *Views) lockedOut(ctx context.Context, u *gatehouse.User) {
	if err := v.enqueueMail(ctx, mailPayload{Kind: mailUnlock, UserID: u.ID, Lang: i18n.Reference}); err != nil {
		v.log.ErrorContext(ctx, "views: queueing the unlock mail", "event", "store_error", "err", err)
	}
}

// Router is anything the views can be mounted on with Go 1.22 patterns
// ("GET /login"), such as *http.ServeMux.
type Router interface {
	Handle(pattern string, handler http.Handler)
}

// Mount adds the enabled views to r under Config.Prefix: login, logout,
// verify (re-authentication), and, as configured, register, confirm,
// reset, change, passwordless login, two-factor login and recovery codes,
// passkeys, unified sign-in, OAuth login, and the account pages (change
// email or username, username recovery, sessions, delete account). Each
// works whether or not auth.Authenticate wraps r.
func (v *Views) Mount(r Router) {
	c := v.cfg
	p := c.Prefix
	both := func(path string, h http.Handler) {
		h = v.auth.Authenticate(h)
		r.Handle("GET "+p+path, h)
		r.Handle("POST "+p+path, h)
	}
	if c.UnifiedSignin.Enabled && c.UnifiedSignin.ReplacesLogin {
		both(c.LoginPath, v.usSigninView())
	} else {
		both(c.LoginPath, v.loginView())
	}
	both(c.LogoutPath, v.logoutView())
	both(c.VerifyPath, v.verifyView())
	r.Handle("GET "+p+c.SessionPath, v.auth.Authenticate(v.sessionView()))
	if c.Passwordless {
		both(c.LoginPath+"/{token}", v.passwordlessLinkView())
	}
	if c.Registerable {
		both(c.RegisterPath, v.registerView())
	}
	if c.Confirmable {
		both(c.ConfirmPath, v.confirmView())
		both(c.ConfirmPath+"/{token}", v.confirmLinkView())
	}
	if c.Recoverable {
		both(c.ResetPath, v.forgotView())
		both(c.ResetPath+"/{token}", v.resetView())
	}
	if c.Changeable {
		both(c.ChangePath, v.changeView())
	}
	if c.ChangeEmail {
		both(c.ChangeEmailPath, v.changeEmailView())
		both(c.ChangeEmailConfirmPath+"/{token}", v.changeEmailConfirmView())
	}
	if c.Username.Changeable {
		both(c.Username.ChangePath, v.changeUsernameView())
	}
	if c.Username.Recovery {
		both(c.Username.RecoverPath, v.recoverUsernameView())
	}
	if c.Sessions {
		both(c.SessionsPath, v.sessionsView())
	}
	if c.DeleteAccount {
		both(c.DeleteAccountPath, v.deleteAccountView())
	}
	if c.TwoFactor.Enabled {
		t := c.TwoFactor
		both(t.SetupPath, v.tfSetupView())
		both(t.SetupPath+"/{token}", v.tfSetupTokenView())
		both(t.ValidatePath, v.tfValidateView())
		both(t.RescuePath, v.tfRescueView())
	}
	if c.TwoFactor.Enabled || c.WebAuthn.Enabled {
		both(c.TwoFactor.RecoveryCodesPath, v.recoveryCodesView())
		both(c.TwoFactor.RecoveryPath, v.recoveryView())
	}
	if c.UnifiedSignin.Enabled {
		us := c.UnifiedSignin
		both(us.SigninPath, v.usSigninView())
		both(us.VerifyPath, v.usVerifyView())
		both(us.SetupPath, v.usSetupView())
		both(us.SetupPath+"/{state}", v.usSetupValidateView())
		r.Handle("POST "+p+us.SigninSendCodePath, v.auth.Authenticate(v.usSendCodeView()))
		r.Handle("POST "+p+us.VerifySendCodePath, v.auth.Authenticate(v.usVerifySendCodeView()))
	}
	if c.WebAuthn.Enabled {
		wa := c.WebAuthn
		both(wa.RegisterPath, v.wanRegisterView())
		both(wa.RegisterPath+"/{state}", v.wanRegisterFinishView())
		both(wa.SigninPath, v.wanSigninView())
		both(wa.SigninPath+"/{state}", v.wanSigninFinishView())
		both(wa.DeletePath, v.wanDeleteView())
		both(wa.VerifyPath, v.wanVerifyView())
		both(wa.VerifyPath+"/{state}", v.wanVerifyFinishView())
		r.Handle("GET "+p+"/static/webauthn.js", v.staticView())
	}
	if c.TwoFactor.Enabled && c.WebAuthn.Enabled {
		both(c.TwoFactor.SelectPath, v.tfSelectView())
	}
	if c.OAuth.Enabled {
		// POST only, as Flask-Security's oauthstart: a GET is answered 405.
		r.Handle("POST "+p+c.OAuth.StartPath+"/{name}", v.auth.Authenticate(v.oauthStartView()))
		r.Handle("GET "+p+c.OAuth.ResponsePath+"/{name}", v.auth.Authenticate(v.oauthResponseView()))
		r.Handle("POST "+p+c.OAuth.VerifyStartPath+"/{name}", v.auth.Authenticate(v.oauthVerifyStartView()))
		r.Handle("GET "+p+c.OAuth.VerifyResponsePath+"/{name}", v.auth.Authenticate(v.oauthVerifyResponseView()))
	}
}

// Routes returns a handler serving the enabled views (see Mount). Mount it
// where its prefix points: with Prefix "/auth", mux.Handle("/auth/",
// v.Routes()).
func (v *Views) Routes() http.Handler {
	mux := http.NewServeMux()
	v.Mount(mux)
	return mux
}

// view wraps a view's handlers: GET (and HEAD) to get; POST decoded, its
// CSRF token checked, to post.
func (v *Views) view(get func(w http.ResponseWriter, r *http.Request), post func(w http.ResponseWriter, r *http.Request, f form)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			get(w, r)
		case http.MethodPost:
			f, err := decodeBody(w, r)
			if err != nil {
				v.writeError(w, r, err)
				return
			}
			if err := v.auth.CheckCSRF(r, f["csrf_token"]); err != nil {
				v.auth.WriteError(w, r, err)
				return
			}
			post(w, r, f)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// flash flashes the text of key in category, or in the category an
// override of Config.Texts gave it (a [text, category] pair).
func (v *Views) flash(w http.ResponseWriter, r *http.Request, category string, key i18n.Key, args ...string) {
	v.auth.Flash(w, r, v.texts.Category(key, category), v.text(r, key, args...))
}

// nextURL is the engine's NextURL; a "next" it drops for leaving the
// site is told to browsers (Flask-Security's INVALID_REDIRECT).
func (v *Views) nextURL(w http.ResponseWriter, r *http.Request) string {
	next := r.URL.Query().Get("next")
	if next == "" && r.PostForm != nil {
		next = r.PostForm.Get("next")
	}
	if next != "" && !gatehouse.IsSafeRedirect(next, v.allowedHosts) && !gatehouse.WantsJSON(r) {
		v.flash(w, r, "error", i18n.InvalidRedirect)
	}
	return v.auth.NextURL(w, r)
}

// anonymous wraps a view for visitors who are not logged in: a logged-in
// browser goes to PostLoginURL, a JSON client gets a 400.
func (v *Views) anonymous(h http.Handler) http.Handler {
	return v.auth.Require(gatehouse.Policy{Anonymous: true})(h)
}

// RequireCSRF protects an application's own state-changing handlers as the
// views are protected: unsafe methods must not be cross-origin and need
// the session's CSRF token (header X-CSRF-Token, X-CSRFToken or
// X-XSRF-Token, or form
// field csrf_token). Show the token with auth.CSRFToken or the csrfField
// template function. It parses the form of form-encoded requests.
func (v *Views) RequireCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		submitted := ""
		if !gatehouse.WantsJSON(r) && r.Header.Get("X-CSRF-Token") == "" && r.Header.Get("X-CSRFToken") == "" && r.Header.Get("X-XSRF-Token") == "" {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
			submitted = r.PostFormValue("csrf_token")
		}
		if err := v.auth.CheckCSRF(r, submitted); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// passwordAlone reports whether u may log in with a password and nothing
// else (HTTP Basic): not if loginAllowed says no, nor if u has, or must
// have, a second factor. A store that cannot say refuses.
func (v *Views) passwordAlone(ctx context.Context, u *gatehouse.User) bool {
	if !v.loginAllowed(u) {
		return false
	}
	if !v.cfg.TwoFactor.Enabled && !v.cfg.WebAuthn.Enabled {
		return true
	}
	fs, err := v.factorsOf(ctx, u)
	return err == nil && len(fs.methods()) == 0 && !v.required(u)
}

// loginAllowed applies Confirmable: unconfirmed users may not log in
// unless LoginWithoutConfirmation.
func (v *Views) loginAllowed(u *gatehouse.User) bool {
	return u.Active && (!v.cfg.Confirmable || v.cfg.LoginWithoutConfirmation || u.IsConfirmed())
}
