package gatehouse

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/gatehouse-auth/gatehouse/internal/gcra"
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/token"
)

// Manager is gatehouse's engine: it loads the user of each request, guards
// handlers, logs users in and out, and keeps their credentials. Create it
// with [New]; it is safe for concurrent use and starts no goroutines.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	hasher PasswordHasher
	gate   *hashGate
	st     stores
	ext    atomic.Pointer[Extension]

	ck         *jar      // the session cookie, or the SessionStore
	rm         remembers // the remember cookie
	auth       *token.Signer
	protectKey []byte // keys HMACs: session protection, rate-limit keys, log tags
	xorigin    *http.CrossOriginProtection
	dummyHash  func() string
	limiter    Limiter
}

// Extension is what a layer built on the engine (package views) installs
// into it with [Manager.Extend], before serving.
type Extension struct {
	// Text translates the engine's own messages (the keys are
	// Flask-Security's: "UNAUTHENTICATED", "LOGIN", ...) for r. Default:
	// English.
	Text func(r *http.Request, key string) string
	// ErrorPage answers an error for a browser (an HTML page). Default:
	// plain text.
	ErrorPage func(w http.ResponseWriter, r *http.Request, status int, message string)
	// AllowLogin reports whether u may log in with a password alone
	// (unconfirmed users may not, with views.Config.Confirmable, nor users
	// with a second factor): HTTP Basic asks it. Default: active users
	// may.
	AllowLogin func(ctx context.Context, u *User) bool
	// Login and Refresh are where browsers that must log in, or log in
	// again, go when Config.LoginURL or RefreshURL is not set (the login
	// and verify views).
	Login, Refresh string
	// LockedOut is told when an account reaches ThrottleConfig.Lockout
	// (the views mail its owner a link to unlock it).
	LockedOut func(ctx context.Context, u *User)
}

// New validates cfg, fills in its defaults and returns a Manager.
func New(cfg Config) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, st: newStores(&cfg), gate: newHashGate(&cfg)}
	m.ext.Store(&Extension{})
	m.ck = &jar{cfg: &m.cfg, sessions: m.st.sessions, log: m.log}
	rememberKeys := make([][]byte, len(cfg.SecretKeys))
	authKeys := make([][]byte, len(cfg.SecretKeys))
	for i, k := range cfg.SecretKeys {
		aead, err := chacha20poly1305.NewX(deriveKey(k, "session cookie"))
		if err != nil {
			return nil, fmt.Errorf("gatehouse: %w", err)
		}
		m.ck.sealers = append(m.ck.sealers, aead)
		rememberKeys[i], authKeys[i] = deriveKey(k, "remember cookie"), deriveKey(k, "auth token")
	}
	m.rm.cfg = &m.cfg
	if m.rm.signer, err = token.NewSigner("remember", rememberKeys...); err != nil {
		return nil, fmt.Errorf("gatehouse: %w", err)
	}
	if m.auth, err = token.NewSigner("auth", authKeys...); err != nil {
		return nil, fmt.Errorf("gatehouse: %w", err)
	}
	m.protectKey = deriveKey(cfg.SecretKeys[0], "session protection")
	m.hasher = cfg.Hasher
	if m.hasher == nil {
		m.hasher = password.Argon2id{}
	}
	m.cfg.Hasher = m.hasher
	m.dummyHash = sync.OnceValue(func() string {
		h, err := m.hasher.Hash("gatehouse dummy password for timing")
		if err != nil {
			return ""
		}
		return h
	})
	m.limiter = memLimiter{gcra.NewMemory(0)}
	if cfg.Limiter != nil {
		m.limiter = boundedLimiter{cfg.Limiter, cfg.StoreTimeout}
	}
	m.xorigin = http.NewCrossOriginProtection()
	for _, o := range cfg.TrustedOrigins {
		if err := m.xorigin.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("gatehouse: TrustedOrigins: %w", err)
		}
	}
	if cfg.Cookie.Insecure {
		m.log.Warn("gatehouse: Cookie.Insecure is set: session cookies will be sent over plain HTTP; use it for local development only")
	}
	if cfg.Throttle.Off {
		m.log.Warn("gatehouse: Throttle.Off is set: password and link guessing is not limited; use it in tests only")
	}
	if cfg.LoginDisabled {
		m.log.Warn("gatehouse: LoginDisabled is set: every guard lets every request through; use it in tests only")
	}
	return m, nil
}

// Extend installs e: the views do it once, before the Manager serves.
// Fields left nil keep their defaults.
func (m *Manager) Extend(e Extension) {
	cur := *m.ext.Load()
	if e.Text != nil {
		cur.Text = e.Text
	}
	if e.ErrorPage != nil {
		cur.ErrorPage = e.ErrorPage
	}
	if e.AllowLogin != nil {
		cur.AllowLogin = e.AllowLogin
	}
	if e.LockedOut != nil {
		cur.LockedOut = e.LockedOut
	}
	if e.Login != "" {
		cur.Login = e.Login
	}
	if e.Refresh != "" {
		cur.Refresh = e.Refresh
	}
	m.ext.Store(&cur)
}

// Config returns the Manager's configuration with its defaults filled in,
// without its SecretKeys (nil in the copy): layers built on the engine
// read the rest (the views read IdentityAttributes, Cookie, Hasher and the
// redirect rules) rather than keep a second copy that could drift. The
// copy shares the Manager's other slices: read it, do not change it.
func (m *Manager) Config() Config {
	c := m.cfg
	c.SecretKeys = nil
	return c
}

// Keys derives a 32-byte key for purpose from each of the secret keys, in
// their order (the first is for sealing or signing, all for opening or
// verifying, so keys rotate as Config.SecretKeys do), for layers built on
// the engine: the views seal two-factor secrets with them. The keys are
// derived (HKDF) and apart from every key the engine uses itself; they
// reveal nothing of the secret keys.
func (m *Manager) Keys(purpose string) [][]byte {
	keys := make([][]byte, len(m.cfg.SecretKeys))
	for i, k := range m.cfg.SecretKeys {
		keys[i] = deriveKey(k, "extension/"+purpose)
	}
	return keys
}

// NewSecretKey returns 32 bytes from crypto/rand: a key for
// Config.SecretKeys. Make it once, keep it secret, and give every instance
// of the application the same one; a new key on each start logs everybody
// out.
func NewSecretKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// deriveKey derives a 32-byte key for one purpose from a secret key
// (HKDF-SHA256, RFC 5869), so one secret serves every purpose without the
// purposes ever sharing a key.
func deriveKey(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, "gatehouse/v1/"+purpose, 32)
	if err != nil {
		panic("gatehouse: hkdf: " + err.Error()) // only for lengths > 255*32
	}
	return k
}
