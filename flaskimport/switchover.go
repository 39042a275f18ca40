package flaskimport

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha512"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// SwitchOver keeps the users of a Flask application logged in across the
// move, for a window after the switch of traffic: a browser's Flask-Login
// remember cookie is exchanged for a Gatehouse session on its first
// request (and the old cookie removed), and a Flask-Security auth token
// is accepted, request by request, as Flask-Security accepted it. Both
// are checked as Flask checks them, with the Flask app's SECRET_KEY;
// after Until, or once the user's security stamp (the imported
// fs_uniquifier) has changed, or for an inactive user, they are ignored.
// It is off unless wired in:
//
//	so := &flaskimport.SwitchOver{SecretKeys: []string{flaskSecret}, Until: switchDay.AddDate(0, 1, 0), FindUser: byStamp}
//	auth, err := gatehouse.New(gatehouse.Config{..., RequestLoader: so.LoadToken})
//	handler := auth.Authenticate(so.Exchange(auth, mux))
type SwitchOver struct {
	// SecretKeys are the Flask app's SECRET_KEY, then its
	// SECRET_KEY_FALLBACKS, if any.
	SecretKeys []string
	// Until ends the window; after it the old credentials are ignored.
	// Required: a window that never closes would keep the old key
	// valid for good.
	Until time.Time
	// FindUser returns the user whose Flask-Login ID is id: for a
	// Flask-Security app, the fs_uniquifier, which the import keeps as the
	// user's SecurityStamp (FindByStamp finds it in the SQL stores); for
	// a plain Flask-Login app, whatever its get_id returned. An error
	// wrapping gatehouse.ErrNotFound means nobody.
	FindUser func(ctx context.Context, id string) (*gatehouse.User, error)
	// RememberCookie is Flask-Login's REMEMBER_COOKIE_NAME. Default:
	// "remember_token".
	RememberCookie string
	// TokenHeader and TokenQuery are Flask-Security's
	// SECURITY_TOKEN_AUTHENTICATION_HEADER and _KEY. Defaults:
	// "Authentication-Token" and "auth_token".
	TokenHeader, TokenQuery string
	// RememberSalt is SECURITY_REMEMBER_SALT, which signs auth tokens.
	// Default: "remember-salt".
	RememberSalt string
	// TokenMaxAge is SECURITY_TOKEN_MAX_AGE: older tokens are refused. 0
	// means no limit but the window's (Flask-Security 5.1's default).
	TokenMaxAge time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// ErrSwitchOverConfig is returned by Check for an incomplete SwitchOver.
var ErrSwitchOverConfig = errors.New("flaskimport: SwitchOver needs SecretKeys, Until and FindUser")

// Check reports whether so is complete.
func (so *SwitchOver) Check() error {
	if len(so.SecretKeys) == 0 || so.Until.IsZero() || so.FindUser == nil {
		return ErrSwitchOverConfig
	}
	for _, k := range so.SecretKeys {
		if k == "" {
			return ErrSwitchOverConfig
		}
	}
	return nil
}

func (so *SwitchOver) open() bool {
	now := time.Now
	if so.Now != nil {
		now = so.Now
	}
	return so.Check() == nil && now().Before(so.Until)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Exchange returns middleware, to put inside auth.Authenticate, that logs
// in the user of a valid Flask-Login remember cookie on a request that has
// no Gatehouse login yet: a new session and remember cookie (not fresh: no
// password was checked), and the old cookie removed. The request goes on
// with the user; a cookie that does not check out is removed and the
// request goes on as it was.
func (so *SwitchOver) Exchange(auth *gatehouse.Manager, next http.Handler) http.Handler {
	name := or(so.RememberCookie, "remember_token")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(name)
		if err != nil || !so.open() {
			next.ServeHTTP(w, r)
			return
		}
		if _, authed := gatehouse.CurrentUser(r.Context()); !authed {
			if u := so.rememberedUser(r.Context(), c.Value); u != nil {
				// A failed login (the store down, say) leaves the visitor
				// anonymous; the cookie stays for the next try.
				if auth.Login(w, r, u, gatehouse.LoginOptions{Remember: true, NotFresh: true}) != nil {
					next.ServeHTTP(w, r)
					return
				}
			}
		}
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
		next.ServeHTTP(w, r)
	})
}

// rememberedUser checks a Flask-Login remember cookie ("id|hex digest",
// the digest HMAC-SHA512 of id under SECRET_KEY, or HMAC-SHA1 from
// Flask-Login before 0.3) and returns its user if active.
func (so *SwitchOver) rememberedUser(ctx context.Context, value string) *gatehouse.User {
	id, digest, ok := cutLast(value, "|")
	if !ok {
		return nil
	}
	sum, err := hex.DecodeString(digest)
	if err != nil {
		return nil
	}
	hash := sha512.New
	if len(sum) == sha1.Size { // Flask-Login before 0.3 signed with SHA-1
		hash = sha1.New
	}
	for _, key := range so.SecretKeys {
		// Flask-Login encodes a str key as latin-1.
		mac := hmac.New(hash, latin1(key))
		mac.Write([]byte(id))
		if hmac.Equal(mac.Sum(nil), sum) {
			return so.activeUser(ctx, id)
		}
	}
	return nil
}

func (so *SwitchOver) activeUser(ctx context.Context, id string) *gatehouse.User {
	u, err := so.FindUser(ctx, id)
	if err != nil || u == nil || !u.Active {
		return nil
	}
	return u
}

