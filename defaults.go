package gatehouse

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// makeKeyHint says how to make a proper secret key.
const makeKeyHint = "make one with: head -c 32 /dev/urandom | base64 (or openssl rand -base64 32), and keep it secret"

// minKeyBits is the least entropy a secret key must show by keyBits: 32
// random bytes show about 150, a 44-character base64 string about 220.
const minKeyBits = 128

// keyBits estimates the entropy of k, in bits, from its byte frequencies
// (Shannon's estimate times the length). It is a guard against keys such
// as 32 times the same byte or a short phrase repeated, not a proof of
// randomness: a key must come from crypto/rand.
func keyBits(k []byte) float64 {
	var counts [256]int
	for _, b := range k {
		counts[b]++
	}
	var h float64
	n := float64(len(k))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h * n
}

const (
	minKeyLen          = 32
	defaultLifetime    = 14 * 24 * time.Hour
	defaultIdle        = 24 * time.Hour
	defaultFresh       = 10 * time.Minute
	defaultRemember    = 365 * 24 * time.Hour
	maxRemember        = 400 * 24 * time.Hour
	defaultTokenMaxAge = 24 * time.Hour
)

// withDefaults fills in defaults and validates; it works on a copy and
// reports every problem at once.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Users == nil {
		errs = append(errs, errors.New("missing Users: a UserStore is required"))
	}
	if len(c.SecretKeys) == 0 {
		errs = append(errs, errors.New("missing SecretKeys: at least one key of 32 random bytes is required; "+makeKeyHint))
	}
	for i, k := range c.SecretKeys {
		switch {
		case len(k) < minKeyLen:
			errs = append(errs, fmt.Errorf("key SecretKeys[%d] is %d bytes, want at least %d random bytes; %s", i, len(k), minKeyLen, makeKeyHint))
		case keyBits(k) < minKeyBits:
			errs = append(errs, fmt.Errorf("key SecretKeys[%d] looks far from random (a repeated or guessable value); %s", i, makeKeyHint))
		}
	}
	c.SecretKeys = slices.Clone(c.SecretKeys)
	c.AllowedRedirectHosts = slices.Clone(c.AllowedRedirectHosts)
	c.TrustedProxies = slices.Clone(c.TrustedProxies)
	c.TrustedOrigins = slices.Clone(c.TrustedOrigins)
	if c.Limiter == nil {
		c.Limiter, _ = c.Users.(Limiter)
	}
	c.Throttle = c.Throttle.withDefaults()
	if c.Outbox == nil {
		c.Outbox, _ = c.Users.(Outbox)
	}
	if c.StoreTimeout <= 0 {
		c.StoreTimeout = defaultStoreTimeout
	}
	errs = append(errs, c.cookieDefaults()...)

	if c.Session.Lifetime <= 0 {
		c.Session.Lifetime = defaultLifetime
	}
	if c.Session.IdleTimeout == 0 {
		c.Session.IdleTimeout = defaultIdle
	}
	if c.Session.FreshFor <= 0 {
		c.Session.FreshFor = defaultFresh
	}
	if c.Protection > ProtectionOff {
		errs = append(errs, fmt.Errorf("unknown Protection %d", c.Protection))
	}

	if c.TokenHeader == "" {
		c.TokenHeader = "Authentication-Token"
	}
	switch {
	case c.TokenMaxAge == 0:
		c.TokenMaxAge = defaultTokenMaxAge
	case c.TokenMaxAge < 0:
		c.TokenMaxAge = 0 // token.Signer: no age limit
	}
	if c.BasicRealm == "" {
		c.BasicRealm = "Login Required"
	}
	if strings.ContainsAny(c.BasicRealm, "\"\\\r\n") {
		errs = append(errs, errors.New("BasicRealm may not hold quotes, backslashes or line breaks"))
	}
	if len(c.IdentityAttributes) == 0 {
		c.IdentityAttributes = []string{"email"}
	}
	for _, a := range c.IdentityAttributes {
		if a != "email" && a != "username" {
			errs = append(errs, errors.New("identity attributes are \"email\" and \"username\""))
		}
	}
	if slices.Contains(c.IdentityAttributes, "username") {
		if _, ok := c.Users.(UsernameLookup); !ok && c.Users != nil {
			errs = append(errs, errors.New("identity attribute username needs a user store that is a UsernameLookup"))
		}
	}

	if c.PostLoginURL == "" {
		c.PostLoginURL = "/"
	}
	for _, u := range []struct{ name, url string }{{"LoginURL", c.LoginURL}, {"RefreshURL", c.RefreshURL}, {"PostLoginURL", c.PostLoginURL}} {
		if u.url != "" && !isSafeRedirect(u.url, c.AllowedRedirectHosts) {
			errs = append(errs, fmt.Errorf("redirect %s %q is not a path on this site or an allowed host", u.name, u.url))
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("gatehouse: invalid config: %w", errors.Join(errs...))
	}
	return c, nil
}

// cookieDefaults fills in and checks the session and remember cookies.
func (c *Config) cookieDefaults() []error {
	var errs []error
	ck, rc := &c.Cookie, &c.Remember
	if ck.Path == "" {
		ck.Path = "/"
	}
	if ck.SameSite == 0 {
		ck.SameSite = http.SameSiteLaxMode
	}
	if ck.Name == "" {
		ck.Name = prefixed("gatehouse", ck.Insecure, ck.Domain != "" || ck.Path != "/")
	}
	if rc.Path == "" {
		rc.Path = "/"
	}
	if rc.Name == "" {
		rc.Name = prefixed("remember_token", ck.Insecure, rc.Domain != "" || rc.Path != "/")
	}
	for _, x := range []struct{ what, name, domain, path string }{
		{"cookie", ck.Name, ck.Domain, ck.Path}, {"remember cookie", rc.Name, rc.Domain, rc.Path},
	} {
		if strings.HasPrefix(x.name, "__Host-") && (ck.Insecure || x.domain != "" || x.path != "/") {
			errs = append(errs, fmt.Errorf("%s name with the __Host- prefix needs Secure, no Domain and Path \"/\"", x.what))
		}
		if strings.HasPrefix(x.name, "__Secure-") && ck.Insecure {
			errs = append(errs, fmt.Errorf("%s name with the __Secure- prefix needs Secure", x.what))
		}
	}
	if ck.SameSite == http.SameSiteNoneMode && ck.Insecure {
		errs = append(errs, errors.New("cookie SameSite None needs Secure"))
	}
	if rc.Name == ck.Name {
		errs = append(errs, errors.New("cookie names Remember.Name and Cookie.Name must differ"))
	}
	if rc.MaxDuration <= 0 {
		rc.MaxDuration = maxRemember
	}
	if rc.Duration <= 0 {
		rc.Duration = min(defaultRemember, rc.MaxDuration)
	}
	if rc.Duration > rc.MaxDuration {
		errs = append(errs, errors.New("Remember.Duration is over Remember.MaxDuration"))
	}
	for _, p := range c.TrustedProxies {
		if !p.IsValid() {
			errs = append(errs, errors.New("TrustedProxies holds an invalid prefix"))
		}
	}
	return errs
}

// prefixed is a cookie's default name: __Host- when it can be (Secure,
// host-only, Path=/), else __Secure- when it is Secure, else bare.
func prefixed(name string, insecure, scoped bool) string {
	switch {
	case insecure:
		return name
	case scoped:
		return "__Secure-" + name
	default:
		return "__Host-" + name
	}
}
