package storetest_test

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/storetest"
)

// A store's conformance test is one call; open returns fresh stores for
// each contract. (Shown as an example; it runs in memstore's tests.)
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) storetest.Stores {
			s := memstore.New()
			return storetest.Stores{Users: s, Tokens: s, Sessions: s, Roles: s, Outbox: s}
		})
	}
}
