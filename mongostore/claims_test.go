package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gatehouse-auth/gatehouse"
)

// A claim left by an instance that died after claiming (its time an hour
// ahead, by a clock that ran fast) is cleared once a waiting change has
// seen it stand for claimTimeout on its own clock: the deactivation is
// written within the request's deadline.
func TestStaleClaim(t *testing.T) {
	s, db := storeAndDB(t)
	ctx := context.Background()
	u := &gatehouse.User{Email: "c@example.com", Active: true, SecurityStamp: "s", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	// The claim of version 2 by a process whose clock is an hour ahead, which died.
	db.Collection("gatehouse_user_versions").InsertOne(ctx, bson.D{{Key: "_id", Value: u.ID + ":2"}, {Key: "at", Value: time.Now().Add(time.Hour).UnixMicro()}})
	off := false
	ctx3, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	start := time.Now()
	err := s.UpdateUser(ctx3, u.ID, gatehouse.UserChange{Active: &off, UpdatedAt: time.Now()})
	if err != nil {
		t.Errorf("deactivation not written after %v: %v", time.Since(start).Round(time.Millisecond), err)
	}
}

// The first users created concurrently on an empty database all get in:
// Migrate makes the ID counter, so no sign-up is refused as a taken
// address because two upserts raced to make it.
func TestFirstConcurrentCreates(t *testing.T) {
	for round := range 5 {
		s, _ := storeAndDB(t)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u := &gatehouse.User{Email: fmt.Sprintf("r%d-%d@example.com", round, i), Active: true, SecurityStamp: "s", CreatedAt: time.Now(), UpdatedAt: time.Now()}
				if err := s.CreateUser(context.Background(), u); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: distinct new address refused: %v (ErrDuplicate: %v)", round, err, errors.Is(err, gatehouse.ErrDuplicate))
		}
	}
}
