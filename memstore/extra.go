package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

var (
	_ gatehouse.RoleStore      = (*Store)(nil)
	_ gatehouse.RoleAssigner   = (*Store)(nil)
	_ gatehouse.LoginRecorder  = (*Store)(nil)
	_ gatehouse.UserLister     = (*Store)(nil)
	_ gatehouse.UserDeleter    = (*Store)(nil)
	_ gatehouse.UsernameLookup = (*Store)(nil)
	_ gatehouse.SessionLister  = (*Store)(nil)
	_ gatehouse.SessionSweeper = (*Store)(nil)
	_ gatehouse.TokenSweeper   = (*Store)(nil)
)

// UserByUsername implements gatehouse.UsernameLookup.
func (s *Store) UserByUsername(_ context.Context, username string) (*gatehouse.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byName[strings.ToLower(username)]
	if !ok || username == "" {
		return nil, fmt.Errorf("memstore: user by username: %w", gatehouse.ErrNotFound)
	}
	return s.users[id].Clone(), nil
}

// ListUsers implements gatehouse.UserLister.
func (s *Store) ListUsers(_ context.Context, f gatehouse.UserFilter) ([]*gatehouse.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*gatehouse.User
	for _, u := range s.users {
		if f.Email != "" && !strings.Contains(strings.ToLower(u.Email), strings.ToLower(f.Email)) {
			continue
		}
		if f.Role != "" && !u.HasRole(f.Role) {
			continue
		}
		out = append(out, u.Clone())
	}
	slices.SortFunc(out, func(a, b *gatehouse.User) int {
		x, errA := strconv.Atoi(a.ID)
		y, errB := strconv.Atoi(b.ID)
		if errA == nil && errB == nil {
			return cmp.Compare(x, y)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if f.Offset > 0 {
		out = out[min(f.Offset, len(out)):]
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (s *Store) changeUser(id string, change func(u *gatehouse.User)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return fmt.Errorf("memstore: user %q: %w", id, gatehouse.ErrNotFound)
	}
	change(u)
	return nil
}

// AddUserRole implements gatehouse.RoleAssigner.
func (s *Store) AddUserRole(_ context.Context, userID, role string) error {
	return s.changeUser(userID, func(u *gatehouse.User) {
		if !slices.Contains(u.Roles, role) {
			u.Roles = append(u.Roles, role)
		}
	})
}

// RemoveUserRole implements gatehouse.RoleAssigner.
func (s *Store) RemoveUserRole(_ context.Context, userID, role string) error {
	return s.changeUser(userID, func(u *gatehouse.User) {
		u.Roles = slices.DeleteFunc(u.Roles, func(r string) bool { return r == role })
	})
}

// RecordLogin implements gatehouse.LoginRecorder.
func (s *Store) RecordLogin(_ context.Context, userID string, at time.Time, ip string) error {
	return s.changeUser(userID, func(u *gatehouse.User) {
		u.LastLoginAt, u.LastLoginIP = u.CurrentLoginAt, u.CurrentLoginIP
		if u.LastLoginAt.IsZero() {
			u.LastLoginAt = at
		}
		if u.LastLoginIP == "" {
			u.LastLoginIP = ip
		}
		u.CurrentLoginAt, u.CurrentLoginIP = at, ip
		u.LoginCount++
	})
}

func copyRole(r *gatehouse.Role) *gatehouse.Role {
	c := *r
	c.Permissions = slices.Clone(r.Permissions)
	return &c
}

// Role implements gatehouse.RoleStore.
func (s *Store) Role(_ context.Context, name string) (*gatehouse.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.roles[name]
	if !ok {
		return nil, fmt.Errorf("memstore: role %q: %w", name, gatehouse.ErrNotFound)
	}
	return copyRole(r), nil
}

// Roles implements gatehouse.RoleStore.
func (s *Store) Roles(_ context.Context) ([]*gatehouse.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*gatehouse.Role, 0, len(s.roles))
	for _, r := range s.roles {
		out = append(out, copyRole(r))
	}
	slices.SortFunc(out, func(a, b *gatehouse.Role) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// CreateRole implements gatehouse.RoleStore.
func (s *Store) CreateRole(_ context.Context, r *gatehouse.Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.roles[r.Name]; taken {
		return fmt.Errorf("memstore: role %q: %w", r.Name, gatehouse.ErrDuplicate)
	}
	s.roles[r.Name] = copyRole(r)
	return nil
}

// UpdateRole implements gatehouse.RoleStore.
func (s *Store) UpdateRole(_ context.Context, r *gatehouse.Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.roles[r.Name]
	if !ok {
		return fmt.Errorf("memstore: role %q: %w", r.Name, gatehouse.ErrNotFound)
	}
	c := copyRole(r)
	c.CreatedAt = old.CreatedAt
	s.roles[r.Name] = c
	return nil
}
