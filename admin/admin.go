// Package admin is what an operator does to accounts and roles, on top of
// gatehouse's engine: list, activate, deactivate and delete users, keep
// the role catalog and give roles, and see and end a user's server-side
// sessions. The command line (package gatehousecli) is built on it, and
// so can an application's admin pages be.
//
//	a := admin.New(auth)
//	u, err := auth.FindUser(ctx, "ada@example.com")
//	err = a.AddRole(ctx, u, "editor")
//	err = a.SetActive(ctx, u, false) // her sessions end at once
//
// What a store cannot do (list users, say, for a store that is not a
// UserStore) fails with ErrUnsupported.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// ErrUnsupported means the configured store cannot do what was asked: it
// lacks the optional interface (UserStore, SessionLister) or there is no
// role catalog (gatehouse.Config.Roles).
var ErrUnsupported = errors.New("admin: not supported by the store")

// Filter selects users for ListUsers.
type Filter struct {
	// Email, if set, matches addresses containing it (case-insensitive).
	Email string
	// Role, if set, matches users who have it.
	Role string
	// Username, if set, matches the user with that username
	// (case-insensitive).
	Username string
	// Fields, if set, match users whose User.Fields have every one of
	// these values exactly (Flask-Security's find_user(first_name="Ada")
	// on a custom column).
	Fields map[string]string
	// Limit caps the result; 0 means no limit. Offset skips that many.
	Limit, Offset int
}

// UserStore is what a user store needs to list and delete users. The
// stores of this module (memstore, sqlitestore, pgstore) are all one.
type UserStore interface {
	// ListUsers returns the users f selects, ordered by ID.
	ListUsers(ctx context.Context, f Filter) ([]*gatehouse.User, error)
	// DeleteUser removes the user with its roles, sessions and tokens; nil
	// if it does not exist.
	DeleteUser(ctx context.Context, id string) error
}

// SessionLister is what a session store needs to list a user's
// server-side sessions.
type SessionLister interface {
	// UserSessions returns the user's sessions, newest first (expired ones
	// may be included: Admin filters them).
	UserSessions(ctx context.Context, userID string) ([]*gatehouse.Session, error)
}

// Admin does an operator's work through a Manager and its stores. Make it
// with New; it is safe for concurrent use.
type Admin struct {
	auth     *gatehouse.Manager
	st       gatehouse.Stores
	users    UserStore     // nil if the user store cannot
	sessions SessionLister // nil if the session store cannot
	timeout  time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// New returns an Admin working through auth. It finds, once, what the
// configured stores can do.
func New(auth *gatehouse.Manager) *Admin {
	cfg := auth.Config()
	a := &Admin{auth: auth, st: auth.Stores(), timeout: cfg.StoreTimeout, now: cfg.Now, log: cfg.Logger}
	a.users, _ = cfg.Users.(UserStore)
	a.sessions, _ = cfg.Sessions.(SessionLister)
	return a
}

// bounded runs a call to a store the Manager's Stores do not wrap with
// the Manager's deadline (Config.StoreTimeout).
func (a *Admin) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, a.timeout)
}

// ListUsers lists the users f selects, ordered by ID.
func (a *Admin) ListUsers(ctx context.Context, f Filter) ([]*gatehouse.User, error) {
	if a.users == nil {
		return nil, fmt.Errorf("%w: the user store cannot list users (it is not an admin.UserStore)", ErrUnsupported)
	}
	for name := range f.Fields {
		if name == "" || len(name) > 64 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return nil, fmt.Errorf("admin: list users: field name %q: lower-case letters, digits and underscores only", name)
		}
	}
	ctx, cancel := a.bounded(ctx)
	defer cancel()
	users, err := a.users.ListUsers(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("admin: list users: %w", err)
	}
	return users, nil
}

// FindUser returns the first user, by ID, that f selects (Flask-Security's
// datastore.find_user(**kwargs): by a custom field, a username, a role or
// part of an address), or an error wrapping gatehouse.ErrNotFound. For an
// exact address use the engine's FindUser; f.Limit and f.Offset are
// ignored.
func (a *Admin) FindUser(ctx context.Context, f Filter) (*gatehouse.User, error) {
	f.Limit, f.Offset = 1, 0
	users, err := a.ListUsers(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("admin: find user: %w", gatehouse.ErrNotFound)
	}
	return users[0], nil
}

// DeleteUser deletes a user with its roles, tokens and sessions (also
// those in a separate session store); nil if it does not exist.
func (a *Admin) DeleteUser(ctx context.Context, id string) error {
	if a.users == nil {
		return fmt.Errorf("%w: the user store cannot delete users (it is not an admin.UserStore)", ErrUnsupported)
	}
	err := func() error {
		bctx, cancel := a.bounded(ctx)
		defer cancel()
		if err := a.users.DeleteUser(bctx, id); err != nil {
			return err
		}
		if a.st.Sessions != nil {
			if err := a.st.Sessions.DeleteUserSessions(ctx, id); err != nil {
				return err
			}
		}
		if a.st.Tokens != nil {
			return a.st.Tokens.DeleteUserTokens(ctx, id)
		}
		return nil
	}()
	if err != nil {
		return fmt.Errorf("admin: delete user: %w", err)
	}
	a.log.InfoContext(ctx, "admin: user deleted", "event", "user_deleted", "user_id", id)
	return nil
}

// SetActive activates or deactivates u and saves that field only, so a
// concurrent password or role change stands. Deactivating ends every
// session, remember cookie and auth token of u at once (Flask-Security's
// deactivate_user), through the engine's EndSessions.
func (a *Admin) SetActive(ctx context.Context, u *gatehouse.User, active bool) error {
	var err error
	if active {
		c := gatehouse.UserChange{Active: &active, UpdatedAt: a.now()}
		if err = a.st.Users.UpdateUser(ctx, u.ID, c); err == nil {
			c.Apply(u)
		}
	} else {
		err = a.auth.EndSessions(ctx, u, gatehouse.UserChange{Active: &active})
	}
	if err != nil {
		return fmt.Errorf("admin: set active: %w", err)
	}
	event := "user_activated"
	if !active {
		event = "user_deactivated"
	}
	a.log.InfoContext(ctx, "admin: "+event, "event", event, "user_id", u.ID)
	return nil
}

// ToggleActive flips u's active flag (Flask-Security's toggle_active).
func (a *Admin) ToggleActive(ctx context.Context, u *gatehouse.User) error {
	return a.SetActive(ctx, u, !u.Active)
}
