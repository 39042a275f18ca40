package pgstore

// The store's methods, each the shared SQL core's: listed here so that
// go doc shows the whole API.

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// DB returns the database the store works on.
func (s *Store) DB() *sql.DB { return s.core.DB() }

// Tx returns the transaction InTx runs for ctx, if any, so an application
// can run its own statements in it.
func (s *Store) Tx(ctx context.Context) (*sql.Tx, bool) { return s.core.Tx(ctx) }

// InTx implements gatehouse.Transactor: the store calls fn makes with the
// context it is given run in one transaction, committed if fn returns
// nil and rolled back otherwise. A nested call joins the outer one.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.core.InTx(ctx, fn)
}

// UserByEmail implements gatehouse.UserStore: addresses compare
// case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	return s.core.UserByEmail(ctx, email)
}

// UserByUsername implements gatehouse.UsernameLookup (case-insensitive).
func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	return s.core.UserByUsername(ctx, username)
}

// CreateUser implements gatehouse.UserStore: the user and its roles in one
// transaction; ErrDuplicate if the address or username is taken.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	return s.core.CreateUser(ctx, u)
}

// UpdateUser implements gatehouse.UserStore: only the fields c sets are
// written, in one statement or transaction, so concurrent changes of other
// fields stand; c.IfPasswordHash makes it conditional (ErrConflict).
func (s *Store) UpdateUser(ctx context.Context, id string, c gatehouse.UserChange) error {
	err := s.core.UpdateUser(ctx, id, c)
	s.forget(id)
	return err
}

// ListUsers implements admin.UserStore.
func (s *Store) ListUsers(ctx context.Context, f admin.Filter) ([]*gatehouse.User, error) {
	return s.core.ListUsers(ctx, f)
}

// DeleteUser implements admin.UserStore: the user, its roles, revocations,
// sessions and tokens go in one transaction.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	err := s.core.DeleteUser(ctx, id)
	s.forget(id)
	return err
}

// Role implements gatehouse.RoleStore.
func (s *Store) Role(ctx context.Context, name string) (*gatehouse.Role, error) {
	return s.core.Role(ctx, name)
}

// Roles implements gatehouse.RoleStore.
func (s *Store) Roles(ctx context.Context) ([]*gatehouse.Role, error) { return s.core.Roles(ctx) }

// CreateRole implements gatehouse.RoleStore.
func (s *Store) CreateRole(ctx context.Context, r *gatehouse.Role) error {
	return s.core.CreateRole(ctx, r)
}

// UpdateRole implements gatehouse.RoleStore.
func (s *Store) UpdateRole(ctx context.Context, r *gatehouse.Role) error {
	return s.core.UpdateRole(ctx, r)
}

// CreateToken implements gatehouse.TokenStore.
func (s *Store) CreateToken(ctx context.Context, t *gatehouse.Token) error {
	return s.core.CreateToken(ctx, t)
}

// Token implements gatehouse.TokenStore.
func (s *Store) Token(ctx context.Context, kind, selector string) (*gatehouse.Token, error) {
	return s.core.Token(ctx, kind, selector)
}

// TakeToken implements gatehouse.TokenStore: one DELETE ... RETURNING, so
// of concurrent takes exactly one gets the token.
func (s *Store) TakeToken(ctx context.Context, kind, selector string) (*gatehouse.Token, error) {
	return s.core.TakeToken(ctx, kind, selector)
}

// DeleteUserTokens implements gatehouse.TokenStore.
func (s *Store) DeleteUserTokens(ctx context.Context, userID string, kinds ...string) error {
	return s.core.DeleteUserTokens(ctx, userID, kinds...)
}

// DeleteExpired implements gatehouse.Sweeper: tokens and sessions that
// expired before the given time go, in one transaction.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	return s.core.DeleteExpired(ctx, before)
}

// Session implements gatehouse.SessionStore.
func (s *Store) Session(ctx context.Context, id string) (*gatehouse.Session, error) {
	return s.core.Session(ctx, id)
}

// SaveSession implements gatehouse.SessionStore.
func (s *Store) SaveSession(ctx context.Context, x *gatehouse.Session) error {
	return s.core.SaveSession(ctx, x)
}

// DeleteSession implements gatehouse.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.core.DeleteSession(ctx, id)
}

// DeleteUserSessions implements gatehouse.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	return s.core.DeleteUserSessions(ctx, userID)
}

// UserSessions implements admin.SessionLister: newest first.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]*gatehouse.Session, error) {
	return s.core.UserSessions(ctx, userID)
}

// Enqueue implements gatehouse.Outbox.
func (s *Store) Enqueue(ctx context.Context, j *gatehouse.MailJob) error {
	return s.core.Enqueue(ctx, j)
}

// ClaimMail implements gatehouse.Outbox: FOR UPDATE SKIP LOCKED, so workers
// in any number of processes never wait for each other or take the same
// job.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration) (*gatehouse.MailJob, error) {
	return s.core.ClaimMail(ctx, now, lease)
}

// UpdateMail implements gatehouse.Outbox: it writes only while j.Claim
// still holds the job (ErrConflict otherwise).
func (s *Store) UpdateMail(ctx context.Context, j *gatehouse.MailJob) error {
	return s.core.UpdateMail(ctx, j)
}

// DeleteFinishedMail implements gatehouse.Outbox.
func (s *Store) DeleteFinishedMail(ctx context.Context, before time.Time) (int, error) {
	return s.core.DeleteFinishedMail(ctx, before)
}

// Allow implements gatehouse.Limiter: one upsert decides and records, so
// concurrent events on one key, from any number of processes, are
// counted exactly.
func (s *Store) Allow(ctx context.Context, key string, l gatehouse.Limit, now time.Time) (bool, time.Duration, error) {
	return s.core.Allow(ctx, key, l, now)
}

// Wait implements gatehouse.Limiter.
func (s *Store) Wait(ctx context.Context, key string, l gatehouse.Limit, now time.Time) (time.Duration, error) {
	return s.core.Wait(ctx, key, l, now)
}

// Undo implements gatehouse.Limiter.
func (s *Store) Undo(ctx context.Context, key string, l gatehouse.Limit) error {
	return s.core.Undo(ctx, key, l)
}

// Forget implements gatehouse.Limiter.
func (s *Store) Forget(ctx context.Context, key string) error { return s.core.Forget(ctx, key) }

// Factors implements mfa.Store.
func (s *Store) Factors(ctx context.Context, userID string) ([]*mfa.Factor, error) {
	return s.core.Factors(ctx, userID)
}

// AddFactor implements mfa.Store.
func (s *Store) AddFactor(ctx context.Context, f *mfa.Factor) error { return s.core.AddFactor(ctx, f) }

// DeleteFactors implements mfa.Store.
func (s *Store) DeleteFactors(ctx context.Context, userID string, ids ...string) error {
	return s.core.DeleteFactors(ctx, userID, ids...)
}

// UseFactor implements mfa.Store: one conditional update, so of two
// concurrent uses of one code, exactly one succeeds.
func (s *Store) UseFactor(ctx context.Context, userID, id string, counter int64, at time.Time) error {
	return s.core.UseFactor(ctx, userID, id, counter, at)
}
