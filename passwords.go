package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// VerifyPassword checks an identity (an email address, or a username when
// Views.IdentityAttributes has "username") and a password. It returns
// ErrInvalidCredentials alike for an unknown email and a wrong password,
// spending the same hashing time on both (a dummy hash is checked for
// unknown users), and ErrInactive for a deactivated account, only once the
// password is right. A hash made by an older scheme or weaker parameters
// is replaced by a fresh one on success. When too many hashes are waiting
// it fails at once with an ErrUnavailable (answer 503), and it never hashes
// for a request whose context is done.
func (m *Manager) VerifyPassword(ctx context.Context, identity, password string) (*User, error) {
	u, err := m.lookupIdentity(ctx, identity)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("gatehouse: verify password: %w", err)
	}
	if u == nil || u.PasswordHash == "" {
		if err := m.compare(ctx, m.dummyHash(), password); !errors.Is(err, ErrInvalidCredentials) && err != nil {
			return nil, err
		}
		return nil, ErrInvalidCredentials
	}
	if err := m.compare(ctx, u.PasswordHash, password); err != nil {
		return nil, err
	}
	if !u.Active {
		return u, ErrInactive
	}
	if m.hasher.NeedsRehash(u.PasswordHash) {
		m.rehash(ctx, u, password)
	}
	return u, nil
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

// lookupIdentity finds a user by an identity attribute.
func (m *Manager) lookupIdentity(ctx context.Context, identity string) (*User, error) {
	identity = strings.TrimSpace(identity)
	attrs := m.cfg.Views.IdentityAttributes
	if strings.Contains(identity, "@") && slices.Contains(attrs, "email") {
		return m.st.users.UserByEmail(ctx, NormalizeEmail(identity))
	}
	if ul := m.st.byUsername; ul != nil && identity != "" && slices.Contains(attrs, "username") {
		return ul.UserByUsername(ctx, identity)
	}
	return nil, ErrNotFound
}

// SetPassword hashes password into u, rotates its SecurityStamp (ending its
// other sessions, remember cookies, auth tokens and pending reset links),
// and saves those two fields (nothing else of u is written, so a
// concurrent deactivation or role change stands). Check the password
// against a policy first (package password's Policy).
func (m *Manager) SetPassword(ctx context.Context, u *User, password string) error {
	return m.setPassword(ctx, u, password, nil)
}

// setPassword is SetPassword that also queues a notice mail, if notice is
// not nil, in the same transaction.
func (m *Manager) setPassword(ctx context.Context, u *User, password string, notice *mailPayload) error {
	h, err := m.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("gatehouse: set password: %w", err)
	}
	stamp, now := NewSecurityStamp(), m.cfg.Now()
	err = m.inTx(ctx, func(ctx context.Context) error {
		if err := m.st.users.UpdateUser(ctx, u.ID, UserChange{PasswordHash: &h, SecurityStamp: &stamp, UpdatedAt: now}); err != nil {
			return err
		}
		if m.st.tokens != nil {
			if err := m.st.tokens.DeleteUserTokens(ctx, u.ID, TokenReset, TokenLogin); err != nil {
				return err
			}
		}
		if notice != nil {
			notice.UserID = u.ID
			return m.enqueueMail(ctx, *notice)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("gatehouse: set password: %w", err)
	}
	u.PasswordHash, u.SecurityStamp, u.RevokedSessions, u.UpdatedAt = h, stamp, nil, now
	if m.st.sessions != nil {
		if err := m.st.sessions.DeleteUserSessions(ctx, u.ID); err != nil {
			return fmt.Errorf("gatehouse: set password: %w", err)
		}
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: password set", attrEvent("password_set"), attrUser(u))
	return nil
}

// HashPassword hashes password with the configured hasher, under the
// hashing limit (Config.Hashing).
func (m *Manager) HashPassword(ctx context.Context, password string) (string, error) {
	return m.hash(ctx, password)
}

// NormalizeEmail puts an address in the one form gatehouse stores and
// compares: spaces trimmed, the whole address in Unicode NFKC (so a
// full-width or otherwise compatibility spelling is the same address), and
// the domain mapped as IDNA lookups map it (UTS #46: lower case, and
// "xn--" labels decoded), so "Ada@BÜCHER.example" and
// "Ada@xn--bcher-kva.example" are one address, "Ada@bücher.example".
// Stores compare the whole address case-insensitively as well.
func NormalizeEmail(email string) string {
	n, _ := normalizeEmail(email)
	return n
}

// normalizeEmail is NormalizeEmail that also reports a domain IDNA
// refuses.
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
