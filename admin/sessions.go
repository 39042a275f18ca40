package admin

import (
	"context"
	"fmt"
	"slices"

	"github.com/gatehouse-auth/gatehouse"
)

// UserSessions lists u's live server-side sessions, newest first, for a
// "where you are logged in" page. It needs a session store that is a
// SessionLister (with stateless cookie sessions there is nothing to list:
// end them all with the engine's EndSessions).
func (a *Admin) UserSessions(ctx context.Context, u *gatehouse.User) ([]*gatehouse.Session, error) {
	if a.sessions == nil {
		return nil, fmt.Errorf("%w: listing sessions needs a session store that is an admin.SessionLister", ErrUnsupported)
	}
	ctx, cancel := a.bounded(ctx)
	defer cancel()
	all, err := a.sessions.UserSessions(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("admin: user sessions: %w", err)
	}
	now := a.now()
	return slices.DeleteFunc(all, func(s *gatehouse.Session) bool { return !now.Before(s.ExpiresAt) }), nil
}

// RevokeSession ends one of u's server-side sessions, by the ID that
// UserSessions reported. ErrNotFound (wrapped) if u has no such session.
func (a *Admin) RevokeSession(ctx context.Context, u *gatehouse.User, id string) error {
	if a.st.Sessions == nil {
		return fmt.Errorf("%w: ending single sessions needs a session store (gatehouse.Config.Sessions)", ErrUnsupported)
	}
	s, err := a.st.Sessions.Session(ctx, id)
	if err == nil && s.UserID != u.ID {
		err = gatehouse.ErrNotFound
	}
	if err == nil {
		err = a.st.Sessions.DeleteSession(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("admin: revoke session: %w", err)
	}
	a.log.InfoContext(ctx, "admin: session revoked", "event", "session_revoked", "user_id", u.ID)
	return nil
}