// LoadToken is a gatehouse.Config.RequestLoader that accepts a
// Flask-Security auth token, from the TokenQuery parameter or the
// TokenHeader header (not from a JSON body: bodies are the handlers'),
// within the window. Its requests are authenticated one by one, as
// Flask-Security's were, with gatehouse.MethodRequest.
func (so *SwitchOver) LoadToken(r *http.Request) (*gatehouse.User, error) {
	tok := r.URL.Query().Get(or(so.TokenQuery, "auth_token"))
	if tok == "" {
		tok = r.Header.Get(or(so.TokenHeader, "Authentication-Token"))
	}
	if tok == "" || !so.open() {
		return nil, nil
	}
	uid, ok := so.tokenUser(tok)
	if !ok {
		return nil, nil
	}
	return so.activeUser(r.Context(), uid), nil
}

// tokenUser checks an itsdangerous URLSafeTimedSerializer token, as
// Flask-Security's remember_token_serializer makes them, and returns the
// uniquifier it names.
func (so *SwitchOver) tokenUser(tok string) (string, bool) {
	salt := or(so.RememberSalt, "remember-salt")
	var payload []byte
	var issued time.Time
	for _, key := range so.SecretKeys {
		if p, ts, ok := unsignTimed(tok, []byte(salt), []byte(key)); ok { // itsdangerous: UTF-8

			payload, issued = p, ts
			break
		}
	}
	if payload == nil {
		return "", false
	}
	now := time.Now
	if so.Now != nil {
		now = so.Now
	}
	if so.TokenMaxAge > 0 && now().Sub(issued) > so.TokenMaxAge {
		return "", false
	}
	data, err := loadURLSafe(payload)
	if err != nil {
		return "", false
	}
	// Flask-Security 4.0 to 5.3: ["uid"]; 3.x: [id, hash, uid]; 5.4 on:
	// {"ver": "5", "uid": ..., "exp": unix seconds or 0, ...}.
	var list []string
	if json.Unmarshal(data, &list) == nil {
		switch len(list) {
		case 1:
			return list[0], list[0] != ""
		case 3:
			return list[2], list[2] != ""
		}
		return "", false
	}
	var obj struct {
		Ver string  `json:"ver"`
		UID string  `json:"uid"`
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(data, &obj) != nil || obj.Ver == "" || obj.UID == "" {
		return "", false
	}
	if obj.Exp > 0 && float64(now().Unix()) > obj.Exp {
		return "", false
	}
	return obj.UID, true
}

// unsignTimed verifies itsdangerous' TimestampSigner format,
// "payload.timestamp.signature", with its default signer: HMAC-SHA1 under
// the key sha1(salt + "signer" + secret) ("django-concat").
func unsignTimed(tok string, salt, secret []byte) (payload []byte, issued time.Time, ok bool) {
	value, sig, found := cutLast(tok, ".")
	if !found {
		return nil, time.Time{}, false
	}
	want, err := b64(sig)
	if err != nil {
		return nil, time.Time{}, false
	}
	k := sha1.Sum(append(append(append([]byte{}, salt...), "signer"...), secret...))
	mac := hmac.New(sha1.New, k[:])
	mac.Write([]byte(value))
	if !hmac.Equal(mac.Sum(nil), want) {
		return nil, time.Time{}, false
	}
	p, ts, found := cutLast(value, ".")
	if !found {
		return nil, time.Time{}, false
	}
	tsb, err := b64(ts)
	if err != nil || len(tsb) == 0 || len(tsb) > 8 {
		return nil, time.Time{}, false
	}
	var buf [8]byte
	copy(buf[8-len(tsb):], tsb)
	return []byte(p), time.Unix(int64(binary.BigEndian.Uint64(buf[:])), 0), true
}

// loadURLSafe undoes URLSafeSerializer's payload: base64, zlib if it
// starts with ".", giving JSON.
func loadURLSafe(p []byte) ([]byte, error) {
	compressed := bytes.HasPrefix(p, []byte("."))
	data, err := b64(strings.TrimPrefix(string(p), "."))
	if err != nil || !compressed {
		return data, err
	}
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(io.LimitReader(zr, 64<<10))
}

// b64 is itsdangerous' base64: URL-safe, padding stripped; strict, so a
// token has one spelling (a last character with other unused bits is not
// the same token).
func b64(s string) ([]byte, error) { return base64.RawURLEncoding.Strict().DecodeString(s) }

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// latin1 encodes a str key as Flask-Login does (itsdangerous uses UTF-8;
// the two agree on ASCII keys).
func latin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return []byte(s)
		}
		b = append(b, byte(r))
	}
	return b
}

// FindByStamp returns a SwitchOver.FindUser for the SQL stores
// (sqlitestore, pgstore): the user whose SecurityStamp is the Flask
// uniquifier, looked up in db (the store's *sql.DB) and loaded from
// users. A user whose stamp has changed since the import (a new password,
// say) is found no more, so old credentials die with it, as in Flask.
func FindByStamp(db *sql.DB, users gatehouse.UserStore) func(ctx context.Context, id string) (*gatehouse.User, error) {
	q := "SELECT id FROM gatehouse_users WHERE security_stamp = $1"
	if strings.Contains(strings.ToLower(fmt.Sprintf("%T", db.Driver())), "sqlite") {
		q = "SELECT id FROM gatehouse_users WHERE security_stamp = ?"
	}
	return func(ctx context.Context, id string) (*gatehouse.User, error) {
		if id == "" {
			return nil, gatehouse.ErrNotFound
		}
		var uid int64
		switch err := db.QueryRowContext(ctx, q, id).Scan(&uid); {
		case errors.Is(err, sql.ErrNoRows):
			return nil, gatehouse.ErrNotFound
		case err != nil:
			return nil, fmt.Errorf("flaskimport: find by stamp: %w", err)
		}
		return users.UserByID(ctx, strconv.FormatInt(uid, 10))
	}
}
