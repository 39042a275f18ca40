package password

import (
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Each scheme at its default parameters.
func BenchmarkHash(b *testing.B) {
	for _, s := range []Scheme{Argon2id{}, Bcrypt{}, PBKDF2{}, PBKDF2{Digest: "sha256"}, SHACrypt{}, SHACrypt{Bits: 256}} {
		b.Run(s.Name(), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.HashBytes([]byte("correct horse battery staple")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompare(b *testing.B) {
	for _, s := range []Scheme{Argon2id{}, Bcrypt{}, PBKDF2{}, PBKDF2{Digest: "sha256"}, SHACrypt{}, SHACrypt{Bits: 256}} {
		h := Upgrade{Current: s}
		hash, _ := h.Hash("correct horse battery staple")
		b.Run(s.Name(), func(b *testing.B) {
			for b.Loop() {
				if err := h.Compare(hash, "correct horse battery staple"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWrapperOverhead measures Upgrade.Compare against the bare
// x/crypto call on the same hash, interleaved in one loop so machine noise
// hits both alike, and reports wrapper/raw as a ratio (target: <= 1.05).
func BenchmarkWrapperOverhead(b *testing.B) {
	const pw = "correct horse battery staple"
	b.Run("argon2id", func(b *testing.B) {
		h := Upgrade{}
		hash, _ := h.Hash(pw)
		parsed, _ := parseArgon2(hash)
		raw := func() {
			argon2.IDKey([]byte(pw), parsed.salt, parsed.t, parsed.m, parsed.p, uint32(len(parsed.key)))
		}
		ratio(b, raw, func() { h.Compare(hash, pw) })
	})
	b.Run("bcrypt", func(b *testing.B) {
		h := Upgrade{Current: Bcrypt{}}
		hash, _ := h.Hash(pw)
		raw := func() { bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) }
		ratio(b, raw, func() { h.Compare(hash, pw) })
	})
}

func ratio(b *testing.B, raw, wrapped func()) {
	var tRaw, tWrapped time.Duration
	for b.Loop() {
		t0 := time.Now()
		raw()
		t1 := time.Now()
		wrapped()
		tWrapped += time.Since(t1)
		tRaw += t1.Sub(t0)
	}
	b.ReportMetric(float64(tWrapped)/float64(tRaw), "wrapper/raw")
}
