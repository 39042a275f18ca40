package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/gatehouse-auth/gatehouse"
)

func (a *Admin) roles() (gatehouse.RoleStore, error) {
	if a.st.Roles == nil {
		return nil, fmt.Errorf("%w: no role catalog (gatehouse.Config.Roles)", ErrUnsupported)
	}
	return a.st.Roles, nil
}

// CreateRole adds r to the role catalog, its name trimmed and its
// permissions trimmed, sorted and without repeats. ErrDuplicate (wrapped)
// if the name is taken; gatehouse.ErrBadRequest (wrapped) for an empty
// name, one over 80 bytes or one with control characters.
func (a *Admin) CreateRole(ctx context.Context, r *gatehouse.Role) error {
	rs, err := a.roles()
	if err != nil {
		return err
	}
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len(r.Name) > 80 || strings.ContainsFunc(r.Name, unicode.IsControl) {
		return fmt.Errorf("admin: %w: invalid role name", gatehouse.ErrBadRequest)
	}
	now := a.now()
	r.CreatedAt, r.UpdatedAt = now, now
	r.Permissions = normalize(r.Permissions)
	if err := rs.CreateRole(ctx, r); err != nil {
		return fmt.Errorf("admin: create role: %w", err)
	}
	return nil
}

// Role returns the named role, or ErrNotFound (wrapped).
func (a *Admin) Role(ctx context.Context, name string) (*gatehouse.Role, error) {
	rs, err := a.roles()
	if err != nil {
		return nil, err
	}
	return rs.Role(ctx, name)
}

// Roles returns the role catalog, ordered by name.
func (a *Admin) Roles(ctx context.Context) ([]*gatehouse.Role, error) {
	rs, err := a.roles()
	if err != nil {
		return nil, err
	}
	return rs.Roles(ctx)
}

// FindOrCreateRole returns the named role, creating it if needed; safe
// when several processes do it at once (Flask-Security's
// find_or_create_role).
func (a *Admin) FindOrCreateRole(ctx context.Context, name, description string) (*gatehouse.Role, error) {
	r, err := a.Role(ctx, name)
	if !errors.Is(err, gatehouse.ErrNotFound) {
		return r, err
	}
	r = &gatehouse.Role{Name: name, Description: description}
	if err := a.CreateRole(ctx, r); errors.Is(err, gatehouse.ErrDuplicate) {
		return a.Role(ctx, name)
	} else if err != nil {
		return nil, err
	}
	return r, nil
}

// AddPermissions grants permissions to a role.
func (a *Admin) AddPermissions(ctx context.Context, role string, perms ...string) error {
	return a.changePermissions(ctx, role, func(p []string) []string { return append(p, perms...) })
}

// RemovePermissions takes permissions from a role.
func (a *Admin) RemovePermissions(ctx context.Context, role string, perms ...string) error {
	return a.changePermissions(ctx, role, func(p []string) []string {
		return slices.DeleteFunc(p, func(s string) bool { return slices.Contains(perms, s) })
	})
}

// changePermissions reads a role, changes its permissions and writes it
// back. Two changes of one role's permissions at the same moment can lose
// one: RoleStore replaces the whole role. They are an operator's rare,
// one-at-a-time work.
func (a *Admin) changePermissions(ctx context.Context, role string, change func([]string) []string) error {
	rs, err := a.roles()
	if err != nil {
		return err
	}
	r, err := rs.Role(ctx, role)
	if err != nil {
		return fmt.Errorf("admin: role %q: %w", role, err)
	}
	r.Permissions = normalize(change(r.Permissions))
	r.UpdatedAt = a.now()
	if err := rs.UpdateRole(ctx, r); err != nil {
		return fmt.Errorf("admin: role %q: %w", role, err)
	}
	return nil
}

func normalize(p []string) []string {
	out := make([]string, 0, len(p))
	for _, s := range p {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AddRole gives u the role (it must be in the catalog, if there is one)
// and saves that alone, so concurrent changes stand; nil if u already has
// it.
func (a *Admin) AddRole(ctx context.Context, u *gatehouse.User, role string) error {
	if a.st.Roles != nil {
		if _, err := a.st.Roles.Role(ctx, role); err != nil {
			return fmt.Errorf("admin: role %q: %w", role, err)
		}
	}
	c := gatehouse.UserChange{AddRoles: []string{role}, UpdatedAt: a.now()}
	if err := a.st.Users.UpdateUser(ctx, u.ID, c); err != nil {
		return fmt.Errorf("admin: add role: %w", err)
	}
	c.Apply(u)
	return nil
}

// RemoveRole takes the role from u and saves that alone; nil if u did not
// have it.
func (a *Admin) RemoveRole(ctx context.Context, u *gatehouse.User, role string) error {
	c := gatehouse.UserChange{RemoveRoles: []string{role}, UpdatedAt: a.now()}
	if err := a.st.Users.UpdateUser(ctx, u.ID, c); err != nil {
		return fmt.Errorf("admin: remove role: %w", err)
	}
	c.Apply(u)
	return nil
}

// Permissions returns the union of the permissions of u's roles, sorted,
// as the engine's permission checks see them. Roles missing from the
// catalog grant nothing; without a catalog users have none.
func (a *Admin) Permissions(ctx context.Context, u *gatehouse.User) ([]string, error) {
	if a.st.Roles == nil || u == nil {
		return nil, nil
	}
	var perms []string
	for _, name := range u.Roles {
		r, err := a.st.Roles.Role(ctx, name)
		if errors.Is(err, gatehouse.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("admin: permissions: %w", err)
		}
		perms = append(perms, r.Permissions...)
	}
	return normalize(perms), nil
}
