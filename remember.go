package gatehouse

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// rememberPayload is what the remember cookie carries, signed (not
// encrypted): the user ID and a hash of the SecurityStamp, so a password
// change or "log out everywhere" kills every remember cookie.
type rememberPayload struct {
	// ID lets Logout revoke this cookie if it is replayed.
	ID     string `json:"i"`
	UserID string `json:"u"`
	Stamp  string `json:"s"`
	// Until is when this cookie stops restoring sessions (unix seconds).
	Until int64 `json:"e"`
	// Ident is the session protection identifier (a hash of the client's
	// address and User-Agent) of the login: with ProtectionStrong, another
	// client's copy restores nothing.
	Ident string `json:"p,omitempty"`
}

// setRememberCookie sets the remember cookie for u, valid for d (the
// default Duration if d is 0, at most MaxDuration).
func (m *Manager) setRememberCookie(w http.ResponseWriter, r *http.Request, u *User, d time.Duration) {
	if d <= 0 {
		d = m.cfg.Remember.Duration
	}
	d = min(d, m.cfg.Remember.MaxDuration)
	now := m.cfg.Now()
	rp := rememberPayload{ID: randomID(12), UserID: u.ID, Stamp: stampHash(u.SecurityStamp), Until: now.Add(d).Unix()}
	if m.cfg.Protection != ProtectionOff {
		rp.Ident = m.identifier(r)
	}
	p, _ := json.Marshal(rp)
	setCookie(w, m.rememberCookie(m.remember.Sign(p, now), int(d.Seconds())))
}

func (m *Manager) clearRememberCookie(w http.ResponseWriter) {
	if w != nil {
		setCookie(w, m.rememberCookie("", -1))
	}
}

func (m *Manager) rememberCookie(value string, maxAge int) *http.Cookie {
	rc := m.cfg.Remember
	return &http.Cookie{
		Name: rc.Name, Value: value, Path: rc.Path, Domain: rc.Domain, MaxAge: maxAge,
		Secure: !m.cfg.Cookie.Insecure, HttpOnly: !rc.DisableHttpOnly, SameSite: rc.SameSite,
	}
}

// readRemember verifies the remember cookie. present reports whether there
// was one at all (so a bad one can be cleared).
func (m *Manager) readRemember(r *http.Request) (p rememberPayload, issued time.Time, present, ok bool) {
	c, err := r.Cookie(m.cfg.Remember.Name)
	if err != nil || c.Value == "" {
		return p, issued, false, false
	}
	now := m.cfg.Now()
	raw, issued, err := m.remember.Verify(c.Value, m.cfg.Remember.MaxDuration, now)
	if err != nil || json.Unmarshal(raw, &p) != nil || p.UserID == "" || p.ID == "" || now.Unix() > p.Until {
		return p, issued, true, false
	}
	return p, issued, true, true
}

// userForRemember loads the user a remember cookie names and checks that the
// cookie still speaks for them.
func (m *Manager) userForRemember(ctx context.Context, p rememberPayload) (*User, error) {
	u, err := m.st.users.UserByID(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	if !u.Active || !equalStamp(p.Stamp, u.SecurityStamp) {
		m.log.LogAttrs(ctx, levelWarn, "gatehouse: remember cookie refused: user inactive or security stamp changed", attrEvent("remember_refused"), attrUser(u))
		return nil, ErrNotFound
	}
	return u, nil
}
