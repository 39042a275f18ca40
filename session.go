package gatehouse

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// sessionState is what a session holds, sealed into the cookie or kept by
// the SessionStore (encoded by encodeState).
type sessionState struct {
	ID       string // random; hashed before it is stored anywhere
	UserID   string // empty: anonymous (flashes, next, CSRF)
	Stamp    string // stampHash of the user's SecurityStamp
	Method   Method
	AuthTime int64 // unix seconds credentials were last verified
	Fresh    bool
	Forced   bool   // logged in with LoginOptions.Force
	Created  int64  // unix seconds: absolute timeout
	Seen     int64  // unix seconds: idle timeout
	Ident    string // session protection identifier
	Next     string // NextInSession
	CSRF     string // secret the CSRF token is derived from
	Flashes  []Flash
}

// Flash is a one-time message kept in the session until shown.
type Flash struct {
	Category string
	Message  string
}

const (
	maxCookieBytes = 4096 // the whole Set-Cookie a browser must keep (RFC 6265 section 6.1)
	cookieVersion  = 2    // 1 was JSON inside; it no longer opens
	nonceSize      = 24   // XChaCha20-Poly1305
)

var b64 = base64.RawURLEncoding

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return b64.EncodeToString(b)
}

// stampHash is what sessions and remember cookies carry instead of the
// SecurityStamp: enough to notice it changed.
func stampHash(stamp string) string {
	sum := sha256.Sum256([]byte("gatehouse stamp\x00" + stamp))
	return b64.EncodeToString(sum[:12])
}

// sessionKey is the hash under which a session ID is stored or revoked.
func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

func (m *Manager) newSession(now time.Time) *sessionState {
	return &sessionState{ID: randomID(16), Created: now.Unix(), Seen: now.Unix()}
}

// expired reports whether s is past its absolute or idle timeout.
func (m *Manager) expired(s *sessionState, now time.Time) bool {
	if now.Sub(time.Unix(s.Created, 0)) > m.cfg.Session.Lifetime {
		return true
	}
	idle := m.cfg.Session.IdleTimeout
	return idle > 0 && now.Sub(time.Unix(s.Seen, 0)) > idle
}

// seal encrypts s for the cookie: base64url(version || nonce || ciphertext),
// with the cookie name as associated data so a value cannot be moved to
// another cookie.
func (m *Manager) seal(s *sessionState) (string, error) {
	return b64.EncodeToString(sealBox(m.sealers[0], cookieVersion, encodeState(s), []byte(m.cfg.Cookie.Name))), nil
}

// open decrypts a cookie value made by seal under any current key.
func (m *Manager) open(value string) (*sessionState, error) {
	if len(value) > maxCookieBytes || len(value) < b64.EncodedLen(1+nonceSize+16) {
		return nil, errBadCookie
	}
	raw, err := b64.Strict().DecodeString(value)
	// openBox checks the decoded length too: the decoder skips \r and \n,
	// so the encoded length alone proves nothing.
	if err != nil {
		return nil, errBadCookie
	}
	plain, ok := openBox(m.sealers, cookieVersion, raw, []byte(m.cfg.Cookie.Name))
	if !ok {
		return nil, errBadCookie
	}
	return decodeState(plain)
}

// sealBox encrypts plain: version || nonce || ciphertext, authenticated
// with ad.
func sealBox(aead cipher.AEAD, version byte, plain, ad []byte) []byte {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plain)+aead.Overhead())
	out[0] = version
	rand.Read(out[1:])
	return aead.Seal(out, out[1:1+nonceSize], plain, ad)
}

// openBox decrypts a box made by sealBox with any of aeads (key rotation).
func openBox(aeads []cipher.AEAD, version byte, box, ad []byte) ([]byte, bool) {
	if len(box) < 1+nonceSize+16 || box[0] != version {
		return nil, false
	}
	for _, aead := range aeads {
		if plain, err := aead.Open(nil, box[1:1+nonceSize], box[1+nonceSize:], ad); err == nil {
			return plain, true
		}
	}
	return nil, false
}

var errBadCookie = errors.New("gatehouse: bad session cookie")

