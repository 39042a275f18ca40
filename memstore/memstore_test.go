package memstore_test

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		s := memstore.New()
		return storetest.Stores{Users: s, Tokens: s, Sessions: s, Roles: s, Outbox: s, Limiter: s, Factors: s}
	})
}
