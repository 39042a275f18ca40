package mongostore_test

import (
	"context"
	"log"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mongostore"
)

// Wiring MongoDB in (it needs a server, so this example is compiled but
// not run).
func Example() {
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://localhost:27017"))
	if err != nil {
		log.Fatal(err)
	}
	store := mongostore.New(client.Database("app"))
	if err := store.Migrate(ctx); err != nil { // the indexes
		log.Fatal(err)
	}
	_, err = gatehouse.New(gatehouse.Config{
		Users: store, Tokens: store, Roles: store,
		Sessions:   store, // server-side sessions: list and revoke them one by one
		SecretKeys: [][]byte{[]byte("load 32+ secret bytes from your secret store")},
	})
	if err != nil {
		log.Fatal(err)
	}
}
