package password

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzParseHash feeds arbitrary hash strings to every parser. They must
// never panic, never accept a hash they cannot read, and never do costly
// work: parameters are capped before hashing (small caps keep the fuzzer
// fast).
func FuzzParseHash(f *testing.F) {
	for _, seed := range []string{
		"$argon2id$v=19$m=256,t=1,p=8$7j3HGMNYS6m11to7J4Rwzg$dGmTkaN1uD5paTUS6trCvA",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"$2b$04$gS.Gxzr26RfxGbTf7TZq8O03q00/S2shBzkGDAJPl8aKgmvDn5aYK",
		"$pbkdf2-sha512$1000$rXVOCUHIWUvpnTNmDOH8fw$XiYXqlep6ArLYYRIz5Ty9TmMQCWhbZ7ziV8DhMk0zgtZSEzVso8Cm9RNu7AMYd80injDGOT0rveyfB/eooJdjQ",
		"$pbkdf2-sha256$1000$yJkTIiRkTOldC.E8JwQAwA$KSlayVMExw92LvIk2",
		"$6$rounds=1000$uOhphBrbY7xYUuAO$XW2OCKVITws6gF6nSijcf4FSMN28",
		"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
		"plain", "", "$",
	} {
		f.Add(seed, "password")
	}
	schemes := []Scheme{
		Argon2id{Memory: 64, Time: 1, MaxMemory: 1024, MaxTime: 4},
		Bcrypt{Cost: 4, MaxCost: 5},
		PBKDF2{Rounds: 1000, MaxRounds: 5000}, PBKDF2{Digest: "sha256", Rounds: 1000, MaxRounds: 5000},
		PBKDF2{Digest: "sha1", Rounds: 1000, MaxRounds: 5000},
		SHACrypt{Rounds: 1000, MaxRounds: 5000}, SHACrypt{Bits: 256, Rounds: 1000, MaxRounds: 5000},
	}
	f.Fuzz(func(t *testing.T, hash, pw string) {
		for _, s := range schemes {
			s.NeedsRehash(hash)
			if !s.Identify(hash) {
				continue
			}
			s.CompareBytes(hash, []byte(pw))
		}
		(Upgrade{Legacy: schemes}).NeedsRehash(hash)
	})
}

// fuzzScheme fuzzes one scheme's parser with hashes and passwords, seeded
// with the migration vectors that it identifies and with fresh hashes of
// its own. It must never panic nor accept a hash it does not identify, and
// what HashBytes writes, CompareBytes and NeedsRehash must read back (if
// roundTrip: bcrypt is too slow for that on every input, and
// TestMigrationRehash covers it). s should have small parameters and caps,
// to keep the fuzzer fast.
func fuzzScheme(f *testing.F, s Scheme, roundTrip bool, seeds ...string) {
	for _, v := range migrationVectors(f) {
		if s.Identify(v.Hash) {
			f.Add(v.Hash, v.Password)
		}
	}
	for _, pw := range []string{"password", "cafe\u0301", "パスワードです", ""} {
		h, err := s.HashBytes([]byte(pw))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(h, pw)
	}
	for _, seed := range seeds {
		f.Add(seed, "password")
	}
	f.Fuzz(func(t *testing.T, hash, pw string) {
		s.NeedsRehash(hash)
		if err := s.CompareBytes(hash, []byte(pw)); err == nil && !s.Identify(hash) {
			t.Fatalf("%s accepted %q, which it does not identify", s.Name(), hash)
		}
		if !roundTrip || len(pw) > 72 {
			return
		}
		h, err := s.HashBytes([]byte(pw))
		if err != nil {
			t.Fatalf("HashBytes(%q) = %v", pw, err)
		}
		if !s.Identify(h) || s.NeedsRehash(h) {
			t.Fatalf("own hash %q: Identify false or NeedsRehash true", h)
		}
		if err := s.CompareBytes(h, []byte(pw)); err != nil {
			t.Fatalf("CompareBytes(own hash %q, %q) = %v", h, pw, err)
		}
		// Another password, differing within bcrypt's first 72 bytes.
		wrong := []byte("x")
		if pw != "" {
			wrong = []byte(pw)
			wrong[0] ^= 1
		}
		if err := s.CompareBytes(h, wrong); !errors.Is(err, ErrMismatch) {
			t.Fatalf("CompareBytes(own hash of %q, %q) = %v", pw, wrong, err)
		}
	})
}

func FuzzWerkzeugScrypt(f *testing.F) {
	fuzzScheme(f, WerkzeugScrypt{N: 16, R: 1, P: 1, MaxWork: 256}, true,
		"scrypt$salt$00", "scrypt:16:1:1$$", "scrypt:4294967296:1:1$s$00", "scrypt:2:1073741823:1$s$00")
}

func FuzzWerkzeugPBKDF2(f *testing.F) {
	fuzzScheme(f, WerkzeugPBKDF2{Iterations: 10, DefaultIterations: 10, MaxIterations: 100}, true,
		"pbkdf2$salt$00", "pbkdf2:sha1$s$00", "pbkdf2:sha512:$s$00", "pbkdf2:sha256:9999999999$s$00")
}

func FuzzDjangoPBKDF2(f *testing.F) {
	fuzzScheme(f, DjangoPBKDF2{Iterations: 10, MaxIterations: 100}, true,
		"pbkdf2_sha256$10$salt$", "pbkdf2_sha1$10$$$", "pbkdf2_sha256$01$s$AAAA")
}

func FuzzDjangoArgon2(f *testing.F) {
	fuzzScheme(f, DjangoArgon2{Memory: 32, Time: 1, Threads: 1, MaxMemory: 256, MaxTime: 2}, true,
		"argon2$argon2i$v=19$m=32,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "argon2$argon2id$v=19$m=32,t=1,p=4$c2FsdHNhbHQ$aGFzaA")
}

func FuzzDjangoBcrypt(f *testing.F) {
	fuzzScheme(f, DjangoBcrypt{Cost: 4, MaxCost: 5}, false, "bcrypt$$2b$04$", "bcrypt_sha256$$2a$05$")
}

func FuzzDevise(f *testing.F) {
	fuzzScheme(f, Devise{Cost: 4, MaxCost: 5, Pepper: "a-devise-pepper"}, false, "$2a$04$", "$2y$05$")
}

// FuzzValidateFor feeds arbitrary passwords and account words to the
// policy: it must never panic, Validate must agree with ValidateFor without
// words, and a password accepted for an account is never one of its words.
func FuzzValidateFor(f *testing.F) {
	for _, seed := range [][2]string{
		{"Alice2024!", "alice@example.com"}, {"ｐａｓｓｗｏｒｄ１２３", ""}, {"\uFDFA\uFDFA", "x"},
		{"alicealice", "@"}, {"correct horse battery staple", "a+b@c"}, {"\u212Aatherine1", "katherine"},
	} {
		f.Add(seed[0], seed[1])
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, pw, word string) {
		var p Policy
		err := p.ValidateFor(ctx, pw, word)
		if err == nil && fold(pw) == strings.TrimSpace(fold(word)) && strings.TrimSpace(fold(word)) != "" {
			t.Fatalf("ValidateFor(%q, %q) = nil for the word itself", pw, word)
		}
		if e1, e2 := p.Validate(ctx, pw), p.ValidateFor(ctx, pw); fmt.Sprint(e1) != fmt.Sprint(e2) {
			t.Fatalf("Validate = %v, ValidateFor = %v", e1, e2)
		}
		IsCommon(pw)
	})
}
