package gatehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/token"
)

// IssueToken makes a one-time token of kind for u, valid for ttl, stores
// its selector and verifier hash, and returns the raw token to put in a
// link. Earlier tokens of the same kind for u are deleted: only the newest
// link works. binding, if not empty, is kept with the token (see
// Token.Binding) for the caller to check when it is used.
func (m *Manager) IssueToken(ctx context.Context, kind string, u *User, ttl time.Duration, binding string) (string, error) {
	if m.st.tokens == nil {
		return "", errors.New("gatehouse: IssueToken needs Config.Tokens")
	}
	ot := token.NewOneTime()
	now := m.cfg.Now()
	t := &Token{
		Kind: kind, Selector: ot.Selector, VerifierHash: ot.VerifierHash, UserID: u.ID, Binding: binding,
		Stamp: stampHash(u.SecurityStamp), Email: u.Email, CreatedAt: now, ExpiresAt: now.Add(ttl),
	}
	err := m.InTx(ctx, func(ctx context.Context) error {
		if err := m.st.tokens.DeleteUserTokens(ctx, u.ID, kind); err != nil {
			return err
		}
		return m.st.tokens.CreateToken(ctx, t)
	})
	if err != nil {
		return "", fmt.Errorf("gatehouse: issue token: %w", err)
	}
	return ot.Token, nil
}

// RedeemToken takes a one-time token of kind and returns it with its user.
// It succeeds once: the token is taken atomically from the store, so of
// many concurrent redemptions exactly one wins. It fails with
// ErrTokenInvalid for a malformed, unknown, used or superseded token (and
// ErrTokenExpired, which is one too, with the token and its user, for a
// genuine one past its time), one of another kind, one issued before the user's SecurityStamp
// changed (a password change by any route), or one mailed to an address
// the user no longer has. Failures are throttled per client
// (Config.Throttle): past the limits it fails with a *RetryAfterError
// wrapping ErrRateLimited.
func (m *Manager) RedeemToken(ctx context.Context, kind string, raw string) (*Token, *User, error) {
	return m.verifyToken(ctx, kind, raw, true)
}

// PeekToken checks a one-time token as RedeemToken does, without using it
// up, for a page that shows a form before the token is redeemed
// (Flask-Security's get_token_status): nil, ErrTokenExpired with the
// token and its user, or another error with neither.
func (m *Manager) PeekToken(ctx context.Context, kind string, raw string) (*Token, *User, error) {
	return m.verifyToken(ctx, kind, raw, false)
}

// verifyToken is RedeemToken and PeekToken: it takes the token if take,
// and returns the token and its user; failures count against the link
// throttle.
func (m *Manager) verifyToken(ctx context.Context, kind string, raw string, take bool) (*Token, *User, error) {
	// A malformed token is refused at no cost, and counts for nothing (it
	// cannot be a guess at a real one).
	if _, _, err := token.ParseOneTime(raw); err != nil {
		return nil, nil, ErrTokenInvalid
	}
	// Links are guessed like passwords are: throttled per client.
	res, err := m.reserve(ctx, kindLink, "")
	if err != nil {
		return nil, nil, err
	}
	t, u, err := m.checkToken(ctx, kind, raw, take)
	// A genuine link that expired is no guess: it costs nothing.
	m.settle(ctx, res, errors.Is(err, ErrTokenInvalid) && !errors.Is(err, ErrTokenExpired), "", "bad_link", nil)
	return t, u, err
}

// checkToken is the one check behind RedeemToken and PeekToken.
func (m *Manager) checkToken(ctx context.Context, kind string, raw string, take bool) (*Token, *User, error) {
	if m.st.tokens == nil {
		return nil, nil, errors.New("gatehouse: one-time tokens need Config.Tokens")
	}
	sel, ver, err := token.ParseOneTime(raw)
	if err != nil {
		return nil, nil, ErrTokenInvalid
	}
	var t *Token
	if take {
		t, err = m.st.tokens.TakeToken(ctx, kind, sel)
	} else {
		t, err = m.st.tokens.Token(ctx, kind, sel)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, nil, fmt.Errorf("gatehouse: check token: %w", err)
	}
	if t.Kind != kind || !token.CheckVerifier(ver, t.VerifierHash) {
		return nil, nil, ErrTokenInvalid
	}
	u, err := m.st.users.UserByID(ctx, t.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, nil, fmt.Errorf("gatehouse: check token: %w", err)
	}
	if !equalStamp(t.Stamp, u.SecurityStamp) {
		return nil, nil, ErrTokenInvalid
	}
	if !strings.EqualFold(t.Email, u.Email) {
		return nil, nil, ErrTokenInvalid // mailed to an address the user no longer has
	}
	if !m.cfg.Now().Before(t.ExpiresAt) {
		return t, u, ErrTokenExpired
	}
	return t, u, nil
}

// authPayload is what an API auth token carries, signed: the user and a
// hash of the SecurityStamp, so a password change, deactivation or "log out
// everywhere" kills every token.
type authPayload struct {
	UserID string `json:"u"`
	Stamp  string `json:"s"`
}

// AuthToken returns a signed API auth token for u (Flask-Security's
// get_auth_token). It needs no storage; it dies when u's SecurityStamp
// changes, and after Config.TokenMaxAge.
func (m *Manager) AuthToken(u *User) string {
	p, _ := json.Marshal(authPayload{UserID: u.ID, Stamp: stampHash(u.SecurityStamp)})
	return m.auth.Sign(p, m.cfg.Now())
}

// userFromAuthToken checks an auth token and returns its user: errors
// ErrTokenInvalid, or ErrInactive for a deactivated user.
func (m *Manager) userFromAuthToken(ctx context.Context, tok string) (*User, error) {
	raw, _, err := m.auth.Verify(tok, m.cfg.TokenMaxAge, m.cfg.Now())
	if err != nil {
		return nil, ErrTokenInvalid
	}
	var p authPayload
	if json.Unmarshal(raw, &p) != nil || p.UserID == "" {
		return nil, ErrTokenInvalid
	}
	u, err := m.st.users.UserByID(ctx, p.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("gatehouse: auth token: %w", err)
	}
	if !equalStamp(p.Stamp, u.SecurityStamp) {
		return nil, ErrTokenInvalid
	}
	if !u.Active {
		return nil, ErrInactive
	}
	return u, nil
}
