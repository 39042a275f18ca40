package sqlcore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

const factorCols = "id, user_id, kind, name, data, counter, created_at, used_at"

// Factors implements mfa.Store.
func (s *Store) Factors(ctx context.Context, userID string) ([]*mfa.Factor, error) {
	uid, ok := parseID(userID)
	if !ok {
		return nil, nil
	}
	rows, err := s.conn(ctx).QueryContext(ctx, s.q("SELECT "+factorCols+" FROM gatehouse_factors WHERE user_id = ? ORDER BY id"), uid)
	if err != nil {
		return nil, s.wrap("factors", err)
	}
	defer rows.Close()
	var out []*mfa.Factor
	for rows.Next() {
		var f mfa.Factor
		var id, user int64
		if err := rows.Scan(&id, &user, &f.Kind, &f.Name, &f.Data, &f.Counter, timeCol{&f.CreatedAt}, timeCol{&f.UsedAt}); err != nil {
			return nil, s.wrap("factors", err)
		}
		f.ID, f.UserID = strconv.FormatInt(id, 10), strconv.FormatInt(user, 10)
		out = append(out, &f)
	}
	return out, s.wrap("factors", rows.Err())
}

// AddFactor implements mfa.Store.
func (s *Store) AddFactor(ctx context.Context, f *mfa.Factor) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("AddFactor", werr)
	}
	defer done()
	uid, ok := parseID(f.UserID)
	if !ok {
		return s.errf("add factor", gatehouse.ErrNotFound)
	}
	var id int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`INSERT INTO gatehouse_factors (user_id, kind, name, data, counter, created_at, used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), uid, f.Kind, f.Name, f.Data, f.Counter, s.d.Time(f.CreatedAt), s.d.Time(f.UsedAt)).Scan(&id)
	if err != nil {
		return s.wrap("add factor", err)
	}
	f.ID = strconv.FormatInt(id, 10)
	return nil
}

// DeleteFactors implements mfa.Store.
func (s *Store) DeleteFactors(ctx context.Context, userID string, ids ...string) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("DeleteFactors", werr)
	}
	defer done()
	uid, ok := parseID(userID)
	if !ok {
		return nil
	}
	query := "DELETE FROM gatehouse_factors WHERE user_id = ?"
	args := []any{uid}
	if len(ids) > 0 {
		var in []string
		for _, id := range ids {
			if n, ok := parseID(id); ok {
				in = append(in, "?")
				args = append(args, n)
			}
		}
		if len(in) == 0 {
			return nil
		}
		query += " AND id IN (" + strings.Join(in, ", ") + ")"
	}
	_, err := s.conn(ctx).ExecContext(ctx, s.q(query), args...)
	return s.wrap("delete factors", err)
}

// UseFactor implements mfa.Store: one conditional update, so of two
// concurrent uses of one code, one wins.
func (s *Store) UseFactor(ctx context.Context, userID, id string, counter int64, at time.Time) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("UseFactor", werr)
	}
	defer done()
	uid, ok1 := parseID(userID)
	fid, ok2 := parseID(id)
	if !ok1 || !ok2 {
		return s.errf("use factor", gatehouse.ErrNotFound)
	}
	var res sql.Result
	var err error
	if counter == 0 { // a factor that keeps no count: note the use only
		res, err = s.conn(ctx).ExecContext(ctx, s.q("UPDATE gatehouse_factors SET used_at = ? WHERE id = ? AND user_id = ?"), s.d.Time(at), fid, uid)
	} else {
		res, err = s.conn(ctx).ExecContext(ctx, s.q("UPDATE gatehouse_factors SET counter = ?, used_at = ? WHERE id = ? AND user_id = ? AND counter < ?"),
			counter, s.d.Time(at), fid, uid, counter)
	}
	if err != nil {
		return s.wrap("use factor", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.wrap("use factor", err)
	} else if n == 1 {
		return nil
	}
	var exists int
	err = s.conn(ctx).QueryRowContext(ctx, s.q("SELECT count(*) FROM gatehouse_factors WHERE id = ? AND user_id = ?"), fid, uid).Scan(&exists)
	if err != nil {
		return s.wrap("use factor", err)
	}
	if exists == 0 {
		return s.errf("use factor", gatehouse.ErrNotFound)
	}
	return s.errf("use factor", gatehouse.ErrConflict)
}
