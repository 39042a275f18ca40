package gatehouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// hookedUsers is a UserStore whose calls can be made to fail or block.
type hookedUsers struct {
	gatehouse.UserStore
	byID    func(ctx context.Context, id string) (*gatehouse.User, error) // nil: the store's
	byEmail atomic.Int32                                                  // UserByEmail calls
}

func (h *hookedUsers) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	if h.byID != nil {
		return h.byID(ctx, id)
	}
	return h.UserStore.UserByID(ctx, id)
}

func (h *hookedUsers) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	h.byEmail.Add(1)
	return h.UserStore.UserByEmail(ctx, email)
}

// getJSON is a GET that tolerates 5xx answers, which are what these tests
// are about.
func getJSON(t *testing.T, c *client, path string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", c.e.srv.URL+path, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// A store that cannot serve, or does not answer, makes a 503 with
// Retry-After and the envelope, within the store deadline: never a 500,
// never a hang.
func TestStoreUnavailableIs503(t *testing.T) {
	t.Parallel()
	var mode atomic.Int32 // 0 ok, 1 unavailable, 2 frozen
	e := newEnv(t, func(c *gatehouse.Config) {
		store := c.Users
		c.StoreTimeout = 100 * time.Millisecond
		c.Users = &hookedUsers{UserStore: store, byID: func(ctx context.Context, id string) (*gatehouse.User, error) {
			switch mode.Load() {
			case 1:
				return nil, fmt.Errorf("fakestore: connection refused: %w", gatehouse.ErrUnavailable)
			case 2:
				<-ctx.Done() // a frozen database: only the deadline ends it
				return nil, ctx.Err()
			}
			return store.UserByID(ctx, id)
		}}
	})
	c := e.client()
	c.mustLogin(false)
	for _, m := range []int32{1, 2} {
		mode.Store(m)
		start := time.Now()
		status, h, body := getJSON(t, c, "/me")
		if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
			t.Errorf("mode %d: %d, Retry-After %q: %s", m, status, h.Get("Retry-After"), body)
		}
		var env struct {
			Meta     struct{ Code int }
			Response struct{ Errors []string }
		}
		if err := json.Unmarshal([]byte(body), &env); err != nil || env.Meta.Code != 503 || len(env.Response.Errors) != 1 ||
			strings.Contains(body, "fakestore") || strings.Contains(body, "deadline") {
			t.Errorf("mode %d: body %s", m, body)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("mode %d: answered after %v, past the store deadline", m, d)
		}
	}
	mode.Store(0)
	if status, _, body := getJSON(t, c, "/me"); status != 200 {
		t.Errorf("after recovery: %d %s", status, body)
	}
}

// countingHasher counts compares, to show what was not hashed.
type countingHasher struct {
	gatehouse.PasswordHasher
	compares atomic.Int32
}

func (h *countingHasher) Compare(hash, pw string) error {
	h.compares.Add(1)
	return h.PasswordHasher.Compare(hash, pw)
}

// A request whose client has gone is not hashed for.
func TestNoHashForAGoneClient(t *testing.T) {
	t.Parallel()
	h := &countingHasher{PasswordHasher: fastHasher}
	e := newEnv(t, func(c *gatehouse.Config) { c.Hasher = h })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := h.compares.Load()
	if _, err := e.m.VerifyPassword(ctx, "alice@example.com", alicePassword); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyPassword(gone) = %v, want context.Canceled", err)
	}
	if _, err := e.m.VerifyPassword(ctx, "nobody@example.com", "whatever pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyPassword(gone, unknown) = %v, want context.Canceled", err)
	}
	if n := h.compares.Load() - before; n != 0 {
		t.Errorf("%d hashes for gone clients", n)
	}
	if gatehouse.StatusCode(context.Canceled) != http.StatusServiceUnavailable {
		t.Errorf("StatusCode(Canceled) = %d", gatehouse.StatusCode(context.Canceled))
	}
}
