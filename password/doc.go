// Package password hashes and verifies passwords, safe by default, and reads
// the hashes passlib and Flask-Security wrote so a Flask application's users
// keep their passwords when it moves to Go.
//
// # Which scheme
//
// Use [Argon2id] (its zero value: 19 MiB, 2 passes, 1 lane, OWASP's
// recommendation). It is memory-hard, so an attacker with a stolen database
// pays in memory as well as time for every guess. Use [Bcrypt] (cost 12) if
// you need it for compatibility; it refuses passwords over 72 bytes rather
// than silently ignore the rest. Set [Policy.MaxBytes] from
// [MaxPasswordBytes] of the hasher, so such a password is refused by the
// policy, as a field error, rather than by Hash. [PBKDF2] (FIPS-approved, not memory-hard)
// and [SHACrypt] (the $5$ and $6$ of Unix crypt) are here to verify hashes
// made elsewhere, and can hash new ones where a policy demands them.
// [Plaintext] is for tests only and refuses to work unless enabled.
//
// # Migrating from Flask-Security or passlib
//
// [Upgrade] holds a current scheme and legacy ones: it verifies all of them
// and NeedsRehash reports every hash that is not current, so a login can
// store a fresh Argon2id hash (Flask-Security's verify_and_update_password).
// Set [Upgrade.FlaskSecurity] to the Flask app's SECURITY_PASSWORD_SALT to
// reproduce its salted double hashing.
//
// # Input rules
//
// Every password is checked before any hashing: at most [MaxBytes] bytes and
// valid UTF-8, then normalised (NFKD by default) and held to MaxBytes again,
// since normalisation can expand a string about 11×. New passwords are checked
// by [Policy]: at least 8 characters, not one of the 100,000 most common
// passwords, not based on the account's details ([Policy.ValidateFor]: its
// email address, user name, the application's name), and optionally not
// breached ([HIBP]). The blocklist and the account's words are compared
// after NFKC normalisation and case folding, so full-width or other
// compatibility spellings do not slip through. [Limit] bounds how many
// hashes run at once.
//
// # Cost of a verify
//
// Parameters read from a stored hash are capped, and checked before any
// hashing, so a hostile or corrupted hash cannot make a verify take seconds
// or gigabytes (ErrTooCostly). The default caps are the costliest parameters
// the originating software uses by default, since a migration must accept
// those, or the scheme's own parameters if they are higher. SHA-crypt's cost also
// grows with the password's length, so it caps that too (ErrTooLong; see
// [SHACrypt]).
//
// The aim was one verify at the caps costing no more than about twice the
// default Argon2id verify (Argon2id{}: 19 MiB, 2 passes). The frameworks'
// defaults cost more than that, so the caps accept them and the cost is
// stated instead. Measured on a 2-core test machine (go test -run '^$'
// -bench VerifyAtCap ./password; median of 20 runs, each interleaved with
// the default Argon2id verify), one verify at each default cap costs, as a
// multiple of the default Argon2id verify:
//
//	SHA-crypt $6$: 656,000 rounds, 88-byte password    ~13×  (8 bytes: 5×)
//	SHA-crypt $6$: 5,000 rounds, 4,096-byte password   ~2.7×
//	SHA-crypt $5$: 535,000 rounds, 88-byte password    ~4.8×
//	PBKDF2 passlib format: sha512 210,000 rounds       ~3.8×
//	                       sha256 600,000 rounds       ~3.8×
//	                       sha1 1,300,000 rounds       ~8.7×
//	bcrypt cost 12                                      ~9.3×
//	Argon2id 64 MiB, 3 passes, 1 lane                   ~6.4×
//
// Upgrade.Compare may run a legacy scheme twice for a password that
// normalisation changes (see [Upgrade.Compare]). Put [Limit] in front of any
// hasher that verifies legacy hashes.
//
// All comparisons are constant-time. Every parser here takes untrusted input
// and is fuzzed; none panics.
package password
