package redisstore_test

import (
	"context"
	"database/sql"
	"log"

	_ "github.com/jackc/pgx/v5/stdlib" // the app picks the SQL driver
	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/pgstore"
	"github.com/gatehouse-auth/gatehouse/redisstore"
)

// Several instances on PostgreSQL and Redis: users, roles and tokens in
// PostgreSQL; sessions and the brute-force counts in Redis, shared by
// every instance. (It needs both servers, so this example is compiled but
// not run.)
func Example() {
	ctx := context.Background()
	db, err := sql.Open("pgx", "postgres://app@localhost/app")
	if err != nil {
		log.Fatal(err)
	}
	pg := pgstore.New(db)
	if err := pg.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	rs := redisstore.New(redis.NewClient(&redis.Options{Addr: "localhost:6379"}))
	_, err = gatehouse.New(gatehouse.Config{
		Users: pg, Tokens: pg, Roles: pg,
		Sessions:   rs, // list and revoke sessions from any instance
		Limiter:    rs, // a guess on one instance counts on all
		SecretKeys: [][]byte{[]byte("load 32+ secret bytes from your secret store")},
	})
	if err != nil {
		log.Fatal(err)
	}
}
