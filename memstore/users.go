package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
)

// UserByID implements gatehouse.UserStore.
func (s *Store) UserByID(_ context.Context, id string) (*gatehouse.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	if !ok {
		return nil, fmt.Errorf("memstore: user %q: %w", id, gatehouse.ErrNotFound)
	}
	return u.Clone(), nil
}

// UserByEmail implements gatehouse.UserStore; the match is case-insensitive.
func (s *Store) UserByEmail(_ context.Context, email string) (*gatehouse.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byEmail[strings.ToLower(email)]
	if !ok {
		return nil, fmt.Errorf("memstore: user by email: %w", gatehouse.ErrNotFound)
	}
	return s.users[id].Clone(), nil
}

// CreateUser implements gatehouse.UserStore. It assigns sequential IDs.
func (s *Store) CreateUser(_ context.Context, u *gatehouse.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	email, name := strings.ToLower(u.Email), strings.ToLower(u.Username)
	if _, taken := s.byEmail[email]; taken {
		return fmt.Errorf("memstore: email: %w", gatehouse.ErrDuplicate)
	}
	if _, taken := s.byName[name]; taken && name != "" {
		return fmt.Errorf("memstore: username: %w", gatehouse.ErrDuplicate)
	}
	if u.ID == "" {
		for {
			s.nextID++
			if _, taken := s.users[strconv.Itoa(s.nextID)]; !taken {
				break
			}
		}
		u.ID = strconv.Itoa(s.nextID)
	} else if _, taken := s.users[u.ID]; taken {
		return fmt.Errorf("memstore: id: %w", gatehouse.ErrDuplicate)
	}
	s.users[u.ID] = u.Clone()
	s.byEmail[email] = u.ID
	if name != "" {
		s.byName[name] = u.ID
	}
	return nil
}

// UpdateUser implements gatehouse.UserStore: the change is applied under
// the store's lock, so concurrent changes never undo each other.
func (s *Store) UpdateUser(_ context.Context, id string, c gatehouse.UserChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.users[id]
	if !ok {
		return fmt.Errorf("memstore: user %q: %w", id, gatehouse.ErrNotFound)
	}
	u := old.Clone()
	if err := c.Apply(u); err != nil {
		return fmt.Errorf("memstore: update user: %w", err)
	}
	email, name := strings.ToLower(u.Email), strings.ToLower(u.Username)
	if other, taken := s.byEmail[email]; taken && other != id {
		return fmt.Errorf("memstore: email: %w", gatehouse.ErrDuplicate)
	}
	if other, taken := s.byName[name]; taken && name != "" && other != id {
		return fmt.Errorf("memstore: username: %w", gatehouse.ErrDuplicate)
	}
	delete(s.byEmail, strings.ToLower(old.Email))
	delete(s.byName, strings.ToLower(old.Username))
	s.users[id] = u
	s.byEmail[email] = id
	if name != "" {
		s.byName[name] = id
	}
	return nil
}

// DeleteUser implements admin.UserStore: it removes a user and its
// sessions and tokens; nil if absent.
func (s *Store) DeleteUser(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return nil
	}
	delete(s.users, id)
	delete(s.byEmail, strings.ToLower(u.Email))
	delete(s.byName, strings.ToLower(u.Username))
	for k, sess := range s.sessions {
		if sess.UserID == id {
			delete(s.sessions, k)
		}
	}
	for k, t := range s.tokens {
		if t.UserID == id {
			delete(s.tokens, k)
		}
	}
	delete(s.factors, id)
	return nil
}

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

// ListUsers implements admin.UserStore.
func (s *Store) ListUsers(_ context.Context, f admin.Filter) ([]*gatehouse.User, error) {
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
		if f.Username != "" && !strings.EqualFold(u.Username, f.Username) {
			continue
		}
		if !hasFields(u, f.Fields) {
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

// hasFields reports whether u has every one of want's field values.
func hasFields(u *gatehouse.User, want map[string]string) bool {
	for name, value := range want {
		if got, ok := u.Fields[name]; !ok || got != value {
			return false
		}
	}
	return true
}
