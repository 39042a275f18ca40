package gatehouse

import (
	"bytes"
	"log/slog"
	"testing"
	"time"
)

func fuzzManager(f *testing.F) *Manager {
	m, err := New(Config{Users: nilUsers{}, SecretKeys: [][]byte{bytes.Repeat([]byte{7}, 32)},
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
	s := m.newSession(time.Unix(1_700_000_000, 0))
	s.UserID, s.Flashes = "42", []Flash{{"message", "hi"}}
	good, _ := m.seal(s)
	f.Add(good)
	f.Add("")
	f.Add("AQ")
	f.Add(good[:len(good)-4])
	f.Fuzz(func(t *testing.T, v string) {
		st, err := m.open(v)
		if err == nil && (st.ID == "" || st.Created == 0) {
			t.Fatalf("open(%q) accepted an incomplete session", v)
		}
	})
}

// FuzzDecodeState checks the JSON decoding behind both session modes.
func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"i":"x","c":1,"l":1}`))
	f.Add([]byte(`{"i":"x","c":1,"l":1,"fl":[{"c":"a","m":"b"}],"m":300}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeState(data)
	})
}
