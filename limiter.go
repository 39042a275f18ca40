package gatehouse

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// memLimiterKeys bounds the keys the in-process limiter remembers, so a
// flood of distinct addresses cannot grow it without end: about 100 bytes a
// key, 10 MB in all.
const memLimiterKeys = 100_000

// memLimiter is the default Limiter: the generic cell rate algorithm (GCRA)
// in process memory. Each key keeps one time, its "theoretical arrival
// time": Count events may come at once, then one every Per/Count. Keys
// whose time has passed hold nothing worth keeping and are dropped when
// the map is full; if it is still full, arbitrary keys are forgotten
// (they start again from a clean slate, which errs on the side of letting
// mail through rather than refusing everyone).
type memLimiter struct {
	mu  sync.Mutex
	tat map[string]time.Time
	max int
}

func newMemLimiter() *memLimiter {
	return &memLimiter{tat: map[string]time.Time{}, max: memLimiterKeys}
}

func (l *memLimiter) Allow(_ context.Context, key string, lim Limit, now time.Time) (bool, time.Duration, error) {
	if lim.Count <= 0 || lim.Per <= 0 {
		return true, 0, nil
	}
	interval := lim.Per / time.Duration(lim.Count)
	burst := lim.Per - interval
	l.mu.Lock()
	defer l.mu.Unlock()
	tat, ok := l.tat[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - burst; wait > 0 {
		return false, wait, nil
	}
	if !ok && len(l.tat) >= l.max {
		l.shed(now)
	}
	l.tat[key] = tat.Add(interval)
	return true, 0, nil
}

// shed makes room: first the keys that have expired, then, if that was
// not enough, a tenth of the rest.
func (l *memLimiter) shed(now time.Time) {
	for k, t := range l.tat {
		if !t.After(now) {
			delete(l.tat, k)
		}
	}
	for k := range l.tat {
		if len(l.tat) < l.max-l.max/10 {
			break
		}
		delete(l.tat, k)
	}
}

// Allow counts one event of scope (such as "register") for key (an email
// address, say) and returns a *RetryAfterError wrapping ErrRateLimited
// when it goes over l. An empty key counts per client address instead
// (Config.ClientIP; IPv6 addresses by their /64, which one client can hold
// whole). Keys reach the Limiter only as keyed hashes, never as addresses.
func (m *Manager) Allow(r *http.Request, scope, key string, l Limit) error {
	if l.Count <= 0 || l.Per <= 0 {
		return nil
	}
	if key == "" {
		ip := m.cfg.clientIP(r)
		if !ip.IsValid() {
			return nil
		}
		if ip.Is6() && !ip.Is4In6() {
			if p, err := ip.Prefix(64); err == nil {
				ip = p.Addr()
			}
		}
		key = "ip\x00" + ip.String()
	} else {
		key = "key\x00" + strings.ToLower(key)
	}
	mac := hmac.New(sha256.New, m.protectKey)
	mac.Write([]byte("limit\x00" + scope + "\x00" + key))
	ok, retry, err := m.limiter.Allow(r.Context(), b64.EncodeToString(mac.Sum(nil)[:16]), l, m.cfg.Now())
	if err != nil {
		return fmt.Errorf("gatehouse: rate limit: %w", err)
	}
	if !ok {
		return &RetryAfterError{RetryAfter: retry, Err: ErrRateLimited}
	}
	return nil
}
