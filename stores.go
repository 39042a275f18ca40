package gatehouse

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// The Manager reaches its stores through these wrappers, made once in New:
// every call gets a deadline (Config.StoreTimeout), so a frozen database
// costs a request at most that long, and a call that runs out of time is
// an ErrUnavailable (answered 503), never a hang or a 500.

const defaultStoreTimeout = 5 * time.Second

// storeRetry is the Retry-After given when a store is unavailable.
const storeRetry = 5 * time.Second

// within runs f with a deadline of d and turns a timeout into
// ErrUnavailable.
func within[T any](ctx context.Context, d time.Duration, f func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := f(ctx)
	return v, unavailable(ctx, err)
}

func withinErr(ctx context.Context, d time.Duration, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return unavailable(ctx, f(ctx))
}

// unavailable wraps err in a *RetryAfterError (ErrUnavailable) when it
// means the store cannot answer now: the store said so, or ctx ran out.
func unavailable(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var ra *RetryAfterError
	switch {
	case errors.As(err, &ra):
		return err
	case errors.Is(err, ErrUnavailable):
		return &RetryAfterError{RetryAfter: storeRetry, Err: err}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &RetryAfterError{RetryAfter: storeRetry, Err: fmt.Errorf("%w: %w", ErrUnavailable, err)}
	}
	return err
}

type boundedUsers struct {
	s UserStore
	d time.Duration
}

// UserByID runs on every authenticated request: written out, as within's
// closure would cost an allocation.
func (b boundedUsers) UserByID(ctx context.Context, id string) (*User, error) {
	ctx, cancel := context.WithTimeout(ctx, b.d)
	defer cancel()
	u, err := b.s.UserByID(ctx, id)
	return u, unavailable(ctx, err)
}

func (b boundedUsers) UserByEmail(ctx context.Context, email string) (*User, error) {
	return within(ctx, b.d, func(ctx context.Context) (*User, error) { return b.s.UserByEmail(ctx, email) })
}

func (b boundedUsers) CreateUser(ctx context.Context, u *User) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.CreateUser(ctx, u) })
}

func (b boundedUsers) UpdateUser(ctx context.Context, id string, c UserChange) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.UpdateUser(ctx, id, c) })
}

type boundedTokens struct {
	s TokenStore
	d time.Duration
}

func (b boundedTokens) CreateToken(ctx context.Context, t *Token) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.CreateToken(ctx, t) })
}

func (b boundedTokens) Token(ctx context.Context, kind string, selector string) (*Token, error) {
	return within(ctx, b.d, func(ctx context.Context) (*Token, error) { return b.s.Token(ctx, kind, selector) })
}

func (b boundedTokens) TakeToken(ctx context.Context, kind string, selector string) (*Token, error) {
	return within(ctx, b.d, func(ctx context.Context) (*Token, error) { return b.s.TakeToken(ctx, kind, selector) })
}

func (b boundedTokens) DeleteUserTokens(ctx context.Context, userID string, kinds ...string) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.DeleteUserTokens(ctx, userID, kinds...) })
}

type boundedSessions struct {
	s SessionStore
	d time.Duration
}

func (b boundedSessions) Session(ctx context.Context, id string) (*Session, error) {
	return within(ctx, b.d, func(ctx context.Context) (*Session, error) { return b.s.Session(ctx, id) })
}

func (b boundedSessions) SaveSession(ctx context.Context, s *Session) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.SaveSession(ctx, s) })
}

func (b boundedSessions) DeleteSession(ctx context.Context, id string) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.DeleteSession(ctx, id) })
}

func (b boundedSessions) DeleteUserSessions(ctx context.Context, userID string) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.DeleteUserSessions(ctx, userID) })
}

type boundedRoles struct {
	s RoleStore
	d time.Duration
}

func (b boundedRoles) Role(ctx context.Context, name string) (*Role, error) {
	return within(ctx, b.d, func(ctx context.Context) (*Role, error) { return b.s.Role(ctx, name) })
}

