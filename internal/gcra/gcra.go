// Package gcra is the generic cell rate algorithm behind gatehouse's rate
// limits and brute-force throttles, and a bounded in-memory store of it.
//
// A key keeps one time, its theoretical arrival time (TAT). A limit of
// Count events per Per lets Count events come at once, then one every
// Per/Count: an event at now is allowed while TAT - now <= Per - Per/Count,
// and moves TAT to max(TAT, now) + Per/Count. A key whose TAT has passed
// holds nothing worth keeping.
package gcra

import (
	"sync"
	"time"
)

// Step returns the interval one event adds and the burst tolerance of a
// limit of count events per per.
func Step(count int, per time.Duration) (interval, burst time.Duration) {
	interval = per / time.Duration(count)
	return interval, per - interval
}

// Wait is how long after now the next event is allowed, for a key whose
// TAT is tat (0: now).
func Wait(tat, now time.Time, count int, per time.Duration) time.Duration {
	if !tat.After(now) {
		return 0
	}
	_, burst := Step(count, per)
	return max(tat.Sub(now)-burst, 0)
}

// Next is the TAT after an event at now for a key whose TAT is tat.
func Next(tat, now time.Time, count int, per time.Duration) time.Time {
	interval, _ := Step(count, per)
	if tat.Before(now) {
		tat = now
	}
	return tat.Add(interval)
}

// DefaultKeys bounds a Memory made with NewMemory(0): about 100 bytes a
// key, 10 MB in all.
const DefaultKeys = 100_000

// Memory keeps keys' TATs in process memory, at most a fixed number of
// keys: when full, the expired ones go first, then, if that was not
// enough, a tenth of the rest (those keys start again from nothing, which
// errs on the side of letting an event through rather than refusing
// everyone). It is safe for concurrent use.
type Memory struct {
	mu  sync.Mutex
	tat map[string]time.Time
	max int
}

// NewMemory returns an empty Memory keeping at most maxKeys keys
// (DefaultKeys if maxKeys <= 0).
func NewMemory(maxKeys int) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultKeys
	}
	return &Memory{tat: map[string]time.Time{}, max: maxKeys}
}

// Allow records an event for key at now if the limit allows it, and
// otherwise reports how long until it would.
func (m *Memory) Allow(key string, count int, per time.Duration, now time.Time) (bool, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tat, ok := m.tat[key]
	if wait := Wait(tat, now, count, per); wait > 0 {
		return false, wait
	}
	if !ok && len(m.tat) >= m.max {
		m.shed(now)
	}
	m.tat[key] = Next(tat, now, count, per)
	return true, 0
}

// Undo gives back one event recorded for key under the limit (an attempt
// that turned out not to count).
func (m *Memory) Undo(key string, count int, per time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if tat, ok := m.tat[key]; ok {
		interval, _ := Step(count, per)
		m.tat[key] = tat.Add(-interval)
	}
}

// Wait reports how long until key may have another event (0: now),
// recording nothing.
func (m *Memory) Wait(key string, count int, per time.Duration, now time.Time) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Wait(m.tat[key], now, count, per)
}

// Forget drops key: its next event starts from nothing.
func (m *Memory) Forget(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tat, key)
}

// Len reports how many keys are kept.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

// DeleteExpired drops the keys whose TAT is before the given time and
// reports how many went.
func (m *Memory) DeleteExpired(before time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.tat)
	for k, t := range m.tat {
		if t.Before(before) {
			delete(m.tat, k)
		}
	}
	return n - len(m.tat)
}

// shed makes room: first the keys that have expired, then, if that was
// not enough, a tenth of the rest.
func (m *Memory) shed(now time.Time) {
	for k, t := range m.tat {
		if !t.After(now) {
			delete(m.tat, k)
		}
	}
	for k := range m.tat {
		if len(m.tat) < m.max-m.max/10 {
			break
		}
		delete(m.tat, k)
	}
}
