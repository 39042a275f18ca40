package gatehouse

import (
	"context"
	"errors"
	"time"
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

// unavailable wraps err in an *UnavailableError when it means the store
// cannot answer now: the store said so, or ctx ran out.
func unavailable(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return err
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &UnavailableError{RetryAfter: storeRetry, Err: err}
	}
	return err
}

type boundedUsers struct {
	s UserStore
	d time.Duration
}

func (b boundedUsers) UserByID(ctx context.Context, id string) (*User, error) {
	return within(ctx, b.d, func(ctx context.Context) (*User, error) { return b.s.UserByID(ctx, id) })
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

func (b boundedTokens) Token(ctx context.Context, kind TokenKind, selector string) (*Token, error) {
	return within(ctx, b.d, func(ctx context.Context) (*Token, error) { return b.s.Token(ctx, kind, selector) })
}

func (b boundedTokens) TakeToken(ctx context.Context, kind TokenKind, selector string) (*Token, error) {
	return within(ctx, b.d, func(ctx context.Context) (*Token, error) { return b.s.TakeToken(ctx, kind, selector) })
}

func (b boundedTokens) DeleteUserTokens(ctx context.Context, userID string, kinds ...TokenKind) error {
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

type boundedOutbox struct {
	s Outbox
	d time.Duration
}

func (b boundedOutbox) Enqueue(ctx context.Context, j *MailJob) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.Enqueue(ctx, j) })
}

func (b boundedOutbox) ClaimMail(ctx context.Context, now time.Time, lease time.Duration) (*MailJob, error) {
	return within(ctx, b.d, func(ctx context.Context) (*MailJob, error) { return b.s.ClaimMail(ctx, now, lease) })
}

func (b boundedOutbox) UpdateMail(ctx context.Context, j *MailJob) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.UpdateMail(ctx, j) })
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

	byUsername    UsernameLookup
	lister        UserLister
	deleter       UserDeleter
	sessionLister SessionLister
	tokenSweeper  TokenSweeper
	sweeper       SessionSweeper
	tx            Transactor // nil: each write stands alone
	timeout       time.Duration
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
	if c.Mail.Outbox != nil {
		s.outbox = boundedOutbox{c.Mail.Outbox, d}
	}
	if ul, ok := c.Users.(UsernameLookup); ok {
		s.byUsername = usernameLookup{ul, d}
	}
	if ul, ok := c.Users.(UserLister); ok {
		s.lister = userLister{ul, d}
	}
	if ud, ok := c.Users.(UserDeleter); ok {
		s.deleter = userDeleter{ud, d}
	}
	if sl, ok := c.Sessions.(SessionLister); ok {
		s.sessionLister = sessionLister{sl, d}
	}
	s.tokenSweeper, _ = c.Tokens.(TokenSweeper)
	s.sweeper, _ = c.Sessions.(SessionSweeper)
	// One transaction can span users, tokens and the outbox only when they
	// are one store.
	if t, ok := c.Users.(Transactor); ok && sameStore(c.Users, c.Tokens) && sameStore(c.Users, c.Mail.Outbox) {
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

// inTx runs fn in one transaction of the store when it can (see
// Transactor), else as it is.
func (m *Manager) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if m.st.tx == nil {
		return fn(ctx)
	}
	return withinErr(ctx, 2*m.st.timeout, func(ctx context.Context) error { return m.st.tx.InTx(ctx, fn) })
}

type userLister struct {
	s UserLister
	d time.Duration
}

func (b userLister) ListUsers(ctx context.Context, f UserFilter) ([]*User, error) {
	return within(ctx, b.d, func(ctx context.Context) ([]*User, error) { return b.s.ListUsers(ctx, f) })
}

type userDeleter struct {
	s UserDeleter
	d time.Duration
}

func (b userDeleter) DeleteUser(ctx context.Context, id string) error {
	return withinErr(ctx, b.d, func(ctx context.Context) error { return b.s.DeleteUser(ctx, id) })
}

type sessionLister struct {
	s SessionLister
	d time.Duration
}

func (b sessionLister) UserSessions(ctx context.Context, userID string) ([]*Session, error) {
	return within(ctx, b.d, func(ctx context.Context) ([]*Session, error) { return b.s.UserSessions(ctx, userID) })
}
