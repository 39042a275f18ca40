package password

import (
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