func (b boundedRoles) Roles(ctx context.Context) ([]*Role, error) {
	return within(ctx, b.d, b.s.Roles)
}

func (b boundedRoles) CreateRole(ctx context.Context, r *Role) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.CreateRole(ctx, r) })
}

func (b boundedRoles) UpdateRole(ctx context.Context, r *Role) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.UpdateRole(ctx, r) })
}

// boundedOutbox also seals every job's Payload (XChaCha20-Poly1305 under a
// key derived from the secret keys): the store never holds an address, a
// token or a link in the clear, and callers never see the sealed form. A
// payload that no longer opens (the secret keys changed) comes back nil.
type boundedOutbox struct {
	s    Outbox
	d    time.Duration
	keys []cipher.AEAD // [0] seals
}

const mailPayloadVersion = 1

var mailAD = []byte("gatehouse mail")

func (b boundedOutbox) sealed(j *MailJob) *MailJob {
	c := *j
	if c.Payload != nil {
		c.Payload = sealBox(b.keys[0], mailPayloadVersion, j.Payload, mailAD)
	}
	return &c
}

func (b boundedOutbox) Enqueue(ctx context.Context, j *MailJob) error {
	c := b.sealed(j)
	err := withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.Enqueue(ctx, c) })
	j.ID, j.Claim, j.ClaimedUntil = c.ID, c.Claim, c.ClaimedUntil
	return err
}

func (b boundedOutbox) ClaimMail(ctx context.Context, now time.Time, lease time.Duration) (*MailJob, error) {
	j, err := within(ctx, b.d, func(ctx context.Context) (*MailJob, error) { return b.s.ClaimMail(ctx, now, lease) })
	if err == nil && j.Payload != nil {
		j.Payload, _ = openBox(b.keys, mailPayloadVersion, j.Payload, mailAD)
	}
	return j, err
}

func (b boundedOutbox) UpdateMail(ctx context.Context, j *MailJob) error {
	c := b.sealed(j)
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.UpdateMail(ctx, c) })
}

func (b boundedOutbox) DeleteFinishedMail(ctx context.Context, before time.Time) (int, error) {
	return within(ctx, b.d, func(ctx context.Context) (int, error) { return b.s.DeleteFinishedMail(ctx, before) })
}

// stores are the Manager's stores behind deadlines, with their optional
// abilities detected once, in New.
type stores struct {
	users    UserStore
	tokens   TokenStore   // nil if not configured
	sessions SessionStore // nil: stateless cookie sessions
	roles    RoleStore    // nil: no role catalog
	outbox   Outbox       // nil: no mail

	byUsername UsernameLookup
	sweepers   []Sweeper  // the distinct stores that can sweep
	tx         Transactor // nil: each write stands alone
	timeout    time.Duration
}

func newStores(c *Config) stores {
	d := c.StoreTimeout
	s := stores{users: boundedUsers{c.Users, d}, timeout: d}
	if c.Tokens != nil {
		s.tokens = boundedTokens{c.Tokens, d}
	}
	if c.Sessions != nil {
		s.sessions = boundedSessions{c.Sessions, d}
	}
	if c.Roles != nil {
		s.roles = boundedRoles{c.Roles, d}
	}
	if c.Outbox != nil {
		ob := boundedOutbox{s: c.Outbox, d: d}
		for _, k := range c.SecretKeys {
			aead, err := chacha20poly1305.NewX(deriveKey(k, "mail outbox"))
			if err != nil {
				panic("gatehouse: " + err.Error()) // a 32-byte key always works
			}
			ob.keys = append(ob.keys, aead)
		}
		s.outbox = ob
	}
	if ul, ok := c.Users.(UsernameLookup); ok {
		s.byUsername = usernameLookup{ul, d}
	}
	for _, x := range []any{c.Tokens, c.Sessions} {
		if sw, ok := x.(Sweeper); ok && !slices.ContainsFunc(s.sweepers, func(o Sweeper) bool { return sameStore(o, sw) }) {
			s.sweepers = append(s.sweepers, sw)
		}
	}
	// One transaction can span users, tokens and the outbox only when they
	// are one store.
	if t, ok := c.Users.(Transactor); ok && sameStore(c.Users, c.Tokens) && sameStore(c.Users, c.Outbox) {
		s.tx = t
	}
	return s
}

