// Package memstore keeps users, roles, sessions, one-time tokens, the
// mail outbox, rate-limit counts and second factors in memory. It implements every gatehouse store interface, is
// safe for concurrent use, and is meant for tests, examples and
// prototypes: everything is lost when the process exits, and it serves one
// process only.
package memstore

import (
	"sync"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/gcra"
	"github.com/gatehouse-auth/gatehouse/mfa"
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
	mail     map[string]*gatehouse.MailJob
	mailSeq  int
	claimSeq int
	limits   *gcra.Memory // rate limits and throttles; locked on its own

	factors   map[string][]*mfa.Factor // by user ID
	factorSeq int
}

type tokenKey struct {
	kind     string
	selector string
}

var (
	_ gatehouse.UserStore      = (*Store)(nil)
	_ gatehouse.SessionStore   = (*Store)(nil)
	_ gatehouse.TokenStore     = (*Store)(nil)
	_ gatehouse.RoleStore      = (*Store)(nil)
	_ gatehouse.Outbox         = (*Store)(nil)
	_ admin.UserStore          = (*Store)(nil)
	_ gatehouse.UsernameLookup = (*Store)(nil)
	_ admin.SessionLister      = (*Store)(nil)
	_ gatehouse.Sweeper        = (*Store)(nil)
	_ gatehouse.Limiter        = (*Store)(nil)
	_ mfa.Store                = (*Store)(nil)
)

// New returns an empty Store.
func New() *Store {
	return &Store{
		users: map[string]*gatehouse.User{}, byEmail: map[string]string{}, byName: map[string]string{},
		sessions: map[string]*gatehouse.Session{}, tokens: map[tokenKey]*gatehouse.Token{},
		roles: map[string]*gatehouse.Role{}, mail: map[string]*gatehouse.MailJob{},
		limits: gcra.NewMemory(0), factors: map[string][]*mfa.Factor{},
	}
}
