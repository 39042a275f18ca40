package main_test

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// docs/openapi.json against the live app: every documented operation
// exists, answers with a status it documents, and answers the envelope
// with meta.code equal to that status. Requests are an anonymous
// client's: a GET, or a POST of {} with the session's CSRF token.
func TestOpenAPI(t *testing.T) {
	raw, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, "sqlite:///"+strings.TrimPrefix(t.TempDir()+"/app.db", "/"))
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, path := range paths {
		for method, opRaw := range doc.Paths[path] {
			if method == "parameters" {
				continue
			}
			var op struct {
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(opRaw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			c := a.client(t)
			c.fetchCSRF()
			url := strings.ReplaceAll(path, "{token}", "AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")
			var got answer
			if method == "get" {
				got = c.do("GET", url, nil)
			} else {
				got = c.do(strings.ToUpper(method), url, map[string]any{})
			}
			documented := make([]string, 0, len(op.Responses))
			for code := range op.Responses {
				documented = append(documented, code)
			}
			if !slices.Contains(documented, strconv.Itoa(got.status)) {
				t.Errorf("%s %s: %d, which the document does not list (%v): %s", strings.ToUpper(method), path, got.status, documented, got.raw)
			}
			var env struct {
				Meta *struct {
					Code int `json:"code"`
				} `json:"meta"`
				Response map[string]any `json:"response"`
			}
			if err := json.Unmarshal(got.raw, &env); err != nil || env.Meta == nil || env.Meta.Code != got.status || env.Response == nil {
				t.Errorf("%s %s: not the envelope: %s", strings.ToUpper(method), path, got.raw)
			}
		}
	}
}
