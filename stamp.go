package gatehouse

import (
	"context"
	"fmt"
)

// NewSecurityStamp returns a fresh random SecurityStamp.
func NewSecurityStamp() string { return randomID(16) }

// LogoutEverywhere ends every session, remember cookie and auth token of u
// by rotating its SecurityStamp (and, with a SessionStore, deleting its
// server-side sessions). The current request's own session ends with them.
func (m *Manager) LogoutEverywhere(ctx context.Context, u *User) error {
	u.SecurityStamp = NewSecurityStamp()
	u.RevokedSessions = nil
	u.UpdatedAt = m.cfg.Now()
	if err := m.cfg.Users.UpdateUser(ctx, u); err != nil {
		return fmt.Errorf("gatehouse: logout everywhere: %w", err)
	}
	if m.cfg.Sessions != nil {
		if err := m.cfg.Sessions.DeleteUserSessions(ctx, u.ID); err != nil {
			return fmt.Errorf("gatehouse: logout everywhere: %w", err)
		}
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: logged out everywhere", attrEvent("logout_everywhere"), attrUser(u))
	return nil
}
