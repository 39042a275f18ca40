package gatehouse

import (
	"encoding/binary"
	"errors"
)

// The session's plaintext, inside the AEAD (cookie mode) or in
// Session.Data (server mode), is a compact binary record rather than JSON:
// decoding it is the most frequent thing gatehouse does. Fields, in order:
// ID, UserID, Stamp (length-prefixed strings), Method (byte), AuthTime
// (varint), flags (byte: fresh, forced), Created, Seen (varints), Ident,
// Next, CSRF (strings), then the flash count and each flash's category and
// message.

const (
	flagFresh  = 1 << 0
	flagForced = 1 << 1
	maxFlashes = 64
)

var errBadState = errors.New("gatehouse: bad session state")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encodeState(s *sessionState) []byte {
	n := 32 + len(s.ID) + len(s.UserID) + len(s.Stamp) + len(s.Ident) + len(s.Next) + len(s.CSRF)
	for _, f := range s.Flashes {
		n += 4 + len(f.Category) + len(f.Message)
	}
	b := make([]byte, 0, n)
	b = appendString(b, s.ID)
	b = appendString(b, s.UserID)
	b = appendString(b, s.Stamp)
	b = append(b, byte(s.Method))
	b = binary.AppendVarint(b, s.AuthTime)
	var flags byte
	if s.Fresh {
		flags |= flagFresh
	}
	if s.Forced {
		flags |= flagForced
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, s.Created)
	b = binary.AppendVarint(b, s.Seen)
	b = appendString(b, s.Ident)
	b = appendString(b, s.Next)
	b = appendString(b, s.CSRF)
	b = binary.AppendUvarint(b, uint64(len(s.Flashes)))
	for _, f := range s.Flashes {
		b = appendString(b, f.Category)
		b = appendString(b, f.Message)
	}
	return b
}

// stateReader reads a record, remembering the first error.
type stateReader struct {
	b   []byte // what is left to read
	all string // the whole record, which strings are cut from
	bad bool
}

// minimal reports whether the k-byte varint at the start of b is in its
// shortest form: one spelling per value.
func minimal(b []byte, k int) bool { return k == 1 || b[k-1] != 0 }

func (r *stateReader) string() string {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || !minimal(r.b, k) || n > uint64(len(r.b)-k) {
		r.bad = true
		r.b = nil
		return ""
	}
	start := len(r.all) - len(r.b) + k
	r.b = r.b[k+int(n):]
	return r.all[start : start+int(n)]
}

func (r *stateReader) varint() int64 {
	v, k := binary.Varint(r.b)
	if k <= 0 || !minimal(r.b, k) {
		r.bad = true
		r.b = nil
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *stateReader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func decodeState(data []byte) (*sessionState, error) {
	r := stateReader{b: data, all: string(data)} // one copy for every string
	s := &sessionState{}
	s.ID = r.string()
	s.UserID = r.string()
	s.Stamp = r.string()
	s.Method = Method(r.byte())
	s.AuthTime = r.varint()
	flags := r.byte()
	s.Fresh, s.Forced = flags&flagFresh != 0, flags&flagForced != 0
	s.Created = r.varint()
	s.Seen = r.varint()
	s.Ident = r.string()
	s.Next = r.string()
	s.CSRF = r.string()
	n, k := binary.Uvarint(r.b)
	if k <= 0 || !minimal(r.b, k) || n > maxFlashes {
		return nil, errBadState
	}
	r.b = r.b[k:]
	for range n {
		s.Flashes = append(s.Flashes, Flash{Category: r.string(), Message: r.string()})
	}
	if r.bad || len(r.b) != 0 || flags&^(flagFresh|flagForced) != 0 ||
		s.ID == "" || s.Created == 0 || s.Seen == 0 || s.Method > MethodRequest {
		return nil, errBadState
	}
	return s, nil
}
