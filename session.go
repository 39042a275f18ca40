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
	"log/slog"
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
	Next     string // Config.NextInSession
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
	var b [stampHashLen]byte
	return string(appendStampHash(b[:0], stamp))
}

// stampHashLen is the length of a stampHash.
const stampHashLen = 16

// appendStampHash appends stampHash(stamp) to b, without allocating for
// stamps of up to 100 bytes (every request compares one).
func appendStampHash(b []byte, stamp string) []byte {
	const prefix = "gatehouse stamp\x00"
	var buf [len(prefix) + 100]byte
	sum := sha256.Sum256(append(append(buf[:0], prefix...), stamp...))
	return b64.AppendEncode(b, sum[:12])
}

// sessionKey is the hash under which a session ID is stored or revoked.
func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// jar reads and writes the session: sealed in the cookie, or kept by the
// SessionStore with a random token in the cookie.
type jar struct {
	cfg      *Config
	sealers  []cipher.AEAD // one per secret key; [0] seals
	sessions SessionStore  // nil: cookie sessions
	log      *slog.Logger
}

func (j *jar) newSession(now time.Time) *sessionState {
	return &sessionState{ID: randomID(16), Created: now.Unix(), Seen: now.Unix()}
}

// expired reports whether s is past its absolute or idle timeout.
func (j *jar) expired(s *sessionState, now time.Time) bool { return now.After(j.expiry(s)) }

// expiry is when s dies of its absolute or idle timeout.
func (j *jar) expiry(s *sessionState) time.Time {
	end := time.Unix(s.Created, 0).Add(j.cfg.Session.Lifetime)
	if idle := j.cfg.Session.IdleTimeout; idle > 0 {
		if e := time.Unix(s.Seen, 0).Add(idle); e.Before(end) {
			end = e
		}
	}
	return end
}

// seal encrypts s for the cookie: base64url(version || nonce || ciphertext),
// with the cookie name as associated data so a value cannot be moved to
// another cookie.
func (j *jar) seal(s *sessionState) string {
	return b64.EncodeToString(sealBox(j.sealers[0], cookieVersion, encodeState(s), []byte(j.cfg.Cookie.Name)))
}

// open decrypts a cookie value made by seal under any current key.
func (j *jar) open(value string) (*sessionState, error) {
	if len(value) > maxCookieBytes || len(value) < b64.EncodedLen(1+nonceSize+16) {
		return nil, errBadCookie
	}
	raw, err := b64.Strict().DecodeString(value)
	// openBox checks the decoded length too: the decoder skips \r and \n,
	// so the encoded length alone proves nothing.
	if err != nil {
		return nil, errBadCookie
	}
	plain, ok := openBox(j.sealers, cookieVersion, raw, []byte(j.cfg.Cookie.Name))
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

// read loads the request's session, if it has a valid one, and the
// server-side token it is kept under, with its key in the store. ok is false when a cookie was
// present but unusable, so it can be cleared.
func (j *jar) read(ctx context.Context, r *http.Request) (s *sessionState, token, key string, ok bool) {
	c, err := r.Cookie(j.cfg.Cookie.Name)
	if err != nil {
		return nil, "", "", true
	}
	if j.sessions == nil {
		s, err := j.open(c.Value)
		if err != nil {
			j.log.LogAttrs(ctx, levelDebug, "gatehouse: session cookie refused", attrEvent("session_invalid"))
			return nil, "", "", false
		}
		return s, "", "", true
	}
	if len(c.Value) != 43 { // 32 random bytes, base64url
		return nil, "", "", false
	}
	stored, err := j.sessions.Session(ctx, sessionKey(c.Value))
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			j.log.LogAttrs(ctx, levelError, "gatehouse: session store", attrEvent("store_error"), attrErr(err))
		}
		return nil, "", "", false
	}
	if !stored.ExpiresAt.IsZero() && !j.cfg.Now().Before(stored.ExpiresAt) {
		return nil, "", "", false
	}
	s, err = decodeState(stored.Data)
	if err != nil {
		return nil, "", "", false
	}
	return s, c.Value, stored.ID, true
}

// write saves st's session and sets its cookie; with no session it deletes
// the cookie (and the server-side session). It must run before the
// response is written.
func (j *jar) write(w http.ResponseWriter, r *http.Request, st *reqState, ip string) error {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Cookie")
	if st.sess == nil {
		if st.token != "" && j.sessions != nil {
			if err := j.sessions.DeleteSession(r.Context(), sessionKey(st.token)); err != nil {
				return fmt.Errorf("gatehouse: delete session: %w", err)
			}
			st.token = ""
		}
		setCookie(w, j.cookie("", -1))
		return nil
	}
	if j.sessions != nil {
		return j.save(w, r, st, ip)
	}
	for {
		c := j.cookie(j.seal(st.sess), j.maxAge(st.sess))
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

// save keeps st's session in the SessionStore, under a new token the
// first time.
func (j *jar) save(w http.ResponseWriter, r *http.Request, st *reqState, ip string) error {
	newToken := st.token == ""
	if newToken {
		st.token = randomID(32)
	}
	rec := &Session{
		ID: sessionKey(st.token), UserID: st.sess.UserID, Data: encodeState(st.sess),
		CreatedAt: time.Unix(st.sess.Created, 0), UpdatedAt: j.cfg.Now(), ExpiresAt: j.expiry(st.sess),
		IP: ip, UserAgent: truncate(r.UserAgent(), 256),
	}
	if err := j.sessions.SaveSession(r.Context(), rec); err != nil {
		return fmt.Errorf("gatehouse: save session: %w", err)
	}
	if newToken || j.cfg.Session.Persistent {
		setCookie(w, j.cookie(st.token, j.maxAge(st.sess)))
	}
	return nil
}

func (j *jar) maxAge(s *sessionState) int {
	if !j.cfg.Session.Persistent {
		return 0
	}
	return max(1, int(j.expiry(s).Sub(j.cfg.Now()).Seconds()))
}

// cookie is the session cookie with value; maxAge as http.Cookie's.
func (j *jar) cookie(value string, maxAge int) *http.Cookie {
	c := j.cfg.Cookie
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
