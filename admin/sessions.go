package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
// UserSessions reported, and the remember cookie of the browser that held
// it. ErrNotFound (wrapped) if u has no such session.
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
	if err == nil {
		// A remember cookie the session's browser holds carries the
		// session's ID: revoked with it, it restores nothing.
		now := a.now()
		rev := gatehouse.SessionRevocation{ID: revocationID(id), Until: now.Add(a.auth.Config().Remember.MaxDuration)}
		err = a.st.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{RevokeSession: &rev, UpdatedAt: now})
	}
	if err != nil {
		return fmt.Errorf("admin: revoke session: %w", err)
	}
	a.log.InfoContext(ctx, "admin: session revoked", "event", "session_revoked", "user_id", u.ID)
	return nil
}

// revocationID is how the engine keys a revoked session or remember
// cookie in User.RevokedSessions: the hex SHA-256 of its ID.
func revocationID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}
