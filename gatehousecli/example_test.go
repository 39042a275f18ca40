package gatehousecli_test

import (
	"context"
	"os"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/gatehousecli"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

// Embedding the commands in an application's own binary, over the stores
// it already has.
func ExampleRun() {
	store := memstore.New()
	m, _ := gatehouse.New(gatehouse.Config{Users: store, Roles: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()}})
	ctx := context.Background()
	stdio := func(in string) gatehousecli.IO {
		return gatehousecli.IO{In: strings.NewReader(in), Out: os.Stdout, Err: os.Stdout}
	}
	gatehousecli.Run(ctx, m, []string{"users", "create", "ada@example.com", "--password-stdin"}, stdio("correct horse battery\n"))
	gatehousecli.Run(ctx, m, []string{"roles", "create", "admin"}, stdio(""))
	gatehousecli.Run(ctx, m, []string{"roles", "add", "ada@example.com", "admin"}, stdio(""))
	// Output:
	// created user ada@example.com (id 1)
	// created role admin
	// gave ada@example.com the role admin
}
