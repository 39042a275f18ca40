package pgstore_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// BenchmarkUserByID looks up random users among 1,000 and 1,000,000 (made
// by the benchmark): one indexed read, so the cost should stay flat.
func BenchmarkUserByID(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run("users="+strconv.Itoa(n), func(b *testing.B) {
			s := openStore(b)
			ctx := context.Background()
			start := time.Now()
			_, err := s.DB().ExecContext(ctx, `INSERT INTO gatehouse_users (email, email_key, security_stamp, active, created_at, updated_at)
				SELECT 'user' || x || '@example.com', 'user' || x || '@example.com', 'stamp' || x, true, now(), now()
				FROM generate_series(1, $1::int) AS x`, n)
			if err != nil {
				b.Fatal(err)
			}
			s.DB().ExecContext(ctx, `INSERT INTO gatehouse_user_roles (user_id, role) SELECT id, 'member' FROM gatehouse_users WHERE id % 10 = 0`)
			s.DB().ExecContext(ctx, `ANALYZE`)
			b.Logf("built %d users in %v", n, time.Since(start).Round(time.Millisecond))
			ids := make([]string, 4096)
			for i := range ids {
				ids[i] = strconv.Itoa(1 + rand.IntN(n))
			}
			b.ResetTimer()
			i := 0
			for b.Loop() {
				if _, err := s.UserByID(ctx, ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
