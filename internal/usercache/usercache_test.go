package usercache

import (
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func TestPutAfterEviction(t *testing.T) {
	u := &gatehouse.User{ID: "1", Email: "old@example.com"}
	for _, tc := range []struct {
		name string
		// between runs after the generation is taken, before Put
		between func(c *Cache)
		kept    bool
	}{
		{"nothing changed", func(*Cache) {}, true},
		{"another user changed", func(c *Cache) { c.Evict([]string{"2"}, false) }, true},
		{"this user changed", func(c *Cache) { c.Evict([]string{"1"}, false) }, false},
		{"everyone changed", func(c *Cache) { c.Evict(nil, true) }, false},
		{"more changes than recorded", func(c *Cache) {
			for i := range 600 {
				c.Evict([]string{strconv.Itoa(1000 + i)}, false)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(0, 0)
			gen := c.Gen()
			tc.between(c)
			c.Put("1", gen, time.Now(), u)
			if got := c.Get("1") != nil; got != tc.kept {
				t.Errorf("kept %v, want %v", got, tc.kept)
			}
		})
	}
}

func TestBoundedAndCopies(t *testing.T) {
	c := New(10, 0)
	for i := range 100 {
		c.Put(strconv.Itoa(i), c.Gen(), time.Now(), &gatehouse.User{ID: strconv.Itoa(i), Roles: []string{"r"}})
	}
	if n := len(c.users); n > 10 {
		t.Errorf("%d users kept, bound 10", n)
	}
	c.Put("x", c.Gen(), time.Now(), &gatehouse.User{ID: "x", Roles: []string{"admin"}})
	got := c.Get("x")
	got.Roles[0] = "root"
	if again := c.Get("x"); again.Roles[0] != "admin" {
		t.Error("Get handed out the cache's own user")
	}
}

func TestMaxAge(t *testing.T) {
	c := New(0, 50*time.Millisecond)
	c.Put("1", c.Gen(), time.Now(), &gatehouse.User{ID: "1"})
	if c.Get("1") == nil {
		t.Fatal("not kept")
	}
	time.Sleep(60 * time.Millisecond)
	if c.Get("1") != nil {
		t.Error("kept past its age")
	}
}
