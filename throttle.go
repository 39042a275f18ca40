package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// ThrottleConfig limits guessing at secrets: passwords (VerifyPassword,
// so logins and HTTP Basic; CheckPassword, so the views' change, verify
// and confirm pages), one-time links (PeekToken, RedeemToken) and second
// factors (CheckFactor). Every attempt takes its place in each limit
// below before the secret is checked, so a burst of parallel guesses gets
// no more than the limits allow; a refused attempt is answered with a
// *RetryAfterError wrapping ErrRateLimited (429 with Retry-After) and
// checks nothing. A success gives its places back, so only failures
// count; they age out on their own (one every Per/Count). Setting a
// password (a reset link, say) clears the account's counts. Unknown
// accounts are counted like known ones, so throttling tells nothing about
// which exist. Each field's zero value is its default.
//
// The client is the request's address (Config.ClientIP, TrustedProxies;
// IPv6 by its /64), known when the check runs under Authenticate. Without
// it (a check outside Authenticate, a proxy on a Unix socket), the
// per-client limit cannot apply, and the per-account-and-client one
// applies to all such callers together; New cannot tell, so the first
// such check logs a warning. Counts live in Config.Limiter, shared by
// every instance with the SQL stores.
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
	// Global limits password and second-factor failures from all clients
	// together: past it, a client with a failure of its own in the last 15
	// minutes is refused (one with a clean record still passes, so a flood
	// cannot lock everyone out): a brake on stuffing from many addresses.
	// Default: 10,000 a minute.
	Global []Limit
	// Lockout, if set, locks an account for Lockout.Per after
	// Lockout.Count failures (Devise's lockable), then allows one try per
	// Per, until a password is set: the views mail a reset link as the
	// unlock mail. Hooks.LockedOut is called once per lock. Default: off,
	// since anyone who knows an address can lock its owner out.
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

// unknownClient stands for the client when its address is not known.
const unknownClient = "unknown"

// recentFailure is how long a client's failure keeps it subject to the
// Global limit.
var recentFailure = Limit{Count: 1, Per: 15 * time.Minute}

// CheckFactor runs check, a check of a second factor of u's (a one-time
// code, a recovery code, a passkey's signature), through the brute-force
// throttle, as VerifyPassword does a password: if u's account is
// throttled it fails at once with a *RetryAfterError wrapping
// ErrRateLimited, without running check; if check returns an error
// wrapping ErrInvalidCredentials, the failure counts and is reported to
// Hooks.LoginFailed with reason "wrong_factor". It returns check's error.
func (m *Manager) CheckFactor(ctx context.Context, u *User, check func(ctx context.Context) error) error {
	res, err := m.reserve(ctx, kindFactor, userAccount(u))
	if err != nil {
		return err
	}
	err = check(ctx)
	m.settle(ctx, res, errors.Is(err, ErrInvalidCredentials), u.Email, "wrong_factor", u)
	return err
}

// throttleKey is one count an attempt takes a place in.
type throttleKey struct {
	key   string
	limit Limit
	own   bool // a count of the account's, not the client's
	lock  bool // the Lockout count
}

// throttleKeys are the counts an attempt of kind on account (empty for a
// link) by client takes a place in, most particular first.
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
		add(t.PerAccountClient, true, "account+client\x00"+account+"\x00"+client)
		add(t.PerAccount, true, "account\x00"+account)
		if t.Lockout.Count > 0 && t.Lockout.Per > 0 {
			// Count failures at once, then one per Per: locked for Per.
			l := Limit{Count: t.Lockout.Count, Per: t.Lockout.Per * time.Duration(t.Lockout.Count)}
			ks = append(ks, throttleKey{key: m.limitKey("lockout", account), limit: l, own: true, lock: true})
		}
	}
	if client != unknownClient {
		add(t.PerClient, false, "client\x00"+client)
	}
	return ks
}

// reservation is an attempt's places in the throttle's counts.
type reservation struct {
	kind, account, client string
	held                  []throttleKey
	lastTry               bool // this attempt took the last try before the lock-out
}

// warnedUnknownClient is set once the throttle has warned that it does
// not know a check's client.
var warnedUnknownClient atomic.Bool