// sameStore reports whether b is a or absent.
func sameStore(a, b any) (same bool) {
	if b == nil {
		return true
	}
	defer func() {
		if recover() != nil { // incomparable dynamic types
			same = false
		}
	}()
	return a == b
}

type usernameLookup struct {
	s UsernameLookup
	d time.Duration
}

func (b usernameLookup) UserByUsername(ctx context.Context, username string) (*User, error) {
	return within(ctx, b.d, func(ctx context.Context) (*User, error) { return b.s.UserByUsername(ctx, username) })
}

// Stores are a Manager's stores as the layers built on it (the views, the
// admin operations) reach them: every call has the Manager's deadline
// (Config.StoreTimeout) and reports a store that cannot serve as
// ErrUnavailable. Absent stores are nil.
type Stores struct {
	Users    UserStore
	Tokens   TokenStore
	Sessions SessionStore
	Roles    RoleStore
	Outbox   Outbox
}

// Stores returns the Manager's stores, behind its deadlines.
func (m *Manager) Stores() Stores {
	return Stores{Users: m.st.users, Tokens: m.st.tokens, Sessions: m.st.sessions, Roles: m.st.roles, Outbox: m.st.outbox}
}

// InTx runs fn in one transaction when the user, token and outbox stores
// are one store that is a [Transactor] (the SQL stores are): every store
// call fn makes with the context it is given is part of it, so a user and
// the mail that welcomes it, or a token and the mail that carries it, are
// written together or not at all. With other stores it just runs fn. Hash
// passwords before, not inside: a transaction holds the database's write
// lock.
func (m *Manager) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if m.st.tx == nil {
		return fn(ctx)
	}
	return withinErr(ctx, 2*m.st.timeout, func(ctx context.Context) error { return m.st.tx.InTx(ctx, fn) })
}

// Sweep deletes expired tokens and sessions and mail jobs finished more
// than a week ago, where the stores can (Sweeper). Expired ones are
// refused anyway; this only keeps the database small. The views' Run does
// it hourly.
func (m *Manager) Sweep(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 4*m.st.timeout)
	defer cancel()
	now := m.cfg.Now()
	var errs []error
	for _, s := range m.st.sweepers {
		if _, err := s.DeleteExpired(ctx, now); err != nil {
			errs = append(errs, err)
		}
	}
	if m.st.outbox != nil {
		if _, err := m.st.outbox.DeleteFinishedMail(ctx, now.Add(-keepFinishedMail)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// keepFinishedMail is how long sent or failed mail jobs stay, for
// operators to look at.
const keepFinishedMail = 7 * 24 * time.Hour

type boundedLimiter struct {
	s Limiter
	d time.Duration
}

func (b boundedLimiter) Allow(ctx context.Context, key string, l Limit, now time.Time) (ok bool, retry time.Duration, err error) {
	err = withinErr(ctx, b.d, func(ctx context.Context) error {
		ok, retry, err = b.s.Allow(ctx, key, l, now)
		return err
	})
	return ok, retry, err
}

func (b boundedLimiter) Wait(ctx context.Context, key string, l Limit, now time.Time) (time.Duration, error) {
	return within(ctx, b.d, func(ctx context.Context) (time.Duration, error) { return b.s.Wait(ctx, key, l, now) })
}

func (b boundedLimiter) Undo(ctx context.Context, key string, l Limit) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.Undo(ctx, key, l) })
}

func (b boundedLimiter) Forget(ctx context.Context, key string) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.Forget(ctx, key) })
}
