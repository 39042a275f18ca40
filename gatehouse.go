package gatehouse

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/token"
)

// Manager is gatehouse's entry point: it loads the user of each request,
// guards handlers, and logs users in and out. Create it with [New]; it is
// safe for concurrent use and starts no goroutines.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	hasher PasswordHasher
	gate   *hashGate
	st     stores

	sealers    []cipher.AEAD // one per secret key; [0] seals
	remember   *token.Signer
	auth       *token.Signer
	protectKey []byte
	xorigin    *http.CrossOriginProtection

	dummyHash func() string
	limiter   Limiter
	pages     map[string]*htmltemplate.Template

	siteWord      string      // the site's name from BaseURL, which passwords may not be based on
	verifyMounted atomic.Bool // Mount served the verify view: RequireFresh sends browsers there

	mailer     Mailer
	mailKeys   []cipher.AEAD // seal outbox payloads; [0] seals
	wake       chan struct{} // a job was queued in this process
	workers    atomic.Int32  // Run calls in progress
	warnedIdle atomic.Bool
}

// New validates cfg, fills in its defaults and returns a Manager.
func New(cfg Config) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, st: newStores(&cfg), gate: newHashGate(cfg.Hashing)}
	for _, k := range cfg.SecretKeys {
		aead, err := chacha20poly1305.NewX(deriveKey(k, "session cookie"))
		if err != nil {
			return nil, fmt.Errorf("gatehouse: %w", err)
		}
		m.sealers = append(m.sealers, aead)
		if aead, err = chacha20poly1305.NewX(deriveKey(k, "mail outbox")); err != nil {
			return nil, fmt.Errorf("gatehouse: %w", err)
		}
		m.mailKeys = append(m.mailKeys, aead)
	}
	m.mailer = cfg.Mail.Mailer
	m.siteWord = siteWord(cfg.Views.BaseURL)
	m.wake = make(chan struct{}, 1)
	rememberKeys := make([][]byte, len(cfg.SecretKeys))
	for i, k := range cfg.SecretKeys {
		rememberKeys[i] = deriveKey(k, "remember cookie")
	}
	if m.remember, err = token.NewSigner("remember", rememberKeys...); err != nil {
		return nil, fmt.Errorf("gatehouse: %w", err)
	}
	authKeys := make([][]byte, len(cfg.SecretKeys))
	for i, k := range cfg.SecretKeys {
		authKeys[i] = deriveKey(k, "auth token")
	}
	if m.auth, err = token.NewSigner("auth", authKeys...); err != nil {
		return nil, fmt.Errorf("gatehouse: %w", err)
	}
	m.protectKey = deriveKey(cfg.SecretKeys[0], "session protection")

	m.hasher = cfg.Hasher
	if m.hasher == nil {
		m.hasher = password.Argon2id{}
	}
	m.dummyHash = sync.OnceValue(func() string {
		h, err := m.hasher.Hash("gatehouse dummy password for timing")
		if err != nil {
			return ""
		}
		return h
	})

	m.limiter = cfg.Limiter
	if m.limiter == nil {
		m.limiter = newMemLimiter()
	}
	m.xorigin = http.NewCrossOriginProtection()
	for _, o := range cfg.CSRF.TrustedOrigins {
		if err := m.xorigin.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("gatehouse: CSRF.TrustedOrigins: %w", err)
		}
	}
	if err := m.parsePages(); err != nil {
		return nil, err
	}

	if cfg.Cookie.Insecure {
		m.log.Warn("gatehouse: Cookie.Insecure is set: session cookies will be sent over plain HTTP; use it for local development only")
	}
	if cfg.LoginDisabled {
		m.log.Warn("gatehouse: LoginDisabled is set: every guard lets every request through; use it in tests only")
	}
	return m, nil
}

// siteWord is the name a site goes by, from its base URL: the label before
// the top-level domain ("example" for https://app.example.com), or "".
func siteWord(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	labels := strings.Split(strings.TrimSuffix(u.Hostname(), "."), ".")
	if len(labels) < 2 {
		return ""
	}
	return labels[len(labels)-2]
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

// Config returns a copy of the Manager's configuration with defaults filled
// in, for handlers that need the same settings.
func (m *Manager) Config() Config { return m.cfg }
