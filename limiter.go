package gatehouse

import (
	"context"
	"sync"
	"time"
)

// memLimiter is the default Limiter: a sliding log of event times per key,
// in process memory, swept as it goes.
type memLimiter struct {
	mu     sync.Mutex
	events map[string][]time.Time
	sweep  time.Time
}

func newMemLimiter() *memLimiter { return &memLimiter{events: map[string][]time.Time{}} }

func (l *memLimiter) Allow(_ context.Context, key string, lim Limit, now time.Time) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	since := now.Add(-lim.Per)
	if now.Sub(l.sweep) > lim.Per {
		for k, ev := range l.events {
			if len(ev) == 0 || !ev[len(ev)-1].After(since) {
				delete(l.events, k)
			}
		}
		l.sweep = now
	}
	ev := l.events[key]
	i := 0
	for i < len(ev) && !ev[i].After(since) {
		i++
	}
	ev = ev[i:]
	if len(ev) >= lim.Count {
		l.events[key] = ev
		return false, ev[0].Add(lim.Per).Sub(now), nil
	}
	l.events[key] = append(ev, now)
	return true, 0, nil
}
