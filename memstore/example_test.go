package memstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

func Example() {
	ctx := context.Background()
	s := memstore.New()
	u := &gatehouse.User{Email: "Ada@Example.com", Active: true}
	if err := s.CreateUser(ctx, u); err != nil {
		panic(err)
	}
	found, _ := s.UserByEmail(ctx, "ada@example.com") // case-insensitive
	fmt.Println(found.ID == u.ID)
	err := s.CreateUser(ctx, &gatehouse.User{Email: "ADA@example.com"})
	fmt.Println(errors.Is(err, gatehouse.ErrDuplicate))
	// Output:
	// true
	// true
}
