package gcra

import (
	"strconv"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	l := NewMemory(0)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if ok, _ := l.Allow("a", 5, time.Hour, now); !ok {
			t.Fatalf("event %d of 5 refused", i+1)
		}
	}
	ok, retry := l.Allow("a", 5, time.Hour, now)
	if ok || retry != 12*time.Minute {
		t.Fatalf("6th event: ok %v, retry %v; want refused, 12m", ok, retry)
	}
	if w := l.Wait("a", 5, time.Hour, now); w != 12*time.Minute {
		t.Errorf("Wait = %v, want 12m", w)
	}
	if ok, _ := l.Allow("b", 5, time.Hour, now); !ok {
		t.Error("another key was refused")
	}
	if ok, _ := l.Allow("a", 5, time.Hour, now.Add(12*time.Minute)); !ok {
		t.Error("refused after the retry time")
	}
	if ok, _ := l.Allow("a", 5, time.Hour, now.Add(12*time.Minute)); ok {
		t.Error("a second event right after the retry time was allowed")
	}
	if ok, _ := l.Allow("a", 5, time.Hour, now.Add(3*time.Hour)); !ok {
		t.Error("refused hours later")
	}
	for range 5 {
		l.Allow("c", 5, time.Hour, now)
	}
	l.Forget("c")
	if w := l.Wait("c", 5, time.Hour, now); w != 0 {
		t.Errorf("after Forget: wait %v", w)
	}
	if n := l.DeleteExpired(now.Add(10 * time.Hour)); n != 2 || l.Len() != 0 {
		t.Errorf("DeleteExpired = %d, %d left", n, l.Len())
	}
}

// A flood of a million distinct keys cannot grow the limiter past its
// bound.
func TestMemoryBounded(t *testing.T) {
	l := NewMemory(1000)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1_000_000 {
		if ok, _ := l.Allow(strconv.Itoa(i), 5, time.Hour, now); !ok {
			t.Fatalf("key %d refused", i)
		}
		if l.Len() > 1000 {
			t.Fatalf("%d keys kept, bound 1000", l.Len())
		}
	}
	// Expired keys go first: a later flood keeps the limiter small.
	for i := range 2000 {
		l.Allow("late"+strconv.Itoa(i), 5, time.Hour, now.Add(2*time.Hour))
	}
	if l.Len() > 1000 {
		t.Fatalf("%d keys kept, bound 1000", l.Len())
	}
}
