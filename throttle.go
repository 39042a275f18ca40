package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ThrottleConfig limits failed checks of secrets, against guessing: of
// passwords (VerifyPassword, so logins and HTTP Basic; CheckPassword, so
// the views' change, verify and confirm pages) and of one-time links
// (PeekToken, RedeemToken). Every check first asks whether the caller may
// try at all (refused: a *RetryAfterError wrapping ErrRateLimited,
// answered 429 with Retry-After, before any hashing); each failure counts
// against every limit below, and ages out on its own (one every
// Per/Count); setting a password (a reset link, say) clears the
// account's. Unknown accounts are counted like known ones, so
// throttling tells nothing about which exist. Each field's zero value is
// its default.
//
// The client is the request's address (Config.ClientIP, TrustedProxies;
// IPv6 by its /64), known when the check runs under Authenticate. Counts
// live in Config.Limiter, shared by every instance with the SQL stores.
type ThrottleConfig struct {
	// PerAccountClient limits one client's failures on one account; each
	// Limit must allow. Default: 5 a minute, 10 in 15 minutes, 30 a day:
	// after 5 quick failures the next waits 12 s, after 10, 90 s, after
	// 30, 48 minutes. The owner, on another client, is not held up by it.
	PerAccountClient []Limit
	// PerAccount limits failures on one account from every client
	// together: slower, so that a stranger hardly holds up the owner, but
	// a ceiling on distributed guessing (ASVS 2.2.1: at most 100 an hour).
	// Default: 100 an hour.
	PerAccount []Limit
	// PerClient limits one client's failures whatever the account
	// (credential stuffing). Default: 100 in 15 minutes.
	PerClient []Limit
	// Global limits failures from all clients together, per kind of secret
	// (passwords, links): a circuit breaker against stuffing from many
	// addresses. Default: 10,000 a minute.
	Global []Limit
	// Lockout, if set, locks an account for Lockout.Per after
	// Lockout.Count failures (Devise's lockable), then allows one try per
	// Per, until a password is set: the views mail a reset link as the
	// unlock mail. Hooks.LockedOut is called. Default: off, since anyone
	// who knows an address can lock its owner out.
	Lockout Limit
	// Off turns throttling off: for tests and benchmarks only. New warns.
	Off bool
}

func (t ThrottleConfig) withDefaults() ThrottleConfig {
	if t.PerAccountClient == nil {
		t.PerAccountClient = []Limit{{5, time.Minute}, {10, 15 * time.Minute}, {30, 24 * time.Hour}}
	}
	if t.PerAccount == nil {
		t.PerAccount = []Limit{{100, time.Hour}}
	}
	if t.PerClient == nil {
		t.PerClient = []Limit{{100, 15 * time.Minute}}
	}
	if t.Global == nil {
		t.Global = []Limit{{10_000, time.Minute}}
	}
	return t
}

// The kinds of secret the throttle counts apart.
const (
	kindPassword = "password"
	kindLink     = "link"
	kindFactor   = "factor"
)

// CheckFactor runs check, a check of a second factor of u's (a one-time
// code, a recovery code, a passkey's signature), through the brute-force
// throttle, as VerifyPassword does a password: if u's account is
// throttled it fails at once with a *RetryAfterError wrapping
// ErrRateLimited, without running check; if check returns an error
// wrapping ErrInvalidCredentials, the failure counts (per account and
// client, per account, per client, in all) and is reported to
// Hooks.LoginFailed with reason "wrong_factor". It returns check's error.
func (m *Manager) CheckFactor(ctx context.Context, u *User, check func(ctx context.Context) error) error {
	account := userAccount(u)
	if err := m.throttled(ctx, kindFactor, account); err != nil {
		return err
	}
	err := check(ctx)
	if errors.Is(err, ErrInvalidCredentials) {
		m.failed(ctx, kindFactor, account, u.Email, "wrong_factor", u)
	}
	return err
}

// throttleKey is one count a check goes against.
type throttleKey struct {
	key   string
	limit Limit
	own   bool // a count of the account's, not the client's or everyone's
	lock  bool // the Lockout count
}

