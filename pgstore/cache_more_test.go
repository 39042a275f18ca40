package pgstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/pgstore"
)

// A schema whose name has a space: its notifications ("schema id") must
// still be recognised, not left to UserCacheMaxAge.
func TestUserCacheSchemaWithASpace(t *testing.T) {
	dsn := testutil.ServerURL(t, "GATEHOUSE_POSTGRES_DSN")
	ctx := context.Background()
	admin, _ := sql.Open("pgx", dsn)
	defer admin.Close()
	b := make([]byte, 4)
	rand.Read(b)
	schema := "gh review " + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		t.Fatal(err)
	}
	defer admin.ExecContext(ctx, `DROP SCHEMA "`+schema+`" CASCADE`)
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", `"`+schema+`"`)
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx does not read + as a space
	db, _ := sql.Open("pgx", u.String())
	defer db.Close()
	s := pgstore.New(db)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	watching(t, s, u.String())
	usr := &gatehouse.User{Email: "x@example.com", Active: true, SecurityStamp: "s", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateUser(ctx, usr); err != nil {
		t.Fatal(err)
	}
	s.UserByID(ctx, usr.ID)
	s.UserByID(ctx, usr.ID)
	if _, err := db.ExecContext(ctx, "UPDATE gatehouse_users SET active = false WHERE id = $1", usr.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		got, _ := s.UserByID(ctx, usr.ID)
		if !got.Active {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("deactivation showed after %v (notification ignored; only the max age evicted)", d)
	}
}

// The instance that commits a change forgets the user itself: its very
// next lookup reads the change, without waiting for its own NOTIFY.
func TestUserCacheReadsItsOwnWrites(t *testing.T) {
	s, dsn := openStoreDSN(t)
	watching(t, s, dsn)
	ctx := context.Background()
	usr := &gatehouse.User{Email: "y@example.com", Active: true, SecurityStamp: "s", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateUser(ctx, usr); err != nil {
		t.Fatal(err)
	}
	stale := 0
	for i := range 50 {
		s.UserByID(ctx, usr.ID)
		stamp := "s" + string(rune('a'+i%26)) + time.Now().String()
		if err := s.UpdateUser(ctx, usr.ID, gatehouse.UserChange{SecurityStamp: &stamp, UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.UserByID(ctx, usr.ID); got.SecurityStamp != stamp {
			stale++
		}
	}
	if stale > 0 {
		t.Errorf("%d/50 lookups right after this instance's own committed UpdateUser returned the old user", stale)
	}
}
