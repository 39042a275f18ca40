package memstore

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Allow implements gatehouse.Limiter (GCRA; at most 100,000 keys, the
// expired ones dropped first).
func (s *Store) Allow(_ context.Context, key string, l gatehouse.Limit, now time.Time) (bool, time.Duration, error) {
	if l.Count <= 0 || l.Per <= 0 {
		return true, 0, nil
	}
	ok, wait := s.limits.Allow(key, l.Count, l.Per, now)
	return ok, wait, nil
}

// Wait implements gatehouse.Limiter.
func (s *Store) Wait(_ context.Context, key string, l gatehouse.Limit, now time.Time) (time.Duration, error) {
	if l.Count <= 0 || l.Per <= 0 {
		return 0, nil
	}
	return s.limits.Wait(key, l.Count, l.Per, now), nil
}

// Undo implements gatehouse.Limiter.
func (s *Store) Undo(_ context.Context, key string, l gatehouse.Limit) error {
	if l.Count > 0 && l.Per > 0 {
		s.limits.Undo(key, l.Count, l.Per)
	}
	return nil
}

// Forget implements gatehouse.Limiter.
func (s *Store) Forget(_ context.Context, key string) error {
	s.limits.Forget(key)
	return nil
}
