package gatehouse

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// VerifyPassword checks an identity (an email address, or a username when
// Config.IdentityAttributes has "username") and a password. It returns
// ErrInvalidCredentials alike for an unknown identity and a wrong password,
// spending the same hashing time on both (a dummy hash is checked for
// unknown users), and ErrInactive for a deactivated account only once the
// password is right. Failures are logged with a keyed hash of the
// identity, never the identity. A hash made by an older scheme or weaker
// parameters is replaced by a fresh one on success. When too many hashes
// are waiting it fails at once with an ErrUnavailable (answer 503), and it
// never hashes for a request whose context is done. Guessing is
// throttled (Config.Throttle): past the limits it fails, before hashing,
// with a *RetryAfterError wrapping ErrRateLimited (answer 429), for
// unknown identities as for known ones.
func (m *Manager) VerifyPassword(ctx context.Context, identity, password string) (*User, error) {
	leave, ok := m.gate.enter(clientOf(ctx))
	if !ok {
		return nil, busy() // shed before any store work: a flood costs next to nothing
	}
	defer leave()
	u, err := m.lookup(ctx, identity, m.cfg.IdentityAttributes)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("gatehouse: verify password: %w", err)
	}
	account := identityAccount(identity, m.cfg.IdentityAttributes)
	if u != nil {
		account = userAccount(u)
	}
	res, err := m.reserve(ctx, kindPassword, account)
	if err != nil {
		return nil, err
	}
	reason := "wrong_password"
	switch {
	case u == nil || u.PasswordHash == "":
		reason = map[bool]string{true: "unknown_account", false: "no_password"}[u == nil]
		if err = m.compare(ctx, m.dummyHash(), password); err == nil || errors.Is(err, ErrInvalidCredentials) {
			err = ErrInvalidCredentials
		}
	default:
		err = m.compare(ctx, u.PasswordHash, password)
	}
	wrong := errors.Is(err, ErrInvalidCredentials)
	m.settle(ctx, res, wrong, identity, reason, u)
	if err != nil {
		return nil, err
	}
	if !u.Active {
		m.log.LogAttrs(ctx, levelInfo, "gatehouse: login refused: account disabled", attrEvent("login_inactive"), attrUser(u))
		return u, ErrInactive
	}
	if m.hasher.NeedsRehash(u.PasswordHash) {
		m.rehash(ctx, u, password)
	}
	return u, nil
}

// CheckPassword checks password against u's, as a re-authentication or a
// password change does: nil on a match, ErrInvalidCredentials on a
// mismatch or when u has no password, a *RetryAfterError when the
// account is throttled (ThrottleConfig: failures here count with failed
// logins), or an ErrUnavailable from the hashing limit.
func (m *Manager) CheckPassword(ctx context.Context, u *User, password string) error {
	res, err := m.reserve(ctx, kindPassword, userAccount(u))
	if err != nil {
		return err
	}
	reason := "wrong_password"
	if u.PasswordHash == "" {
		err, reason = ErrInvalidCredentials, "no_password"
	} else {
		err = m.compare(ctx, u.PasswordHash, password)
	}
	m.settle(ctx, res, errors.Is(err, ErrInvalidCredentials), u.Email, reason, u)
	return err
}

// logTag is a keyed hash of an identity, for logs that must not hold it.
func (m *Manager) logTag(identity string) string {
	if identity == "" {
		return ""
	}
	mac := hmac.New(sha256.New, m.protectKey)
	mac.Write([]byte("log\x00" + strings.ToLower(strings.TrimSpace(identity))))
	return b64.EncodeToString(mac.Sum(nil)[:9])
}