// readSession loads the request's session, if it has a valid one: the
// second result is false when the cookie was present but unusable, so the
// caller can clear it.
func (m *Manager) readSession(ctx context.Context, r *http.Request) (s *sessionState, token string, ok bool) {
	c, err := r.Cookie(m.cfg.Cookie.Name)
	if err != nil {
		return nil, "", true
	}
	if m.st.sessions == nil {
		s, err := m.open(c.Value)
		if err != nil {
			m.log.LogAttrs(ctx, levelDebug, "gatehouse: session cookie refused", attrEvent("session_invalid"))
			return nil, "", false
		}
		return s, "", true
	}
	if len(c.Value) != 43 { // 32 random bytes, base64url
		return nil, "", false
	}
	stored, err := m.st.sessions.Session(ctx, sessionKey(c.Value))
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			m.log.LogAttrs(ctx, levelError, "gatehouse: session store", attrEvent("store_error"), attrErr(err))
		}
		return nil, "", false
	}
	if !stored.ExpiresAt.IsZero() && !m.cfg.Now().Before(stored.ExpiresAt) {
		return nil, "", false
	}
	s, err = decodeState(stored.Data)
	if err != nil {
		return nil, "", false
	}
	return s, c.Value, true
}

// writeSession saves st's session and sets its cookie; with no session it
// deletes the cookie. It must run before the response is written.
func (m *Manager) writeSession(w http.ResponseWriter, r *http.Request, st *reqState) error {
	if w == nil {
		return nil
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Cookie")
	if st.sess == nil {
		if st.token != "" && m.st.sessions != nil {
			if err := m.st.sessions.DeleteSession(r.Context(), sessionKey(st.token)); err != nil {
				return fmt.Errorf("gatehouse: delete session: %w", err)
			}
			st.token = ""
		}
		setCookie(w, m.sessionCookie("", -1))
		return nil
	}
	if m.st.sessions != nil {
		return m.saveServerSession(w, r, st)
	}
	for {
		v, err := m.seal(st.sess)
		if err != nil {
			return fmt.Errorf("gatehouse: seal session: %w", err)
		}
		c := m.sessionCookie(v, m.cookieMaxAge(st.sess))
		if len(c.String()) <= maxCookieBytes {
			setCookie(w, c)
			return nil
		}
		// Too big for a browser to keep: shed the oldest flashes first.
		if len(st.sess.Flashes) == 0 {
			return errors.New("gatehouse: session does not fit in a cookie; configure a SessionStore")
		}
		st.sess.Flashes = st.sess.Flashes[1:]
	}
}

func (m *Manager) saveServerSession(w http.ResponseWriter, r *http.Request, st *reqState) error {
	data := encodeState(st.sess)
	newToken := st.token == ""
	if newToken {
		st.token = randomID(32)
	}
	now := m.cfg.Now()
	created := time.Unix(st.sess.Created, 0)
	ip := m.clientIP(r)
	rec := &Session{
		ID: sessionKey(st.token), UserID: st.sess.UserID, Data: data,
		CreatedAt: created, UpdatedAt: now, ExpiresAt: m.sessionExpiry(st.sess),
		UserAgent: truncate(r.UserAgent(), 256),
	}
	if ip.IsValid() {
		rec.IP = ip.String()
	}
	if err := m.st.sessions.SaveSession(r.Context(), rec); err != nil {
		return fmt.Errorf("gatehouse: save session: %w", err)
	}
	if newToken || m.cfg.Session.Persistent {
		setCookie(w, m.sessionCookie(st.token, m.cookieMaxAge(st.sess)))
	}
	return nil
}

// sessionExpiry is when s dies of its absolute or idle timeout.
func (m *Manager) sessionExpiry(s *sessionState) time.Time {
	end := time.Unix(s.Created, 0).Add(m.cfg.Session.Lifetime)
	if idle := m.cfg.Session.IdleTimeout; idle > 0 {
		if e := time.Unix(s.Seen, 0).Add(idle); e.Before(end) {
			end = e
		}
	}
	return end
}

func (m *Manager) cookieMaxAge(s *sessionState) int {
	if !m.cfg.Session.Persistent {
		return 0
	}
	return max(1, int(m.sessionExpiry(s).Sub(m.cfg.Now()).Seconds()))
}

func (m *Manager) sessionCookie(value string, maxAge int) *http.Cookie {
	c := m.cfg.Cookie
	return &http.Cookie{
		Name: c.Name, Value: value, Path: c.Path, Domain: c.Domain, MaxAge: maxAge,
		Secure: !c.Insecure, HttpOnly: true, SameSite: c.SameSite,
	}
}

// setCookie sets c, replacing any Set-Cookie for the same name added
// earlier in this response, so the last write wins on the server, not by
// browser accident.
func setCookie(w http.ResponseWriter, c *http.Cookie) {
	h := w.Header()
	prefix := c.Name + "="
	kept := h["Set-Cookie"][:0]
	for _, v := range h["Set-Cookie"] {
		if len(v) < len(prefix) || v[:len(prefix)] != prefix {
			kept = append(kept, v)
		}
	}
	if len(kept) == 0 {
		h.Del("Set-Cookie")
	} else {
		h["Set-Cookie"] = kept
	}
	http.SetCookie(w, c)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
