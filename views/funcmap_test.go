package views_test

import (
	"context"
	"html/template"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

func TestFuncMap(t *testing.T) {
	t.Parallel()
	e := newViewEnv(t, nil, nil)
	tmpl := template.Must(template.New("p").Funcs(e.v.FuncMap()).Parse(
		`{{with currentUser .}}hi {{.Email}}{{else}}anon{{end}} {{isAuthenticated .}} {{hasRole . "editor"}} {{isFresh .}}`))
	render := func(ctx context.Context) string {
		var b strings.Builder
		if err := tmpl.Execute(&b, httptest.NewRequest("GET", "/", nil).WithContext(ctx)); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if got := render(context.Background()); got != "anon false false false" {
		t.Errorf("anonymous: %q", got)
	}
	ctx := gatehouse.NewContext(context.Background(), gatehouse.Principal{User: e.user, Method: gatehouse.MethodSession, AuthTime: e.clock.Now(), Fresh: true})
	if got := render(ctx); got != "hi alice@example.com true true true" {
		t.Errorf("logged in: %q", got)
	}
}
