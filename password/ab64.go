package password

import "encoding/base64"

// passlib's "adapted base64" (ab64): the standard alphabet with '.' for '+',
// no padding. Used by passlib's pbkdf2 formats.
var ab64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./").WithPadding(base64.NoPadding)

// phc64 is the PHC string format's base64: standard alphabet, no padding.
var phc64 = base64.RawStdEncoding

// decode64 decodes s with enc, bounding its length first.
func decode64(enc *base64.Encoding, s string, maxBytes int) ([]byte, bool) {
	if s == "" || enc.DecodedLen(len(s)) > maxBytes {
		return nil, false
	}
	b, err := enc.DecodeString(s)
	return b, err == nil
}
