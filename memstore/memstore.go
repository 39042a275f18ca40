// Package memstore keeps users, roles, sessions and one-time tokens in memory. It
// implements every gatehouse store interface, is safe for concurrent use,
// and is meant for tests, examples and prototypes: everything is lost when
// the process exits, and it serves one process only.
package memstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Store is an in-memory gatehouse store. The zero value is not usable; call
// New.
type Store struct {
	mu       sync.RWMutex
	nextID   int
	users    map[string]*gatehouse.User // by ID
	byEmail  map[string]string          // lower-cased email -> ID
	byName   map[string]string          // lower-cased username -> ID
	sessions map[string]*gatehouse.Session
	tokens   map[tokenKey]*gatehouse.Token
	roles    map[string]*gatehouse.Role
}

type tokenKey struct {
	kind     gatehouse.TokenKind
	selector string
}

var (
	_ gatehouse.UserStore    = (*Store)(nil)
	_ gatehouse.SessionStore = (*Store)(nil)
	_ gatehouse.TokenStore   = (*Store)(nil)
)

// New returns an empty Store.
func New() *Store {
	return &Store{
		users: map[string]*gatehouse.User{}, byEmail: map[string]string{}, byName: map[string]string{},
		sessions: map[string]*gatehouse.Session{}, tokens: map[tokenKey]*gatehouse.Token{},
		roles: map[string]*gatehouse.Role{},
	}
}

// UserByID implements gatehouse.UserStore.
func (s *Store) UserByID(_ context.Context, id string) (*gatehouse.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	if !ok {
		return nil, fmt.Errorf("memstore: user %q: %w", id, gatehouse.ErrNotFound)
	}
	return u.Clone(), nil
}

// UserByEmail implements gatehouse.UserStore; the match is case-insensitive.
func (s *Store) UserByEmail(_ context.Context, email string) (*gatehouse.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byEmail[strings.ToLower(email)]
	if !ok {
		return nil, fmt.Errorf("memstore: user by email: %w", gatehouse.ErrNotFound)
	}
	return s.users[id].Clone(), nil
}

// CreateUser implements gatehouse.UserStore. It assigns sequential IDs.
func (s *Store) CreateUser(_ context.Context, u *gatehouse.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	email, name := strings.ToLower(u.Email), strings.ToLower(u.Username)
	if _, taken := s.byEmail[email]; taken {
		return fmt.Errorf("memstore: email: %w", gatehouse.ErrDuplicate)
	}
	if _, taken := s.byName[name]; taken && name != "" {
		return fmt.Errorf("memstore: username: %w", gatehouse.ErrDuplicate)
	}
	if u.ID == "" {
		for {
			s.nextID++
			if _, taken := s.users[strconv.Itoa(s.nextID)]; !taken {
				break
			}
		}
		u.ID = strconv.Itoa(s.nextID)
	} else if _, taken := s.users[u.ID]; taken {
		return fmt.Errorf("memstore: id: %w", gatehouse.ErrDuplicate)
	}
	s.users[u.ID] = u.Clone()
	s.byEmail[email] = u.ID
	if name != "" {
		s.byName[name] = u.ID
	}
	return nil
}

// UpdateUser implements gatehouse.UserStore.
func (s *Store) UpdateUser(_ context.Context, u *gatehouse.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.users[u.ID]
	if !ok {
		return fmt.Errorf("memstore: user %q: %w", u.ID, gatehouse.ErrNotFound)
	}
	email, name := strings.ToLower(u.Email), strings.ToLower(u.Username)
	if id, taken := s.byEmail[email]; taken && id != u.ID {
		return fmt.Errorf("memstore: email: %w", gatehouse.ErrDuplicate)
	}
	if id, taken := s.byName[name]; taken && name != "" && id != u.ID {
		return fmt.Errorf("memstore: username: %w", gatehouse.ErrDuplicate)
	}
	delete(s.byEmail, strings.ToLower(old.Email))
	delete(s.byName, strings.ToLower(old.Username))
	s.users[u.ID] = u.Clone()
	s.byEmail[email] = u.ID
	if name != "" {
		s.byName[name] = u.ID
	}
	return nil
}

// DeleteUser implements gatehouse.UserDeleter: it removes a user and its
// sessions and tokens; nil if absent.
func (s *Store) DeleteUser(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return nil
	}
	delete(s.users, id)
	delete(s.byEmail, strings.ToLower(u.Email))
	delete(s.byName, strings.ToLower(u.Username))
	for k, sess := range s.sessions {
		if sess.UserID == id {
			delete(s.sessions, k)
		}
	}
	for k, t := range s.tokens {
		if t.UserID == id {
			delete(s.tokens, k)
		}
	}
	return nil
}

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

// UserSessions implements gatehouse.SessionLister: the user's sessions,
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
func (s *Store) Token(_ context.Context, kind gatehouse.TokenKind, selector string) (*gatehouse.Token, error) {
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
func (s *Store) TakeToken(_ context.Context, kind gatehouse.TokenKind, selector string) (*gatehouse.Token, error) {
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
func (s *Store) DeleteUserTokens(_ context.Context, userID string, kinds ...gatehouse.TokenKind) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tokens {
		if t.UserID == userID && (len(kinds) == 0 || slices.Contains(kinds, t.Kind)) {
			delete(s.tokens, k)
		}
	}
	return nil
}

// DeleteExpiredTokens implements gatehouse.TokenSweeper.
func (s *Store) DeleteExpiredTokens(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, t := range s.tokens {
		if t.ExpiresAt.Before(before) {
			delete(s.tokens, k)
			n++
		}
	}
	return n, nil
}

// DeleteExpiredSessions implements gatehouse.SessionSweeper.
func (s *Store) DeleteExpiredSessions(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, sess := range s.sessions {
		if sess.ExpiresAt.Before(before) {
			delete(s.sessions, k)
			n++
		}
	}
	return n, nil
}
