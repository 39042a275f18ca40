// Package password hashes and verifies passwords, safe by default, and reads
// the hashes that passlib, Flask-Security, Werkzeug, Django and Devise wrote,
// so an application's users keep their passwords when it moves to Go.
//
// # Which scheme
//
// Use [Argon2id] (its zero value: 19 MiB, 2 passes, 1 lane, OWASP's
// recommendation). It is memory-hard, so an attacker with a stolen database
// pays in memory as well as time for every guess. Use [Bcrypt] (cost 12) if
// you need it for compatibility; it refuses passwords over 72 bytes rather
// than silently ignore the rest. Set [Policy.MaxBytes] from
// [MaxPasswordBytes] of the hasher, so such a password is refused by the
// policy, as a field error, rather than by Hash. [PBKDF2] (FIPS-approved, not
// memory-hard) and [SHACrypt] (the $5$ and $6$ of Unix crypt) are here to
// verify hashes made elsewhere, and can hash new ones where a policy demands
// them. [Plaintext] is for tests only and refuses to work unless enabled.
//
// # Migrating from Flask-Security or passlib
//
// [Upgrade] holds a current scheme and legacy ones: it verifies all of them
// and NeedsRehash reports every hash that is not current, so a login can
// store a fresh Argon2id hash (Flask-Security's verify_and_update_password).
// Set [Upgrade.FlaskSecurity] to the Flask app's SECURITY_PASSWORD_SALT to
// reproduce its salted double hashing.
//
// # Migrating from Werkzeug, Django or Devise
//
// [Migration] returns an Upgrade that accepts, besides the current scheme,
// the hashes of
//
//   - Werkzeug's generate_password_hash (Flask without Flask-Security):
//     [WerkzeugScrypt] (scrypt:32768:8:1$salt$hex, the default since 2.3)
//     and [WerkzeugPBKDF2] (pbkdf2:sha256:1000000$salt$hex, with sha256,
//     sha512 or sha1, and the forms that name no iteration count);
//   - Django: [DjangoPBKDF2] (pbkdf2_sha256$..., pbkdf2_sha1$..., the
//     default), [DjangoArgon2] (argon2$argon2id$...), [DjangoBcrypt]
//     (bcrypt_sha256$$2b$... and bcrypt$$2b$...);
//   - Devise: [Devise], bcrypt of the password and config.pepper ($2a$...);
//     put Devise{Pepper: ...} first in Upgrade.Legacy;
//   - passlib and Flask-Security, as above.
//
// These frameworks hash the password's UTF-8 bytes exactly as typed, with
// no Unicode normalisation, so Upgrade gives their schemes the password as
// typed (and skips FlaskSecurity's HMAC step for them): a password verifies
// exactly when the framework would have verified it, "café" composed and
// decomposed being two passwords. Every hash they made needs a rehash, so
// each user's next login stores a current one, normalised as usual. The
// scheme types can also hash new passwords in the frameworks' formats,
// should another application still read them.
//
//	h := password.Migration(nil) // hash new passwords with Argon2id{}
//	h.Legacy = append([]password.Scheme{password.Devise{Pepper: pepper}}, h.Legacy...) // Devise only
//	hasher := password.Limit(h, 0)
//
// # Input rules
//
// Every password is checked before any hashing: at most [MaxBytes] bytes and
// valid UTF-8, then normalised (NFKD by default) and held to MaxBytes again,
// since normalisation can expand a string about 11×. New passwords are
// checked by [Policy]: at least 8 characters, not one of the 100,000 most
// common passwords, not based on the account's details
// ([Policy.ValidateFor]: its email address and its local part, user name,
// the application's name in [Policy.Context]), and optionally not breached
// ([HIBP]). The blocklist and the account's words are compared after NFKC
// normalisation and Unicode case folding, so full-width or other
// compatibility spellings do not slip through (OWASP ASVS 5.0 6.2.11).
// [Limit] bounds how many hashes run at once.
//
// # Cost of a verify
//
// Parameters read from a stored hash are capped, and checked before any
// hashing, so a hostile or corrupted hash cannot make a verify take seconds
// or gigabytes (ErrTooCostly). The default caps are the costliest parameters
// the originating software uses by default, since a migration must accept
// those, or the scheme's own parameters if they are higher; explicit Max*
// fields are taken as given. SHA-crypt's cost also grows with the
// password's length, so it caps that too (ErrTooLong; see [SHACrypt]).
//
// The aim was one verify at the caps costing no more than about twice the
// default Argon2id verify (Argon2id{}: 19 MiB, 2 passes). The frameworks'
// defaults cost more than that, so the caps accept them and the cost is
// stated instead. Measured on a 2-core test machine (go test -run '^$'
// -bench VerifyAtCap -benchtime 20x ./password: the median of 20 runs, each
// interleaved with the default Argon2id verify, over two runs), one verify
// at each default cap costs, as a multiple of the default Argon2id verify:
//
//	SHA-crypt $6$, 656,000 rounds (passlib), 88-byte password   12×  (8 bytes: 5×)
//	SHA-crypt $6$, 5,000 rounds (glibc), 4,096-byte password     2.7×
//	SHA-crypt $5$, 535,000 rounds (passlib), 88-byte password    4.8×
//	PBKDF2 (passlib format), sha512, 210,000 rounds (OWASP)      4×
//	                         sha256, 600,000 rounds (OWASP)      3.5×
//	                         sha1, 1,300,000 rounds (OWASP)      8.6×
//	bcrypt, cost 12 (passlib, Django, Devise)                    9×
//	Argon2id, 64 MiB, 3 passes, 1 lane (argon2-cffi)             6×
//	Werkzeug scrypt, 32768:8:1 (Werkzeug's default)              2.9×
//	Werkzeug PBKDF2, 1,000,000 iterations (3.1), sha256          6.4×
//	                                              sha1            6.8×
//	                                              sha512          18×
//	Django PBKDF2, 1,200,000 iterations (6.0), sha256            8.3×
//	                                           sha1               8.9×
//	Django argon2, 100 MiB, 2 passes, 8 lanes (Django's)         3.8×  (1 lane: 7.3×)
//	Django bcrypt_sha256 and Devise, cost 12                     9×
//
// Upgrade.Compare may run a passlib-format scheme twice for a password that
// normalisation changes (see [Upgrade.Compare]); the frameworks' schemes run
// once. Put [Limit] in front of any hasher that verifies legacy hashes.
//
// All comparisons are constant-time. Every parser here takes untrusted input
// and is fuzzed; none panics.
package password
