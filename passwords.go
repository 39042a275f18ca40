package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// VerifyPassword checks an identity (an email address, or a username when
// Views.IdentityAttributes has "username") and a password. It returns
// ErrInvalidCredentials alike for an unknown email and a wrong password,
// spending the same hashing time on both (a dummy hash is checked for
// unknown users), and ErrInactive for a deactivated account, only once the
// password is right. A hash made by an older scheme or weaker parameters
// is replaced by a fresh one on success.
func (m *Manager) VerifyPassword(ctx context.Context, identity, password string) (*User, error) {
	u, err := m.lookupIdentity(ctx, identity)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("gatehouse: verify password: %w", err)
	}
	if u == nil || u.PasswordHash == "" {
		m.hasher.Compare(m.dummyHash(), password)
		return nil, ErrInvalidCredentials
	}
	if err := m.hasher.Compare(u.PasswordHash, password); err != nil {
		return nil, ErrInvalidCredentials
	}
	if !u.Active {
		return u, ErrInactive
	}
	if m.hasher.NeedsRehash(u.PasswordHash) {
		if h, err := m.hasher.Hash(password); err == nil {
			u.PasswordHash = h
			u.UpdatedAt = m.cfg.Now()
			if err := m.cfg.Users.UpdateUser(ctx, u); err != nil {
				m.log.LogAttrs(ctx, levelError, "gatehouse: storing rehashed password", attrEvent("store_error"), attrErr(err))
			}
		}
	}
	return u, nil
}

// lookupIdentity finds a user by an identity attribute.
func (m *Manager) lookupIdentity(ctx context.Context, identity string) (*User, error) {
	identity = strings.TrimSpace(identity)
	attrs := m.cfg.Views.IdentityAttributes
	if strings.Contains(identity, "@") && slices.Contains(attrs, "email") {
		return m.cfg.Users.UserByEmail(ctx, NormalizeEmail(identity))
	}
	if ul, ok := m.cfg.Users.(UsernameLookup); ok && identity != "" && slices.Contains(attrs, "username") {
		return ul.UserByUsername(ctx, identity)
	}
	return nil, ErrNotFound
}

// SetPassword hashes password into u, rotates its SecurityStamp (ending its
// other sessions, remember cookies, auth tokens and pending reset links),
// and saves u. Check the password against a policy first (package
// password's Policy).
func (m *Manager) SetPassword(ctx context.Context, u *User, password string) error {
	h, err := m.hasher.Hash(password)
	if err != nil {
		return fmt.Errorf("gatehouse: set password: %w", err)
	}
	u.PasswordHash = h
	u.SecurityStamp = NewSecurityStamp()
	u.RevokedSessions = nil
	u.UpdatedAt = m.cfg.Now()
	if err := m.cfg.Users.UpdateUser(ctx, u); err != nil {
		return fmt.Errorf("gatehouse: set password: %w", err)
	}
	if m.cfg.Tokens != nil {
		if err := m.cfg.Tokens.DeleteUserTokens(ctx, u.ID, TokenReset, TokenLogin); err != nil {
			return fmt.Errorf("gatehouse: set password: %w", err)
		}
	}
	if m.cfg.Sessions != nil {
		if err := m.cfg.Sessions.DeleteUserSessions(ctx, u.ID); err != nil {
			return fmt.Errorf("gatehouse: set password: %w", err)
		}
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: password set", attrEvent("password_set"), attrUser(u))
	return nil
}

// HashPassword hashes password with the configured hasher.
func (m *Manager) HashPassword(password string) (string, error) { return m.hasher.Hash(password) }

// NormalizeEmail trims spaces and lower-cases the domain part, which is
// case-insensitive (RFC 5321); stores compare the whole address
// case-insensitively as well.
func NormalizeEmail(email string) string {
	email = strings.TrimSpace(email)
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return email
	}
	return email[:at+1] + strings.ToLower(email[at+1:])
}
