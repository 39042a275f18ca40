package sqlcore

import (
	"context"

	"github.com/gatehouse-auth/gatehouse"
)

const sessionCols = "id, user_id, data, created_at, updated_at, expires_at, ip, user_agent"

func scanSession(row scanner) (*gatehouse.Session, error) {
	var x gatehouse.Session
	err := row.Scan(&x.ID, &x.UserID, &x.Data, timeCol{&x.CreatedAt}, timeCol{&x.UpdatedAt}, timeCol{&x.ExpiresAt}, &x.IP, &x.UserAgent)
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// Session implements gatehouse.SessionStore.
func (s *Store) Session(ctx context.Context, id string) (*gatehouse.Session, error) {
	x, err := scanSession(s.conn(ctx).QueryRowContext(ctx, s.q("SELECT "+sessionCols+" FROM gatehouse_sessions WHERE id = ?"), id))
	return x, s.wrap("session", err)
}

// SaveSession implements gatehouse.SessionStore (insert or replace).
func (s *Store) SaveSession(ctx context.Context, x *gatehouse.Session) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("SaveSession", werr)
	}
	defer done()
	d := s.d
	_, err := s.conn(ctx).ExecContext(ctx, s.q(`INSERT INTO gatehouse_sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, updated_at = excluded.updated_at,
		expires_at = excluded.expires_at, ip = excluded.ip, user_agent = excluded.user_agent`),
		x.ID, x.UserID, x.Data, d.Time(x.CreatedAt), d.Time(x.UpdatedAt), d.Time(x.ExpiresAt), x.IP, x.UserAgent)
	return s.wrap("save session", err)
}

// DeleteSession implements gatehouse.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("DeleteSession", werr)
	}
	defer done()
	_, err := s.conn(ctx).ExecContext(ctx, s.q("DELETE FROM gatehouse_sessions WHERE id = ?"), id)
	return s.wrap("delete session", err)
}

// DeleteUserSessions implements gatehouse.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("DeleteUserSessions", werr)
	}
	defer done()
	_, err := s.conn(ctx).ExecContext(ctx, s.q("DELETE FROM gatehouse_sessions WHERE user_id = ?"), userID)
	return s.wrap("delete user sessions", err)
}

// UserSessions implements admin.SessionLister: the user's sessions,
// newest first.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]*gatehouse.Session, error) {
	rows, err := s.conn(ctx).QueryContext(ctx, s.q("SELECT "+sessionCols+" FROM gatehouse_sessions WHERE user_id = ? ORDER BY created_at DESC"), userID)
	if err != nil {
		return nil, s.wrap("user sessions", err)
	}
	defer rows.Close()
	var out []*gatehouse.Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, s.wrap("user sessions", err)
		}
		out = append(out, x)
	}
	return out, s.wrap("user sessions", rows.Err())
}
