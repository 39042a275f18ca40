package password

// Migration returns an Upgrade that hashes new passwords with current (nil
// means Argon2id{}) and verifies the hashes of every framework this package
// reads, at their default caps, so that each user's next login stores a
// current hash (NeedsRehash is true for all of them):
//
//   - Werkzeug: [WerkzeugScrypt], [WerkzeugPBKDF2];
//   - Django: [DjangoPBKDF2], [DjangoArgon2], [DjangoBcrypt];
//   - Devise, and bcrypt hashes from anywhere: Bcrypt{TruncateLong: true};
//   - passlib and Flask-Security: [Argon2id], [PBKDF2] (sha512, sha256,
//     sha1), [SHACrypt] ($6$, $5$).
//
// Every scheme identifies its own format, so the order matters only for
// bare bcrypt hashes. For Devise, put Devise{Pepper: ...} first (with the
// pepper, if the application set one) so its hashes are verified as Devise
// does:
//
//	h := password.Migration(nil)
//	h.Legacy = append([]password.Scheme{password.Devise{Pepper: pepper}}, h.Legacy...)
//
// For a Flask-Security application set h.FlaskSecurity to its
// SECURITY_PASSWORD_SALT. Wrap the result in [Limit]: at their caps these
// schemes cost up to 18 times the default Argon2id verify (see the
// package documentation).
func Migration(current Scheme) Upgrade {
	return Upgrade{
		Current: current,
		Legacy: []Scheme{
			WerkzeugScrypt{}, WerkzeugPBKDF2{},
			DjangoPBKDF2{}, DjangoArgon2{}, DjangoBcrypt{},
			Argon2id{}, Bcrypt{TruncateLong: true},
			PBKDF2{Digest: "sha512"}, PBKDF2{Digest: "sha256"}, PBKDF2{Digest: "sha1"},
			SHACrypt{Bits: 512}, SHACrypt{Bits: 256},
		},
	}
}
