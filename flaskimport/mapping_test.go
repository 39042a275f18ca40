package flaskimport_test

import (
	"flag"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/flaskimport"
)

func TestMappingSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		specs []string
		want  string // String() after the specs, or the error's substring
		err   bool
	}{
		{"zero", nil, "", false},
		{"table", []string{"user=accounts"}, "user=accounts", false},
		{"column", []string{"user.email=mail"}, "user.email=mail", false},
		{"several in one", []string{"user=accounts, user.email=mail ,role=groups"}, "user=accounts,user.email=mail,role=groups", false},
		{"later wins", []string{"user=a", "user=b"}, "user=b", false},
		{"default is not listed", []string{"user=user"}, "", false},
		{"schema-qualified table", []string{"user=auth.accounts"}, "user=auth.accounts", false},
		{"unicode and $", []string{"role.name=nämé$2"}, "role.name=nämé$2", false},
		{"every key", []string{"roles_users.role_id=g, roles_users.user_id=a, user.tf_primary_method=tf"},
			"user.tf_primary_method=tf,roles_users.user_id=a,roles_users.role_id=g", false},
		{"empty", []string{""}, "empty mapping", true},
		{"no equals", []string{"user"}, "want key=name", true},
		{"unknown key", []string{"users=accounts"}, `unknown key "users"`, true},
		{"unknown column", []string{"user.mail=x"}, `unknown key "user.mail"`, true},
		{"empty name", []string{"user="}, "empty name", true},
		{"quote", []string{`user=a"b`}, "only letters", true},
		{"space", []string{"user=my table"}, "only letters", true},
		{"semicolon", []string{"user=x;drop"}, "only letters", true},
		{"column with dot", []string{"user.email=a.b"}, "only letters", true},
		{"two dots", []string{"user=a.b.c"}, "only letters", true},
		{"leading digit", []string{"user=1x"}, "only letters", true},
		{"empty schema", []string{"user=.x"}, "empty", true},
		{"bad part leaves the rest unset", []string{"user=ok,role=bad name"}, "only letters", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var m flaskimport.Mapping
			var err error
			for _, s := range tt.specs {
				if err = m.Set(s); err != nil {
					break
				}
			}
			switch {
			case tt.err && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "flaskimport: ")):
				t.Fatalf("Set(%q) = %v, want an error containing %q", tt.specs, err, tt.want)
			case tt.err && m.String() != "":
				t.Fatalf("a failed Set changed the mapping: %q", m.String())
			case !tt.err && err != nil:
				t.Fatalf("Set(%q): %v", tt.specs, err)
			case !tt.err && m.String() != tt.want:
				t.Fatalf("String() = %q, want %q", m.String(), tt.want)
			}
		})
	}
}

func TestMappingIsAFlag(t *testing.T) {
	t.Parallel()
	var m flaskimport.Mapping
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.Var(&m, "map", "")
	if err := fs.Parse([]string{"--map", "user=accounts", "--map", "user.email=mail"}); err != nil {
		t.Fatal(err)
	}
	if m.User.Table != "accounts" || m.User.Email != "mail" || m.Role.Table != "" {
		t.Fatalf("%+v", m)
	}
	if keys := flaskimport.Keys(); len(keys) != 23 || keys[0] != "user" || !slices.Contains(keys, "role.permissions") {
		t.Fatalf("Keys() = %q", keys)
	}
}

// FuzzMappingSet: Set never panics, a failed Set changes nothing, and
// what String prints, Set reads back to the same names.
func FuzzMappingSet(f *testing.F) {
	for _, s := range []string{"user=accounts", "user.email=mail,role=groups", "user=a.b", `user=a"b`, "=", ",", "user=ä$", "roles_users.role_id=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		var m flaskimport.Mapping
		if err := m.Set(spec); err != nil {
			if m != (flaskimport.Mapping{}) {
				t.Fatalf("failed Set(%q) changed the mapping: %+v", spec, m)
			}
			return
		}
		out := m.String()
		var back flaskimport.Mapping
		if out != "" {
			if err := back.Set(out); err != nil {
				t.Fatalf("Set(String()) of %q: %v", out, err)
			}
		}
		if back.String() != out {
			t.Fatalf("round trip of %q: %q, then %q", spec, out, back.String())
		}
	})
}
