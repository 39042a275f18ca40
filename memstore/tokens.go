package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// CreateToken implements gatehouse.TokenStore.
func (s *Store) CreateToken(_ context.Context, t *gatehouse.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey{t.Kind, t.Selector}
	if _, taken := s.tokens[k]; taken {
		return fmt.Errorf("memstore: token: %w", gatehouse.ErrDuplicate)
	}
	c := *t
	c.VerifierHash = slices.Clone(t.VerifierHash)
	s.tokens[k] = &c
	return nil
}

// Token implements gatehouse.TokenStore.
func (s *Store) Token(_ context.Context, kind string, selector string) (*gatehouse.Token, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[tokenKey{kind, selector}]
	if !ok {
		return nil, fmt.Errorf("memstore: token: %w", gatehouse.ErrNotFound)
	}
	c := *t
	c.VerifierHash = slices.Clone(t.VerifierHash)
	return &c, nil
}

// TakeToken implements gatehouse.TokenStore: under one lock it returns and
// deletes, so exactly one concurrent caller gets the token.
func (s *Store) TakeToken(_ context.Context, kind string, selector string) (*gatehouse.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey{kind, selector}
	t, ok := s.tokens[k]
	if !ok {
		return nil, fmt.Errorf("memstore: token: %w", gatehouse.ErrNotFound)
	}
	delete(s.tokens, k)
	return t, nil
}

// DeleteUserTokens implements gatehouse.TokenStore.
func (s *Store) DeleteUserTokens(_ context.Context, userID string, kinds ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tokens {
		if t.UserID == userID && (len(kinds) == 0 || slices.Contains(kinds, t.Kind)) {
			delete(s.tokens, k)
		}
	}
	return nil
}

// DeleteExpired implements gatehouse.Sweeper: it removes tokens,
// sessions and rate-limit counts that expired before the given time.
func (s *Store) DeleteExpired(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, t := range s.tokens {
		if t.ExpiresAt.Before(before) {
			delete(s.tokens, k)
			n++
		}
	}
	for k, sess := range s.sessions {
		if sess.ExpiresAt.Before(before) {
			delete(s.sessions, k)
			n++
		}
	}
	return n + s.limits.DeleteExpired(before), nil
}
