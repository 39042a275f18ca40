package gatehouse

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
)

// identifier is Flask-Login's session identifier: a hash of the client's
// IP address and User-Agent, so the session does not carry either. It
// lives only inside the sealed session, so it needs no key.
func (c *Config) identifier(r *http.Request) string {
	var buf [256]byte
	b := buf[:0]
	if ip := c.clientIP(r); ip.IsValid() {
		b = ip.AppendTo(b)
	}
	b = append(b, 0)
	b = append(b, r.UserAgent()...)
	sum := sha256.Sum256(b)
	return b64.EncodeToString(sum[:12])
}

// protect applies session protection to a session with a user. It reports
// whether the session survives; it may mark it non-fresh.
func (m *Manager) protect(r *http.Request, s *sessionState, u *User) (alive, changed bool) {
	if m.cfg.Protection == ProtectionOff {
		return true, false
	}
	id := m.cfg.identifier(r)
	if s.Ident == "" {
		s.Ident = id
		return true, true
	}
	if hmac.Equal([]byte(s.Ident), []byte(id)) {
		return true, false
	}
	ctx := r.Context()
	if h := m.cfg.Hooks.SessionProtected; h != nil {
		h(ctx, u, m.cfg.Protection)
	}
	if m.cfg.Protection == ProtectionStrong {
		m.log.LogAttrs(ctx, levelWarn, "gatehouse: session ended by strong protection", attrEvent("session_protected"), attrUser(u))
		return false, true
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: session marked non-fresh by basic protection", attrEvent("session_protected"), attrUser(u))
	s.Ident = id
	s.Fresh = false
	return true, true
}