// throttleKeys are the counts a check of kind on account (empty for a
// link) by client (empty if unknown) goes against.
func (m *Manager) throttleKeys(kind, account, client string) []throttleKey {
	t := m.cfg.Throttle
	var ks []throttleKey
	add := func(limits []Limit, own bool, who string) {
		for i, l := range limits {
			if l.Count > 0 && l.Per > 0 {
				ks = append(ks, throttleKey{key: m.limitKey("throttle "+kind, who+"\x00"+strconv.Itoa(i)), limit: l, own: own})
			}
		}
	}
	if account != "" {
		if client != "" {
			add(t.PerAccountClient, true, "account+client\x00"+account+"\x00"+client)
		}
		add(t.PerAccount, true, "account\x00"+account)
		if t.Lockout.Count > 0 && t.Lockout.Per > 0 {
			// Count failures at once, then one per Per: locked for Per.
			l := Limit{Count: t.Lockout.Count, Per: t.Lockout.Per * time.Duration(t.Lockout.Count)}
			ks = append(ks, throttleKey{key: m.limitKey("lockout", account), limit: l, own: true, lock: true})
		}
	}
	if client != "" {
		add(t.PerClient, false, "client\x00"+client)
	}
	add(t.Global, false, "all")
	return ks
}

// throttled reports whether a check of kind on account may run now: nil,
// or a *RetryAfterError wrapping ErrRateLimited (or ErrUnavailable, if
// the Limiter cannot answer: failing open would let guessing through).
func (m *Manager) throttled(ctx context.Context, kind, account string) error {
	if m.cfg.Throttle.Off {
		return nil
	}
	client := clientOf(ctx)
	now := m.cfg.Now()
	var wait time.Duration
	for _, k := range m.throttleKeys(kind, account, client) {
		w, err := m.limiter.Wait(ctx, k.key, k.limit, now)
		if err != nil {
			return fmt.Errorf("gatehouse: throttle: %w: %w", ErrUnavailable, err)
		}
		wait = max(wait, w)
	}
	if wait == 0 {
		return nil
	}
	m.log.LogAttrs(ctx, levelWarn, "gatehouse: throttled", attrEvent("throttled"), slogString("kind", kind),
		slogString("client", client), slogString("retry_in", wait.Round(time.Second).String()))
	if h := m.cfg.Hooks.Throttled; h != nil {
		h(ctx, kind, client, wait)
	}
	return &RetryAfterError{RetryAfter: wait, Err: ErrRateLimited}
}

// failed counts a failed check of kind on account against every limit,
// and reports it (u is the account's user, if known).
func (m *Manager) failed(ctx context.Context, kind, account, identity, reason string, u *User) {
	client := clientOf(ctx)
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: "+kind+" check failed", attrEvent("login_failed"), slogString("reason", reason),
		slogString("who", m.logTag(identity)), slogString("client", client))
	if h := m.cfg.Hooks.LoginFailed; h != nil {
		h(ctx, identity, reason, client)
	}
	if m.cfg.Throttle.Off {
		return
	}
	now := m.cfg.Now()
	locked := false
	count := func(ctx context.Context) error {
		for _, k := range m.throttleKeys(kind, account, client) {
			if _, _, err := m.limiter.Allow(ctx, k.key, k.limit, now); err != nil {
				return err
			}
			if k.lock && u != nil {
				w, err := m.limiter.Wait(ctx, k.key, k.limit, now)
				if err != nil {
					return err
				}
				locked = w > 0
			}
		}
		return nil
	}
	// One transaction for the lot, where the Limiter is a database.
	var err error
	if tx, ok := m.cfg.Limiter.(Transactor); ok {
		err = withinErr(ctx, 2*m.cfg.StoreTimeout, func(ctx context.Context) error { return tx.InTx(ctx, count) })
	} else {
		err = count(ctx)
	}
	if err != nil {
		m.log.LogAttrs(ctx, levelError, "gatehouse: throttle", attrEvent("store_error"), attrErr(err))
	}
	if locked {
		m.log.LogAttrs(ctx, levelWarn, "gatehouse: account locked", attrEvent("locked_out"), attrUser(u))
		if h := m.cfg.Hooks.LockedOut; h != nil {
			h(ctx, u)
		}
		if h := m.ext.Load().LockedOut; h != nil {
			h(ctx, u)
		}
	}
}

// unlock clears every count of u's account but other clients' own: a
// new password makes the old guesses moot (and is how a locked account
// is unlocked).
func (m *Manager) unlock(ctx context.Context, u *User) {
	if m.cfg.Throttle.Off {
		return
	}
	account := userAccount(u)
	for _, k := range m.throttleKeys(kindPassword, account, clientOf(ctx)) {
		if k.own {
			m.limiter.Forget(ctx, k.key)
		}
	}
}

// userAccount and identityAccount name an account for the throttle: by ID
// when the user is known, by what was typed when not, so guesses at an
// unknown address are counted (and refused) like any other.
func userAccount(u *User) string { return "id:" + u.ID }

func identityAccount(identity string) string {
	if e, err := normalizeEmail(identity); err == nil {
		identity = e
	}
	return "as:" + strings.ToLower(strings.TrimSpace(identity))
}
