package main_test

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// schemaDoc validates JSON values against the schemas of an OpenAPI 3.1
// document: the subset of JSON Schema docs/openapi.json uses. A keyword
// outside it is an error, so the document cannot use one this check
// would silently pass.
type schemaDoc struct {
	root map[string]any
}

var knownKeywords = map[string]bool{
	"$ref": true, "type": true, "const": true, "enum": true, "properties": true, "required": true,
	"additionalProperties": true, "items": true, "maxItems": true, "oneOf": true, "anyOf": true, "allOf": true,
	// annotations, not checked
	"description": true, "format": true,
}

// resolve follows a local $ref ("#/components/schemas/User").
func (d *schemaDoc) resolve(ref string) (any, error) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q: only local references", ref)
	}
	var cur any = d.root
	for _, part := range strings.Split(p, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: no %q", ref, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q: no %q", ref, part)
		}
	}
	return cur, nil
}

// validate returns the ways value (decoded by encoding/json into any)
// breaks schema, each with its place ("response.user.id").
func (d *schemaDoc) validate(schema, value any, at string) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		if b, isBool := schema.(bool); isBool {
			if b {
				return nil
			}
			return []string{at + ": not allowed"}
		}
		return []string{at + ": the schema is not an object"}
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	for k := range s {
		if !knownKeywords[k] {
			fail("schema keyword %q is not in the subset this test checks", k)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := d.resolve(ref)
		if err != nil {
			fail("%v", err)
			return errs
		}
		errs = append(errs, d.validate(target, value, at)...)
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, fmt.Sprint(x))
			}
		}
		if !slices.ContainsFunc(types, func(t string) bool { return hasType(value, t) }) {
			fail("%s, want type %v", describe(value), types)
			return errs // the rest would only repeat it
		}
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, value) {
		fail("%s, want %v", describe(value), c)
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return reflect.DeepEqual(x, value) }) {
		fail("%s, not one of %v", describe(value), e)
	}
	if obj, isObj := value.(map[string]any); isObj {
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, has := obj[r]; !has {
				fail("missing %q", r)
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, has := props[k]; has {
				errs = append(errs, d.validate(ps, obj[k], at+"."+k)...)
			} else if ap, has := s["additionalProperties"]; has {
				if ap == false {
					fail("%q is not in the document", k)
				} else {
					errs = append(errs, d.validate(ap, obj[k], at+"."+k)...)
				}
			}
		}
	}
	if list, isList := value.([]any); isList {
		if items, has := s["items"]; has {
			for i, x := range list {
				errs = append(errs, d.validate(items, x, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
		if m, has := s["maxItems"].(float64); has && float64(len(list)) > m {
			fail("%d items, at most %v", len(list), m)
		}
	}
	for _, sub := range asList(s["allOf"]) {
		errs = append(errs, d.validate(sub, value, at)...)
	}
	if subs := asList(s["anyOf"]); subs != nil {
		var all []string
		for _, sub := range subs {
			e := d.validate(sub, value, at)
			if len(e) == 0 {
				all = nil
				break
			}
			all = append(all, e...)
		}
		if all != nil {
			fail("matches none of anyOf: %s", strings.Join(all, "; "))
		}
	}
	if subs := asList(s["oneOf"]); subs != nil {
		matched := 0
		var all []string
		for i, sub := range subs {
			if e := d.validate(sub, value, at); len(e) == 0 {
				matched++
			} else {
				all = append(all, fmt.Sprintf("[%d] %s", i, strings.Join(e, "; ")))
			}
		}
		switch matched {
		case 0:
			fail("matches none of oneOf: %s", strings.Join(all, " | "))
		case 1:
		default:
			fail("matches %d of oneOf, want exactly one", matched)
		}
	}
	return errs
}

func hasType(v any, t string) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func describe(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		b = append(b[:77], "..."...)
	}
	return string(b)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asStrings(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// TestOpenAPISchemaSubset checks the validator itself, on docs/openapi.json's
// own schemas: what it must refuse, it refuses.
func TestOpenAPISchemaSubset(t *testing.T) {
	o := loadOpenAPI(t)
	ref := func(name string) any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	parse := func(s string) any {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		schema string
		value  string
		ok     bool
	}{
		{"LoginResult", `{"meta":{"code":200},"response":{"user":{"id":"1","email":"a@b"},"csrf_token":"x"}}`, true},
		{"LoginResult", `{"meta":{"code":200},"response":{"user":{"id":"1"},"csrf_token":"x","tf_required":false}}`, true},
		{"LoginResult", `{"meta":{"code":200},"response":{"tf_required":true,"tf_state":"ready","tf_method":"email","tf_primary_method":"email","csrf_token":"x"}}`, true},
		{"LoginResult", `{"meta":{"code":200},"response":{"user":{"id":"1"},"csrf_token":"x","extra":1}}`, false},           // an undocumented field
		{"LoginResult", `{"meta":{"code":200},"response":{"user":{"id":"1"}}}`, false},                                      // no csrf_token
		{"LoginResult", `{"meta":{"code":200},"response":{"tf_required":true,"tf_state":"later","csrf_token":"x"}}`, false}, // not in the enum
		{"LoginResult", `{"meta":{"code":200},"response":{"user":null,"csrf_token":"x"}}`, false},                           // wrong type
		{"LoginResult", `{"meta":{"code":"200"},"response":{"user":{},"csrf_token":"x"}}`, false},
		{"LoginResult", `{"response":{"user":{},"csrf_token":"x"}}`, false},
		{"ErrorResponse", `{"meta":{"code":400},"response":{"errors":["no"],"field_errors":{"email":["no"]}}}`, true},
		{"ErrorResponse", `{"meta":{"code":400},"response":{"field_errors":{"email":["no"]}}}`, false},
		{"ErrorResponse", `{"meta":{"code":400},"response":{"errors":["no"],"field_errors":{"email":"no"}}}`, false},
		{"ErrorResponse", `{"meta":{"code":400},"response":{"errors":[1]}}`, false},
		{"RegisteredCredential", `{"name":"k","credential_id":"x","transports":[],"lastuse":null,"usage":"first","backup_state":false,"device_type":"single_device","discoverable":"Unknown"}`, true},
		{"RegisteredCredential", `{"name":"k","credential_id":"x","transports":[],"lastuse":null,"usage":"first","backup_state":false,"device_type":"single_device","discoverable":"Maybe"}`, false},
	} {
		errs := o.schema.validate(ref(c.schema), parse(c.value), "value")
		if (len(errs) == 0) != c.ok {
			t.Errorf("%s %s: errors %v, want ok=%v", c.schema, c.value, errs, c.ok)
		}
	}
	if errs := o.schema.validate(map[string]any{"pattern": "x"}, "x", "value"); len(errs) == 0 {
		t.Error("a keyword outside the subset passed")
	}
}
