package sqlcore

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// CreateToken implements gatehouse.TokenStore.
func (s *Store) CreateToken(ctx context.Context, t *gatehouse.Token) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("CreateToken", werr)
	}
	defer done()
	_, err := s.conn(ctx).ExecContext(ctx, s.q(`INSERT INTO gatehouse_tokens
		(kind, selector, verifier_hash, user_id, stamp, email, binding, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		string(t.Kind), t.Selector, t.VerifierHash, t.UserID, t.Stamp, t.Email, t.Binding, s.d.Time(t.CreatedAt), s.d.Time(t.ExpiresAt))
	return s.wrap("create token", err)
}

const tokenCols = "kind, selector, verifier_hash, user_id, stamp, email, binding, created_at, expires_at"

func scanToken(row scanner) (*gatehouse.Token, error) {
	var t gatehouse.Token
	var k string
	if err := row.Scan(&k, &t.Selector, &t.VerifierHash, &t.UserID, &t.Stamp, &t.Email, &t.Binding, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}); err != nil {
		return nil, err
	}
	t.Kind = k
	return &t, nil
}

// Token implements gatehouse.TokenStore.
func (s *Store) Token(ctx context.Context, kind string, selector string) (*gatehouse.Token, error) {
	t, err := scanToken(s.conn(ctx).QueryRowContext(ctx, s.q("SELECT "+tokenCols+" FROM gatehouse_tokens WHERE kind = ? AND selector = ?"), string(kind), selector))
	return t, s.wrap("token", err)
}

// TakeToken implements gatehouse.TokenStore with DELETE ... RETURNING: the
// database hands the row to exactly one of any number of concurrent takers.
func (s *Store) TakeToken(ctx context.Context, kind string, selector string) (*gatehouse.Token, error) {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return nil, s.wrap("TakeToken", werr)
	}
	defer done()
	t, err := scanToken(s.conn(ctx).QueryRowContext(ctx, s.q("DELETE FROM gatehouse_tokens WHERE kind = ? AND selector = ? RETURNING "+tokenCols), string(kind), selector))
	return t, s.wrap("take token", err)
}

// DeleteUserTokens implements gatehouse.TokenStore.
func (s *Store) DeleteUserTokens(ctx context.Context, userID string, kinds ...string) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("DeleteUserTokens", werr)
	}
	defer done()
	query := "DELETE FROM gatehouse_tokens WHERE user_id = ?"
	args := []any{userID}
	if len(kinds) > 0 {
		query += " AND kind IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ") + ")"
		for _, k := range kinds {
			args = append(args, string(k))
		}
	}
	_, err := s.conn(ctx).ExecContext(ctx, s.q(query), args...)
	return s.wrap("delete user tokens", err)
}

// DeleteExpired implements gatehouse.Sweeper: it removes tokens,
// sessions and rate-limit counts that expired before the given time, in
// one transaction.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return 0, s.wrap("DeleteExpired", werr)
	}
	defer done()
	total := 0
	err := s.InTx(ctx, func(ctx context.Context) error {
		for _, del := range []struct {
			query string
			arg   any
		}{
			{"DELETE FROM gatehouse_tokens WHERE expires_at < ?", s.d.Time(before)},
			{"DELETE FROM gatehouse_sessions WHERE expires_at < ?", s.d.Time(before)},
			{"DELETE FROM gatehouse_limits WHERE tat < ?", before.UnixMicro()},
		} {
			res, err := s.conn(ctx).ExecContext(ctx, s.q(del.query), del.arg)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, s.wrap("delete expired", err)
	}
	return total, nil
}
