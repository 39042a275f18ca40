package gatehouse

import (
	"log/slog"
	"testing"
	"time"
)

func fuzzManager(f *testing.F) *Manager {
	m, err := New(Config{Users: nilUsers{}, SecretKeys: [][]byte{NewSecretKey()},
		Logger: slog.New(slog.DiscardHandler), Cookie: CookieConfig{Insecure: true}})
	if err != nil {
		f.Fatal(err)
	}
	return m
}

type nilUsers struct{ UserStore }

// FuzzOpenCookie feeds arbitrary cookie values to the session decoder. It
// must never panic, and only values it sealed itself may open.
func FuzzOpenCookie(f *testing.F) {
	m := fuzzManager(f)
	s := m.ck.newSession(time.Unix(1_700_000_000, 0))
	s.UserID, s.Flashes = "42", []Flash{{"message", "hi"}}
	good := m.ck.seal(s)
	f.Add(good)
	f.Add("")
	f.Add("AQ")
	f.Add(good[:len(good)-4])
	f.Fuzz(func(t *testing.T, v string) {
		st, err := m.ck.open(v)
		if err == nil && (st.ID == "" || st.Created == 0) {
			t.Fatalf("open(%q) accepted an incomplete session", v)
		}
	})
}

// FuzzDecodeState checks the binary session decoding behind both session
// modes: no panic, and whatever decodes re-encodes to the same bytes.
func FuzzDecodeState(f *testing.F) {
	full := &sessionState{ID: "id", UserID: "42", Stamp: "st", Method: MethodRemember, AuthTime: -5, Fresh: true,
		Created: 1_700_000_000, Seen: 1_700_000_100, Ident: "ip", Next: "/x", CSRF: "c",
		Flashes: []Flash{{"message", "hi"}, {"error", "é"}}}
	f.Add(encodeState(full))
	f.Add(encodeState(&sessionState{ID: "x", Created: 1, Seen: 1}))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add(append([]byte{0x82, 0x00}, encodeState(&sessionState{ID: "x", Created: 1, Seen: 1})[1:]...)) // overlong length
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeState(data)
		if err != nil {
			return
		}
		if again := encodeState(s); string(again) != string(data) {
			t.Fatalf("decode/encode is not a round trip:\n%x\n%x", data, again)
		}
	})
}
