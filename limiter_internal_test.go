package gatehouse

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func TestMemLimiter(t *testing.T) {
	l := newMemLimiter()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim := Limit{Count: 5, Per: time.Hour}
	for i := range 5 {
		if ok, _, _ := l.Allow(ctx, "a", lim, now); !ok {
			t.Fatalf("event %d of 5 refused", i+1)
		}
	}
	ok, retry, _ := l.Allow(ctx, "a", lim, now)
	if ok || retry != 12*time.Minute {
		t.Fatalf("6th event: ok %v, retry %v; want refused, 12m", ok, retry)
	}
	if ok, _, _ := l.Allow(ctx, "b", lim, now); !ok {
		t.Error("another key was refused")
	}
	if ok, _, _ := l.Allow(ctx, "a", lim, now.Add(12*time.Minute)); !ok {
		t.Error("refused after the retry time")
	}
	if ok, _, _ := l.Allow(ctx, "a", lim, now.Add(12*time.Minute)); ok {
		t.Error("a second event right after the retry time was allowed")
	}
	if ok, _, _ := l.Allow(ctx, "a", lim, now.Add(3*time.Hour)); !ok {
		t.Error("refused hours later")
	}
}

// A flood of distinct keys cannot grow the limiter past its bound.
func TestMemLimiterBounded(t *testing.T) {
	l := newMemLimiter()
	l.max = 1000
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim := Limit{Count: 5, Per: time.Hour}
	for i := range 20_000 {
		if ok, _, _ := l.Allow(ctx, strconv.Itoa(i), lim, now); !ok {
			t.Fatalf("key %d refused", i)
		}
		if len(l.tat) > l.max {
			t.Fatalf("%d keys kept, bound %d", len(l.tat), l.max)
		}
	}
	// Expired keys go first: a later flood keeps the limiter small.
	for i := range 2000 {
		l.Allow(ctx, "late"+strconv.Itoa(i), lim, now.Add(2*time.Hour))
	}
	if len(l.tat) > l.max {
		t.Fatalf("%d keys kept, bound %d", len(l.tat), l.max)
	}
}
