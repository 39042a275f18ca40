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
// than silently ignore the rest. [PBKDF2] (FIPS-approved, not memory-hard)
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
// valid UTF-8, then normalised (NFKD by default). Parameters read from a
// stored hash are capped, so a hostile hash cannot make a verify take seconds
// or gigabytes. New passwords are checked by [Policy]: at least 8 characters,
// not one of the 100,000 most common passwords, and optionally not breached
// ([HIBP]). [Limit] bounds how many hashes run at once.
//
// All comparisons are constant-time. Every parser here takes untrusted input
// and is fuzzed; none panics.
package password
