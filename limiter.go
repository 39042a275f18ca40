package gatehouse

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/gcra"
)

// memLimiter is the in-process Limiter: GCRA over a bounded map (100,000
// keys, about 10 MB).
type memLimiter struct{ m *gcra.Memory }

func (l memLimiter) Allow(_ context.Context, key string, lim Limit, now time.Time) (bool, time.Duration, error) {
	if lim.Count <= 0 || lim.Per <= 0 {
		return true, 0, nil
	}
	ok, wait := l.m.Allow(key, lim.Count, lim.Per, now)
	return ok, wait, nil
}

func (l memLimiter) Wait(_ context.Context, key string, lim Limit, now time.Time) (time.Duration, error) {
	if lim.Count <= 0 || lim.Per <= 0 {
		return 0, nil
	}
	return l.m.Wait(key, lim.Count, lim.Per, now), nil
}

func (l memLimiter) Undo(_ context.Context, key string, lim Limit) error {
	if lim.Count > 0 && lim.Per > 0 {
		l.m.Undo(key, lim.Count, lim.Per)
	}
	return nil
}

func (l memLimiter) Forget(_ context.Context, key string) error {
	l.m.Forget(key)
	return nil
}

// Allow counts one event of scope (such as "register") for key (an email
// address, say) and returns a *RetryAfterError wrapping ErrRateLimited
// when it goes over l. An empty key counts per client address instead
// (Config.ClientIP; IPv6 addresses by their /64, which one client can hold
// whole); a scope that names a key ("mail to "+address) with an empty key
// counts per key and client. Keys reach the Limiter only as keyed hashes,
// never as addresses.
func (m *Manager) Allow(r *http.Request, scope, key string, l Limit) error {
	if l.Count <= 0 || l.Per <= 0 {
		return nil
	}
	if key == "" {
		key = "ip\x00" + clientKey(m.cfg.clientIP(r))
		if key == "ip\x00" {
			return nil
		}
	} else {
		key = "key\x00" + strings.ToLower(key)
	}
	ok, retry, err := m.limiter.Allow(r.Context(), m.limitKey(scope, key), l, m.cfg.Now())
	if err != nil {
		return fmt.Errorf("gatehouse: rate limit: %w", err)
	}
	if !ok {
		return &RetryAfterError{RetryAfter: retry, Err: ErrRateLimited}
	}
	return nil
}

// limitKey is what the Limiter sees of a scope and key: a keyed hash.
func (m *Manager) limitKey(scope, key string) string {
	mac := hmac.New(sha256.New, m.protectKey)
	mac.Write([]byte("limit\x00" + scope + "\x00" + key))
	return b64.EncodeToString(mac.Sum(nil)[:16])
}

// clientKey is a client address as limits count it: IPv6 addresses by
// their /64, which one client can hold whole; "" if unknown.
func clientKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	if ip.Is6() && !ip.Is4In6() {
		if p, err := ip.Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	return ip.Unmap().String()
}
