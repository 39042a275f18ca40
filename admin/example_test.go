package admin_test

import (
	"context"
	"fmt"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

func Example() {
	store := memstore.New()
	auth, err := gatehouse.New(gatehouse.Config{Users: store, Roles: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	a := admin.New(auth)
	a.CreateRole(ctx, &gatehouse.Role{Name: "editor", Permissions: []string{"posts:write"}})
	u := &gatehouse.User{Email: "ada@example.com", Active: true}
	auth.CreateUser(ctx, u, "correct horse battery")
	a.AddRole(ctx, u, "editor")
	perms, _ := a.Permissions(ctx, u)
	fmt.Println(u.Roles, perms)
	a.SetActive(ctx, u, false) // her sessions end at once
	users, _ := a.ListUsers(ctx, admin.Filter{Role: "editor"})
	fmt.Println(len(users), users[0].Active)
	// Output:
	// [editor] [posts:write]
	// 1 false
}
