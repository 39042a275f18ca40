package sqlcore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/gcra"
)

// Allow implements gatehouse.Limiter: one upsert decides and records, so
// concurrent events on one key are counted exactly (GCRA: the row keeps
// the key's theoretical arrival time; see package gcra).
func (s *Store) Allow(ctx context.Context, key string, l gatehouse.Limit, now time.Time) (bool, time.Duration, error) {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return false, 0, s.wrap("Allow", werr)
	}
	defer done()
	if l.Count <= 0 || l.Per <= 0 {
		return true, 0, nil
	}
	interval, burst := gcra.Step(l.Count, l.Per)
	n, iv, b := now.UnixMicro(), interval.Microseconds(), burst.Microseconds()
	// In SET, the table's columns are the row as it was.
	query := `INSERT INTO gatehouse_limits (key, tat, last_ok) VALUES (?, ?, 1)
		ON CONFLICT (key) DO UPDATE SET
			last_ok = CASE WHEN gatehouse_limits.tat - ? <= ? THEN 1 ELSE 0 END,
			tat = CASE WHEN gatehouse_limits.tat - ? <= ? THEN ` + s.d.Greatest + `(gatehouse_limits.tat, ?) + ? ELSE gatehouse_limits.tat END
		RETURNING tat, last_ok`
	var tat int64
	var ok int
	err := s.conn(ctx).QueryRowContext(ctx, s.q(query), key, n+iv, n, b, n, b, n, iv).Scan(&tat, &ok)
	if err != nil {
		return false, 0, s.wrap("limit", err)
	}
	if ok == 1 {
		return true, 0, nil
	}
	return false, gcra.Wait(time.UnixMicro(tat), now, l.Count, l.Per), nil
}

// Wait implements gatehouse.Limiter.
func (s *Store) Wait(ctx context.Context, key string, l gatehouse.Limit, now time.Time) (time.Duration, error) {
	if l.Count <= 0 || l.Per <= 0 {
		return 0, nil
	}
	var tat int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q("SELECT tat FROM gatehouse_limits WHERE key = ?"), key).Scan(&tat)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, s.wrap("limit", err)
	}
	return gcra.Wait(time.UnixMicro(tat), now, l.Count, l.Per), nil
}

// Undo implements gatehouse.Limiter.
func (s *Store) Undo(ctx context.Context, key string, l gatehouse.Limit) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("Undo", werr)
	}
	defer done()
	if l.Count <= 0 || l.Per <= 0 {
		return nil
	}
	interval, _ := gcra.Step(l.Count, l.Per)
	_, err := s.conn(ctx).ExecContext(ctx, s.q("UPDATE gatehouse_limits SET tat = tat - ? WHERE key = ?"), interval.Microseconds(), key)
	return s.wrap("limit", err)
}

// Forget implements gatehouse.Limiter.
func (s *Store) Forget(ctx context.Context, key string) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("Forget", werr)
	}
	defer done()
	_, err := s.conn(ctx).ExecContext(ctx, s.q("DELETE FROM gatehouse_limits WHERE key = ?"), key)
	return s.wrap("limit", err)
}
