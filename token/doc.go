// Package token provides the token primitives gatehouse builds on, the Go
// counterpart of itsdangerous and Flask-Login's make_secure_token:
//
//   - [Signer]: URL-safe, signed, timestamped tokens for one purpose (remember
//     cookies, API auth tokens, anything the server must hand out and later
//     trust without storing). A token signed for one purpose is refused for
//     every other, a max age is checked on load, and a list of keys allows
//     rotation: the first key signs, every key verifies.
//   - [NewOneTime] and [ParseOneTime]: one-time link tokens (confirm, reset,
//     passwordless login) in selector.verifier form. The server stores the
//     selector and a SHA-256 of the verifier only; a database leak gives no
//     usable link, and the verifier is compared in constant time.
//   - [MakeSecureToken]: Flask-Login's make_secure_token, byte for byte.
//
// Every decoder here takes untrusted input: it bounds the length before any
// work and returns one of [ErrMalformed], [ErrBadSignature] or [ErrExpired],
// never panics.
package token