// rehash stores a fresh hash of password for u, unless the stored hash
// changed meanwhile (a password change must win).
func (m *Manager) rehash(ctx context.Context, u *User, password string) {
	h, err := m.hash(ctx, password)
	if err != nil {
		return
	}
	now := m.cfg.Now()
	err = m.st.users.UpdateUser(ctx, u.ID, UserChange{PasswordHash: &h, IfPasswordHash: &u.PasswordHash, UpdatedAt: now})
	switch {
	case err == nil:
		u.PasswordHash, u.UpdatedAt = h, now
	case errors.Is(err, ErrConflict):
	default:
		m.log.LogAttrs(ctx, levelError, "gatehouse: storing rehashed password", attrEvent("store_error"), attrErr(err))
	}
}

// lookup finds a user by an identity: an email address (if attrs has
// "email"), or a username (if attrs has "username" and the store can).
func (m *Manager) lookup(ctx context.Context, identity string, attrs []string) (*User, error) {
	switch attr, canon := canonicalIdentity(identity, attrs); attr {
	case "email":
		return m.st.users.UserByEmail(ctx, canon)
	case "username":
		if ul := m.st.byUsername; ul != nil {
			return ul.UserByUsername(ctx, canon)
		}
	}
	return nil, fmt.Errorf("gatehouse: find user: %w", ErrNotFound)
}

// canonicalIdentity is what lookup looks an identity up by: an email
// address in its one stored form, or a username in Unicode NFKC (stores
// compare both case-insensitively, so canon is lower-cased); attr is
// "email", "username" or "" for nothing to look up. The throttle keys an
// unknown account by the same, so no spelling tells a known account from
// an unknown one.
func canonicalIdentity(identity string, attrs []string) (attr, canon string) {
	identity = norm.NFKC.String(strings.TrimSpace(identity))
	switch {
	case identity == "":
		return "", ""
	case strings.Contains(identity, "@") && slices.Contains(attrs, "email"):
		email, _ := normalizeEmail(identity)
		return "email", strings.ToLower(email)
	case slices.Contains(attrs, "username"):
		return "username", strings.ToLower(identity)
	}
	return "", strings.ToLower(identity)
}

// HashPassword hashes password with the configured hasher, under the
// hashing limit (Config.MaxHashes). Hash before a transaction (InTx), not
// inside it.
func (m *Manager) HashPassword(ctx context.Context, password string) (string, error) {
	return m.hash(ctx, password)
}

// SetPassword hashes password into u and saves it with a new
// SecurityStamp, as EndSessions does: every session, remember cookie,
// auth token and one-time link of u made before ends, and only those two
// fields are written, so a concurrent deactivation or role change stands.
// Check the password against a policy first (package password's Policy).
// An empty password removes the user's password. To write something else
// in the same transaction (the views queue a notice mail), call
// HashPassword, then EndSessions with the hash inside InTx.
func (m *Manager) SetPassword(ctx context.Context, u *User, password string) error {
	h := ""
	if password != "" {
		var err error
		if h, err = m.hash(ctx, password); err != nil {
			return fmt.Errorf("gatehouse: set password: %w", err)
		}
	}
	return m.EndSessions(ctx, u, UserChange{PasswordHash: &h})
}

// normalizeEmail puts an address in the one form gatehouse stores and
// compares: spaces trimmed, the whole address in Unicode NFKC (so a
// full-width or otherwise compatibility spelling is the same address), and
// the domain mapped as IDNA lookups map it (UTS #46: lower case, and
// "xn--" labels decoded), so "Ada@BÜCHER.example" and
// "Ada@xn--bcher-kva.example" are one address, "Ada@bücher.example".
// Stores compare the whole address case-insensitively as well. The error
// reports a domain IDNA refuses (the address is then returned with its
// domain only lower-cased).
func normalizeEmail(email string) (string, error) {
	email = norm.NFKC.String(strings.TrimSpace(email))
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return email, nil
	}
	domain, err := idna.Lookup.ToUnicode(email[at+1:])
	if err != nil {
		return email[:at+1] + strings.ToLower(email[at+1:]), err
	}
	return email[:at+1] + domain, nil
}
