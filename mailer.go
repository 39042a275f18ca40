package gatehouse

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// link is an absolute URL on the configured BaseURL, never the request's
// Host: a forged Host header cannot send a user's reset link elsewhere.
// With no token it is the view's own page.
func (m *Manager) link(path, token string) string {
	l := strings.TrimSuffix(m.cfg.Views.BaseURL, "/") + m.cfg.Views.Prefix + path
	if token != "" {
		l += "/" + token
	}
	return l
}

// allowMail applies Mail.PerAddress to an address, known or not, so the
// limit itself says nothing about which addresses have accounts.
func (m *Manager) allowMail(r *http.Request, purpose, email string) error {
	mac := hmac.New(sha256.New, m.protectKey)
	mac.Write([]byte("mail\x00" + purpose + "\x00" + strings.ToLower(email)))
	key := b64.EncodeToString(mac.Sum(nil)[:16])
	ok, retry, err := m.limiter.Allow(r.Context(), key, m.cfg.Mail.PerAddress, m.cfg.Now())
	if err != nil {
		return err
	}
	if !ok {
		return &RateLimitError{RetryAfter: retry}
	}
	return nil
}

// allowClient applies a per-client limit to r's address (IPv6 addresses
// by their /64, which one client can hold whole), for purpose.
func (m *Manager) allowClient(r *http.Request, purpose string, l Limit) error {
	ip := m.clientIP(r)
	if !ip.IsValid() || l.Count <= 0 {
		return nil
	}
	if ip.Is6() && !ip.Is4In6() {
		if p, err := ip.Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	mac := hmac.New(sha256.New, m.protectKey)
	mac.Write([]byte("client\x00" + purpose + "\x00" + ip.String()))
	ok, retry, err := m.limiter.Allow(r.Context(), b64.EncodeToString(mac.Sum(nil)[:16]), l, m.cfg.Now())
	if err != nil {
		return err
	}
	if !ok {
		return &RateLimitError{RetryAfter: retry}
	}
	return nil
}

// humanDuration says d in lang ("5 days", "5日"), for mails.
func (m *Manager) humanDuration(lang string, d time.Duration) string {
	n, unit := int(d/time.Minute), "UI_MINUTE"
	switch {
	case d%(24*time.Hour) == 0:
		n, unit = int(d/(24*time.Hour)), "UI_DAY"
	case d%time.Hour == 0:
		n, unit = int(d/time.Hour), "UI_HOUR"
	}
	if n != 1 {
		unit += "S"
	}
	return m.textLang(nil, lang, unit, "n", itoa(n))
}

func itoa(n int) string { return strconv.Itoa(n) }
