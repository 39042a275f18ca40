package mongostore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/mongostore"
	"github.com/gatehouse-auth/gatehouse/storetest"
)

// openStore returns a store in a database of its own, dropped at
// cleanup. It needs GATEHOUSE_MONGO_URL (scripts/test.sh starts FerretDB
// and sets it); without it the test is skipped, except in CI (CI=true),
// where a skipped MongoDB suite is a failure.
func openStore(t testing.TB) *mongostore.Store {
	t.Helper()
	s, _ := storeAndDB(t)
	return s
}

// storeAndDB is openStore, and the store's database, for tests that look
// at or write the collections themselves.
func storeAndDB(t testing.TB) (*mongostore.Store, *mongo.Database) {
	t.Helper()
	uri := testutil.ServerURL(t, "GATEHOUSE_MONGO_URL")
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetMaxPoolSize(64))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	db := client.Database("gh_test_" + hex.EncodeToString(b))
	t.Cleanup(func() {
		db.Drop(context.Background())
		client.Disconnect(context.Background())
	})
	s := mongostore.New(db)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		s := openStore(t)
		return storetest.Stores{Users: s, Tokens: s, Sessions: s, Roles: s}
	})
}

func TestMigrateTwice(t *testing.T) {
	s := openStore(t)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
}

// A server that cannot be reached is ErrUnavailable (gatehouse answers
// 503), within the caller's deadline.
func TestServerDown(t *testing.T) {
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://127.0.0.1:1/").SetServerSelectionTimeout(300 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	s := mongostore.New(client.Database("x"))
	if _, err := s.UserByID(context.Background(), "1"); !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Errorf("UserByID with the server down: %v, want ErrUnavailable", err)
	}
}
