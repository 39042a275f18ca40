package gatehousetest_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/gatehousetest"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

// A handler test in two lines: log the user into the request, serve it.
func ExampleLogin() {
	store := memstore.New()
	auth, err := gatehouse.New(gatehouse.Config{Users: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	u := &gatehouse.User{Email: "ada@example.com", Active: true}
	store.CreateUser(context.Background(), u)
	account := auth.Authenticate(auth.RequireFresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		io.WriteString(w, "hello "+u.Email)
	})))

	t := &testing.T{} // in a test, the test's own t
	for _, o := range []gatehousetest.Options{{}, {NotFresh: true}} {
		r := httptest.NewRequest("GET", "https://example.com/account", nil)
		gatehousetest.Login(t, auth, r, u, o)
		w := httptest.NewRecorder()
		account.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 hello ada@example.com
	// 401 You must re-authenticate to access this endpoint
}
