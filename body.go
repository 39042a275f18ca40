package gatehouse

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxBodyBytes caps every request body the views read.
const maxBodyBytes = 64 << 10

// form is a decoded request body: JSON object or URL-encoded form, as
// strings (JSON booleans become "true"/"false").
type form map[string]string

// decodeBody reads r's body as a JSON object (Content-Type
// application/json) or a form. Anything else, a body over maxBodyBytes,
// invalid UTF-8, a JSON value that is not an object, or a field of the
// wrong type is an error wrapping ErrBadRequest or ErrTooLarge, with field
// errors where a field is to blame.
func decodeBody(w http.ResponseWriter, r *http.Request) (form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	f := form{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyErr(err)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return f, nil
		}
		if !utf8.Valid(data) {
			return nil, ErrBadRequest
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, ErrBadRequest // not JSON, or not an object
		}
		fe := FieldErrors{}
		for k, v := range raw {
			var s string
			var b bool
			switch {
			case json.Unmarshal(v, &s) == nil:
				f[k] = s
			case json.Unmarshal(v, &b) == nil:
				f[k] = map[bool]string{true: "true", false: "false"}[b]
			case string(v) == "null":
			default:
				fe.Add(k, "must be a string")
			}
		}
		if len(fe) > 0 {
			return nil, fe
		}
		return f, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, bodyErr(err)
	}
	for k, vs := range r.PostForm {
		if len(vs) > 0 {
			if !utf8.ValidString(vs[0]) || !utf8.ValidString(k) {
				return nil, ErrBadRequest
			}
			f[k] = vs[0]
		}
	}
	return f, nil
}

func bodyErr(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return ErrTooLarge
	}
	return ErrBadRequest
}

func (f form) bool(key string, def bool) bool {
	switch strings.ToLower(f[key]) {
	case "true", "on", "1", "yes", "y":
		return true
	case "false", "off", "0", "no", "n":
		return false
	}
	return def
}