// reserve takes an attempt's place in every count, before the secret is
// checked: all of them, or, if one refuses, none (the refusal is a
// *RetryAfterError wrapping ErrRateLimited). A Limiter that cannot answer
// is an ErrUnavailable: failing open would let guessing through. A nil
// reservation (throttling off) is valid.
func (m *Manager) reserve(ctx context.Context, kind, account string) (*reservation, error) {
	if m.cfg.Throttle.Off {
		return nil, nil
	}
	client := clientOf(ctx)
	if client == "" {
		client = unknownClient
		if warnedUnknownClient.CompareAndSwap(false, true) {
			m.log.LogAttrs(ctx, levelWarn, "gatehouse: a secret is checked without knowing the client's address: per-client limits cannot apply; run the check under Authenticate, and set Config.ClientIP if the address is not an IP", attrEvent("unknown_client"))
		}
	}
	res := &reservation{kind: kind, account: account, client: client}
	now := m.cfg.Now()
	var refusal time.Duration
	take := func(ctx context.Context) error {
		res.held, res.lastTry, refusal = nil, false, 0
		if kind != kindLink && client != unknownClient && len(m.cfg.Throttle.Global) > 0 {
			// The Global brake holds back clients with failures of their own.
			recent, err := m.limiter.Wait(ctx, m.limitKey("throttle failed", kind+"\x00"+client), recentFailure, now)
			if err != nil {
				return err
			}
			if recent > 0 {
				for i, l := range m.cfg.Throttle.Global {
					w, err := m.limiter.Wait(ctx, m.limitKey("throttle all", kind+"\x00"+strconv.Itoa(i)), l, now)
					if err != nil {
						return err
					}
					if w > 0 {
						refusal = w
						return nil
					}
				}
			}
		}
		for _, k := range m.throttleKeys(kind, account, client) {
			ok, retry, err := m.limiter.Allow(ctx, k.key, k.limit, now)
			if err != nil {
				return err
			}
			if !ok {
				refusal = retry
				return m.giveBack(ctx, res.held)
			}
			res.held = append(res.held, k)
			if k.lock {
				w, err := m.limiter.Wait(ctx, k.key, k.limit, now)
				if err != nil {
					return err
				}
				res.lastTry = w > 0
			}
		}
		return nil
	}
	if err := m.inLimiterTx(ctx, take); err != nil {
		return nil, fmt.Errorf("gatehouse: throttle: %w: %w", ErrUnavailable, err)
	}
	if refusal == 0 {
		return res, nil
	}
	m.log.LogAttrs(ctx, levelWarn, "gatehouse: throttled", attrEvent("throttled"), slogString("kind", kind),
		slogString("client", client), slogString("retry_in", refusal.Round(time.Second).String()))
	if h := m.cfg.Hooks.Throttled; h != nil {
		h(ctx, kind, client, refusal)
	}
	return nil, &RetryAfterError{RetryAfter: refusal, Err: ErrRateLimited}
}

// giveBack returns an attempt's places.
func (m *Manager) giveBack(ctx context.Context, held []throttleKey) error {
	for _, k := range held {
		if err := m.limiter.Undo(ctx, k.key, k.limit); err != nil {
			return err
		}
	}
	return nil
}

// inLimiterTx runs fn in one transaction where the Limiter is a database
// that can (the SQL stores): one commit for an attempt's counts.
func (m *Manager) inLimiterTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if tx, ok := m.cfg.Limiter.(Transactor); ok {
		return withinErr(ctx, 2*m.cfg.StoreTimeout, func(ctx context.Context) error { return tx.InTx(ctx, fn) })
	}
	return fn(ctx)
}

// settle ends an attempt: a success gives its places back; a failure
// keeps them, marks the client as recently failing, counts toward the
// Global brake, and is reported (u is the account's user, if known). It
// runs to the end though the client has gone: a success must not stay
// counted as a failure, nor a failure escape its marks by hanging up.
func (m *Manager) settle(ctx context.Context, res *reservation, failed bool, identity, reason string, u *User) {
	ctx = context.WithoutCancel(ctx)
	if !failed {
		if res != nil {
			if err := m.inLimiterTx(ctx, func(ctx context.Context) error { return m.giveBack(ctx, res.held) }); err != nil {
				m.log.LogAttrs(ctx, levelError, "gatehouse: throttle", attrEvent("store_error"), attrErr(err))
			}
		}
		return
	}
	client := clientOf(ctx)
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: check failed", attrEvent("login_failed"), slogString("reason", reason),
		slogString("who", m.logTag(identity)), slogString("client", client))
	if h := m.cfg.Hooks.LoginFailed; h != nil {
		h(ctx, identity, reason, client)
	}
	if res == nil {
		return
	}
	if res.kind != kindLink && res.client != unknownClient && len(m.cfg.Throttle.Global) > 0 {
		now := m.cfg.Now()
		err := m.inLimiterTx(ctx, func(ctx context.Context) error {
			key := m.limitKey("throttle failed", res.kind+"\x00"+res.client)
			if err := m.limiter.Forget(ctx, key); err != nil {
				return err
			}
			if _, _, err := m.limiter.Allow(ctx, key, recentFailure, now); err != nil {
				return err
			}
			for i, l := range m.cfg.Throttle.Global {
				if _, _, err := m.limiter.Allow(ctx, m.limitKey("throttle all", res.kind+"\x00"+strconv.Itoa(i)), l, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			m.log.LogAttrs(ctx, levelError, "gatehouse: throttle", attrEvent("store_error"), attrErr(err))
		}
	}
	if res.lastTry && u != nil {
		m.log.LogAttrs(ctx, levelWarn, "gatehouse: account locked", attrEvent("locked_out"), attrUser(u))
		if h := m.cfg.Hooks.LockedOut; h != nil {
			h(ctx, u)
		}
		if h := m.ext.Load().LockedOut; h != nil {
			h(ctx, u)
		}
	}
}

// unlock clears the password counts of u's account (and of the account
// from the request's client), but not other clients' own: a new password
// makes the old guesses moot, and is how a locked account is unlocked.
// Second-factor counts stay: the factor being guessed has not changed, and
// whoever holds the mailbox must not win a new budget of code guesses with
// each reset.
func (m *Manager) unlock(ctx context.Context, u *User) {
	if m.cfg.Throttle.Off {
		return
	}
	client := clientOf(ctx)
	if client == "" {
		client = unknownClient
	}
	for _, k := range m.throttleKeys(kindPassword, userAccount(u), client) {
		if k.own {
			m.limiter.Forget(ctx, k.key)
		}
	}
}

// userAccount and identityAccount name an account for the throttle: by ID
// when the user is known, by what the store would have looked up when not
// (canonicalIdentity), so guesses at an unknown account are counted, and
// refused, like any other, and no spelling tells the two apart.
func userAccount(u *User) string { return "id:" + u.ID }

func identityAccount(identity string, attrs []string) string {
	attr, canon := canonicalIdentity(identity, attrs)
	return "as:" + attr + ":" + canon
}
