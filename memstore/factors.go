package memstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// Factors implements mfa.Store.
func (s *Store) Factors(_ context.Context, userID string) ([]*mfa.Factor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*mfa.Factor
	for _, f := range s.factors[userID] {
		c := *f
		c.Data = slices.Clone(f.Data)
		out = append(out, &c)
	}
	return out, nil
}

// AddFactor implements mfa.Store.
func (s *Store) AddFactor(_ context.Context, f *mfa.Factor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.factors[f.UserID] {
		if f.Name != "" && o.Kind == f.Kind && o.Name == f.Name {
			return fmt.Errorf("memstore: add factor: %w", gatehouse.ErrDuplicate)
		}
	}
	s.factorSeq++
	f.ID = strconv.Itoa(s.factorSeq)
	c := *f
	c.Data = slices.Clone(f.Data)
	s.factors[f.UserID] = append(s.factors[f.UserID], &c)
	return nil
}

// DeleteFactors implements mfa.Store.
func (s *Store) DeleteFactors(_ context.Context, userID string, ids ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(ids) == 0 {
		delete(s.factors, userID)
		return nil
	}
	s.factors[userID] = slices.DeleteFunc(s.factors[userID], func(f *mfa.Factor) bool { return slices.Contains(ids, f.ID) })
	return nil
}

// UseFactor implements mfa.Store.
func (s *Store) UseFactor(_ context.Context, userID, id string, counter int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.factors[userID] {
		if f.ID != id {
			continue
		}
		if counter == 0 {
			f.UsedAt = at // a factor that keeps no count
			return nil
		}
		if counter <= f.Counter {
			return fmt.Errorf("memstore: use factor: %w", gatehouse.ErrConflict)
		}
		f.Counter, f.UsedAt = counter, at
		return nil
	}
	return fmt.Errorf("memstore: use factor: %w", gatehouse.ErrNotFound)
}
