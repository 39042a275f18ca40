package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

func needFactors(s Stores) bool { return s.Factors != nil && s.Users != nil }

// Factors round-trip; names are unique per user and kind; deleting some,
// all, or the user takes them; UseFactor only moves the counter forward.
func testFactors(t *testing.T, s Stores) {
	ctx := context.Background()
	fs := s.Factors
	u := mustCreate(t, s.Users, newUser("factors@example.com"))
	other := mustCreate(t, s.Users, newUser("other-factors@example.com"))
	if got, err := fs.Factors(ctx, u.ID); err != nil || len(got) != 0 {
		t.Fatalf("Factors(none) = %v, %v", got, err)
	}
	totp := &mfa.Factor{UserID: u.ID, Kind: mfa.KindAuthenticator, Data: []byte{1, 2, 3}, CreatedAt: t0}
	key := &mfa.Factor{UserID: u.ID, Kind: mfa.KindWebAuthn, Name: "laptop", Data: []byte(`{"id":"x"}`), Counter: 4, CreatedAt: t0.Add(time.Second)}
	for _, f := range []*mfa.Factor{totp, key, {UserID: other.ID, Kind: mfa.KindWebAuthn, Name: "laptop", Data: []byte("o"), CreatedAt: t0}} {
		if err := fs.AddFactor(ctx, f); err != nil || f.ID == "" {
			t.Fatalf("AddFactor(%s %s) = %v, ID %q", f.Kind, f.Name, err, f.ID)
		}
	}
	if err := fs.AddFactor(ctx, &mfa.Factor{UserID: u.ID, Kind: mfa.KindWebAuthn, Name: "laptop", Data: []byte("d"), CreatedAt: t0}); !errors.Is(err, gatehouse.ErrDuplicate) {
		t.Errorf("a second passkey named laptop: %v, want ErrDuplicate", err)
	}
	for range 2 { // unnamed factors of one kind may repeat (recovery codes)
		if err := fs.AddFactor(ctx, &mfa.Factor{UserID: u.ID, Kind: mfa.KindRecovery, Data: []byte("h"), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := fs.Factors(ctx, u.ID)
	if err != nil || len(got) != 4 {
		t.Fatalf("Factors = %d, %v; want 4", len(got), err)
	}
	g := got[1]
	if g.ID != key.ID || g.UserID != u.ID || g.Kind != mfa.KindWebAuthn || g.Name != "laptop" || string(g.Data) != `{"id":"x"}` ||
		g.Counter != 4 || !g.CreatedAt.Equal(key.CreatedAt) || !g.UsedAt.IsZero() || got[0].ID != totp.ID {
		t.Errorf("Factors[1] = %+v, want %+v (oldest first)", g, key)
	}
	// UseFactor: forward only.
	if err := fs.UseFactor(ctx, u.ID, key.ID, 5, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []int64{5, 3} {
		if err := fs.UseFactor(ctx, u.ID, key.ID, c, t0.Add(2*time.Hour)); !errors.Is(err, gatehouse.ErrConflict) {
			t.Errorf("UseFactor(counter %d after 5) = %v, want ErrConflict", c, err)
		}
	}
	if err := fs.UseFactor(ctx, other.ID, key.ID, 9, t0); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("UseFactor of another user's factor = %v, want ErrNotFound", err)
	}
	got, _ = fs.Factors(ctx, u.ID)
	if i := slices.IndexFunc(got, func(f *mfa.Factor) bool { return f.ID == key.ID }); i < 0 || got[i].Counter != 5 || !got[i].UsedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after UseFactor: %+v", got)
	}
	// Counter 0: a use of a factor that keeps no count, noted, never a
	// conflict, the counter untouched.
	for range 2 {
		if err := fs.UseFactor(ctx, u.ID, key.ID, 0, t0.Add(3*time.Hour)); err != nil {
			t.Errorf("UseFactor(counter 0) = %v, want nil", err)
		}
	}
	if err := fs.UseFactor(ctx, other.ID, key.ID, 0, t0); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("UseFactor(counter 0) of another user's factor = %v, want ErrNotFound", err)
	}
	got, _ = fs.Factors(ctx, u.ID)
	if i := slices.IndexFunc(got, func(f *mfa.Factor) bool { return f.ID == key.ID }); i < 0 || got[i].Counter != 5 || !got[i].UsedAt.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("after UseFactor(counter 0): %+v", got)
	}
	// Delete some, then all.
	if err := fs.DeleteFactors(ctx, u.ID, totp.ID, "999999"); err != nil {
		t.Fatal(err)
	}
	if got, _ := fs.Factors(ctx, u.ID); len(got) != 3 || slices.ContainsFunc(got, func(f *mfa.Factor) bool { return f.ID == totp.ID }) {
		t.Errorf("after deleting one: %+v", got)
	}
	if err := fs.DeleteFactors(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := fs.Factors(ctx, u.ID); len(got) != 0 {
		t.Errorf("after deleting all: %+v", got)
	}
	if got, _ := fs.Factors(ctx, other.ID); len(got) != 1 {
		t.Errorf("another user's factor went too: %+v", got)
	}
	// Deleting the user takes its factors.
	if ud, ok := s.Users.(admin.UserStore); ok {
		if err := ud.DeleteUser(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := fs.Factors(ctx, other.ID); len(got) != 0 {
			t.Errorf("a deleted user's factors survived: %+v", got)
		}
	}
}

// 50 concurrent uses of one recovery code: exactly one succeeds.
func testFactorUsedOnce(t *testing.T, s Stores) {
	ctx := context.Background()
	u := mustCreate(t, s.Users, newUser("once@example.com"))
	f := &mfa.Factor{UserID: u.ID, Kind: mfa.KindRecovery, Data: []byte("h"), CreatedAt: t0}
	if err := s.Factors.AddFactor(ctx, f); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			switch err := s.Factors.UseFactor(ctx, u.ID, f.ID, 1, t0); {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, gatehouse.ErrConflict):
				t.Errorf("UseFactor: %v", err)
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d of 50 concurrent uses of one code succeeded, want 1", n)
	}
}
