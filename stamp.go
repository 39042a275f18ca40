package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// NewSecurityStamp returns a fresh random SecurityStamp.
func NewSecurityStamp() string { return randomID(16) }

// LogoutEverywhere ends every session, remember cookie and auth token of u
// by rotating its SecurityStamp (and, with a SessionStore, deleting its
// server-side sessions). The current request's own session ends with them.
func (m *Manager) LogoutEverywhere(ctx context.Context, u *User) error {
	stamp, now := NewSecurityStamp(), m.cfg.Now()
	if err := m.st.users.UpdateUser(ctx, u.ID, UserChange{SecurityStamp: &stamp, UpdatedAt: now}); err != nil {
		return fmt.Errorf("gatehouse: logout everywhere: %w", err)
	}
	u.SecurityStamp, u.RevokedSessions, u.UpdatedAt = stamp, nil, now
	if m.st.sessions != nil {
		if err := m.st.sessions.DeleteUserSessions(ctx, u.ID); err != nil {
			return fmt.Errorf("gatehouse: logout everywhere: %w", err)
		}
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: logged out everywhere", attrEvent("logout_everywhere"), attrUser(u))
	return nil
}

// UserSessions lists u's live server-side sessions, newest first. It needs
// a Config.Sessions store that is a [SessionLister].
func (m *Manager) UserSessions(ctx context.Context, u *User) ([]*Session, error) {
	sl := m.st.sessionLister
	if sl == nil {
		return nil, errors.New("gatehouse: listing sessions needs a SessionStore that is a SessionLister")
	}
	all, err := sl.UserSessions(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("gatehouse: user sessions: %w", err)
	}
	now := m.cfg.Now()
	return slices.DeleteFunc(all, func(s *Session) bool { return !now.Before(s.ExpiresAt) }), nil
}

// RevokeSession ends one of u's server-side sessions, by the ID that
// UserSessions reported. ErrNotFound (wrapped) if u has no such session.
func (m *Manager) RevokeSession(ctx context.Context, u *User, id string) error {
	if m.st.sessions == nil {
		return errors.New("gatehouse: revoking single sessions needs a SessionStore")
	}
	s, err := m.st.sessions.Session(ctx, id)
	if err != nil {
		return fmt.Errorf("gatehouse: revoke session: %w", err)
	}
	if s.UserID != u.ID {
		return fmt.Errorf("gatehouse: revoke session: %w", ErrNotFound)
	}
	if err := m.st.sessions.DeleteSession(ctx, id); err != nil {
		return fmt.Errorf("gatehouse: revoke session: %w", err)
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: session revoked", attrEvent("session_revoked"), attrUser(u))
	return nil
}
