package sqlcore

import (
	"context"
	"encoding/json"

	"github.com/gatehouse-auth/gatehouse"
)

const roleCols = "name, description, permissions, created_at, updated_at"

func scanRole(row scanner) (*gatehouse.Role, error) {
	var r gatehouse.Role
	var perms string
	if err := row.Scan(&r.Name, &r.Description, &perms, timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt}); err != nil {
		return nil, err
	}
	if perms != "" {
		if err := json.Unmarshal([]byte(perms), &r.Permissions); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

func encodePerms(p []string) string {
	if len(p) == 0 {
		return ""
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// Role implements gatehouse.RoleStore.
func (s *Store) Role(ctx context.Context, name string) (*gatehouse.Role, error) {
	r, err := scanRole(s.conn(ctx).QueryRowContext(ctx, s.q("SELECT "+roleCols+" FROM gatehouse_roles WHERE name = ?"), name))
	return r, s.wrap("role", err)
}

// Roles implements gatehouse.RoleStore.
func (s *Store) Roles(ctx context.Context) ([]*gatehouse.Role, error) {
	rows, err := s.conn(ctx).QueryContext(ctx, "SELECT "+roleCols+" FROM gatehouse_roles ORDER BY name")
	if err != nil {
		return nil, s.wrap("roles", err)
	}
	defer rows.Close()
	var out []*gatehouse.Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, s.wrap("roles", err)
		}
		out = append(out, r)
	}
	return out, s.wrap("roles", rows.Err())
}

// CreateRole implements gatehouse.RoleStore.
func (s *Store) CreateRole(ctx context.Context, r *gatehouse.Role) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("CreateRole", werr)
	}
	defer done()
	_, err := s.conn(ctx).ExecContext(ctx, s.q("INSERT INTO gatehouse_roles ("+roleCols+") VALUES (?, ?, ?, ?, ?)"),
		r.Name, r.Description, encodePerms(r.Permissions), s.d.Time(r.CreatedAt), s.d.Time(r.UpdatedAt))
	return s.wrap("create role", err)
}

// UpdateRole implements gatehouse.RoleStore.
func (s *Store) UpdateRole(ctx context.Context, r *gatehouse.Role) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("UpdateRole", werr)
	}
	defer done()
	res, err := s.conn(ctx).ExecContext(ctx, s.q("UPDATE gatehouse_roles SET description = ?, permissions = ?, updated_at = ? WHERE name = ?"),
		r.Description, encodePerms(r.Permissions), s.d.Time(r.UpdatedAt), r.Name)
	if err != nil {
		return s.wrap("update role", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return s.errf("update role", gatehouse.ErrNotFound)
	}
	return nil
}
