package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/gatehouse-auth/gatehouse"
)

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
