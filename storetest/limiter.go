package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func needLimiter(s Stores) bool { return s.Limiter != nil }

// The GCRA contract: Count events at once, then one every Per/Count; Wait
// records nothing; Forget starts a key again; keys are apart.
func testLimiter(t *testing.T, s Stores) {
	ctx := context.Background()
	l := s.Limiter
	lim := gatehouse.Limit{Count: 5, Per: time.Hour}
	for i := range 5 {
		if ok, _, err := l.Allow(ctx, "a", lim, t0); !ok || err != nil {
			t.Fatalf("event %d of 5: ok %v, err %v", i+1, ok, err)
		}
	}
	if ok, retry, err := l.Allow(ctx, "a", lim, t0); ok || retry != 12*time.Minute || err != nil {
		t.Fatalf("6th event: ok %v, retry %v, err %v; want refused, 12m", ok, retry, err)
	}
	for range 3 { // Wait records nothing, however often it is asked
		if w, err := l.Wait(ctx, "a", lim, t0.Add(time.Minute)); w != 11*time.Minute || err != nil {
			t.Fatalf("Wait = %v, %v; want 11m", w, err)
		}
	}
	if w, err := l.Wait(ctx, "unknown", lim, t0); w != 0 || err != nil {
		t.Errorf("Wait(unknown key) = %v, %v", w, err)
	}
	if ok, _, _ := l.Allow(ctx, "b", lim, t0); !ok {
		t.Error("another key was refused")
	}
	// The window passes: one more, then refused again.
	if ok, _, _ := l.Allow(ctx, "a", lim, t0.Add(12*time.Minute)); !ok {
		t.Error("refused once the wait had passed")
	}
	if ok, _, _ := l.Allow(ctx, "a", lim, t0.Add(12*time.Minute)); ok {
		t.Error("a second event right after the wait was allowed")
	}
	if ok, _, _ := l.Allow(ctx, "a", lim, t0.Add(3*time.Hour)); !ok {
		t.Error("refused hours later")
	}
	for range 5 {
		l.Allow(ctx, "c", lim, t0)
	}
	if err := l.Forget(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if w, _ := l.Wait(ctx, "c", lim, t0); w != 0 {
		t.Errorf("after Forget: Wait = %v", w)
	}
	// Undo gives one event back.
	for range 5 {
		l.Allow(ctx, "d", lim, t0)
	}
	if err := l.Undo(ctx, "d", lim); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := l.Allow(ctx, "d", lim, t0); !ok {
		t.Error("after Undo, the event given back was not allowed again")
	}
	if ok, _, _ := l.Allow(ctx, "d", lim, t0); ok {
		t.Error("Undo gave back more than one event")
	}
	if err := l.Undo(ctx, "never seen", lim); err != nil {
		t.Errorf("Undo(unknown key) = %v", err)
	}
	if err := l.Forget(ctx, "never seen"); err != nil {
		t.Errorf("Forget(unknown key) = %v", err)
	}
	// Expired counts are swept with the rest.
	if sw, ok := l.(gatehouse.Sweeper); ok {
		if _, err := sw.DeleteExpired(ctx, t0.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if w, _ := l.Wait(ctx, "a", lim, t0); w != 0 {
			t.Errorf("after sweeping: Wait = %v", w)
		}
	}
}

// 500 concurrent events on one key are counted exactly: with room for 300,
// exactly 300 are allowed; with room for 500, all are, and the next is not.
func testLimiterConcurrent(t *testing.T, s Stores) {
	ctx := context.Background()
	for _, tc := range []struct {
		key   string
		count int
	}{{"three hundred", 300}, {"five hundred", 500}} {
		lim := gatehouse.Limit{Count: tc.count, Per: time.Hour}
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 500 {
			wg.Go(func() {
				ok, _, err := s.Limiter.Allow(ctx, tc.key, lim, t0)
				if err != nil {
					t.Errorf("Allow: %v", err)
				}
				if ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if n := int(allowed.Load()); n != tc.count {
			t.Errorf("room for %d: %d of 500 concurrent events allowed", tc.count, n)
		}
		if ok, _, _ := s.Limiter.Allow(ctx, tc.key, lim, t0); ok {
			t.Errorf("room for %d: one more allowed after the 500", tc.count)
		}
	}
}
