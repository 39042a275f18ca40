package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/gatehouse-auth/gatehouse"
)

// Session implements gatehouse.SessionStore.
func (s *Store) Session(_ context.Context, id string) (*gatehouse.Session, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sess, ok := s.sessions[id]
	if !ok {
		return nil, fmt.Errorf("memstore: session: %w", gatehouse.ErrNotFound)
	}
	c := *sess
	c.Data = slices.Clone(sess.Data)
	return &c, nil
}

// SaveSession implements gatehouse.SessionStore.
func (s *Store) SaveSession(_ context.Context, sess *gatehouse.Session) error {
	c := *sess
	c.Data = slices.Clone(sess.Data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sess.ID] = &c
	return nil
}

// DeleteSession implements gatehouse.SessionStore.
func (s *Store) DeleteSession(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
	return nil
}

// DeleteUserSessions implements gatehouse.SessionStore.
func (s *Store) DeleteUserSessions(_ context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, sess := range s.sessions {
		if sess.UserID == userID {
			delete(s.sessions, k)
		}
	}
	return nil
}

// UserSessions implements admin.SessionLister: the user's sessions,
// newest first.
func (s *Store) UserSessions(_ context.Context, userID string) ([]*gatehouse.Session, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*gatehouse.Session
	for _, sess := range s.sessions {
		if sess.UserID == userID {
			c := *sess
			c.Data = slices.Clone(sess.Data)
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *gatehouse.Session) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}
