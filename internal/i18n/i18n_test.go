package i18n

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// Every locale has every key of the reference, with the same placeholders.
func TestCatalogComplete(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Languages()) < 5 {
		t.Errorf("languages: %v", c.Languages())
	}
	ref := c.texts[Reference]
	for _, lang := range c.Languages() {
		for k, en := range ref {
			v, ok := c.texts[lang][k]
			if !ok {
				t.Errorf("%s lacks %s", lang, k)
				continue
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", lang, k)
			}
			if !slices.Equal(Placeholders(v), Placeholders(en)) {
				t.Errorf("%s: %s has placeholders %v, want %v", lang, k, Placeholders(v), Placeholders(en))
			}
		}
	}
}

// keys.go declares exactly the keys of the reference locale.
func TestKeys(t *testing.T) {
	src, err := os.ReadFile("keys.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, m := range regexp.MustCompile(`Key = "([A-Z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		declared[m[1]] = true
	}
	data, _ := os.ReadFile(filepath.Join("locales", Reference+".json"))
	var en map[string]string
	if err := json.Unmarshal(data, &en); err != nil {
		t.Fatal(err)
	}
	for k := range en {
		if !declared[k] {
			t.Errorf("keys.go lacks %s", k)
		}
	}
	for k := range declared {
		if _, ok := en[k]; !ok {
			t.Errorf("keys.go declares %s, which en.json lacks", k)
		}
	}
}

func TestOverridesAndNewLanguages(t *testing.T) {
	c, err := Load(fstest.MapFS{
		"de.json": {Data: []byte(`{"LOGIN": "Bitte melden Sie sich an."}`)},
		"nl.json": {Data: []byte(`{"UI_LOGIN": "Inloggen"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Text("de", Login); got != "Bitte melden Sie sich an." {
		t.Errorf("override: %q", got)
	}
	if got := c.Text("de", UILogin); got == c.Text("en", UILogin) {
		t.Errorf("an override dropped the other German texts: %q", got)
	}
	if got := c.Match("nl-BE, en;q=0.5"); got != "nl" {
		t.Errorf("new language not matched: %q", got)
	}
	if got := c.Text("nl", UILogin); got != "Inloggen" {
		t.Errorf("new language: %q", got)
	}
	if got := c.Text("nl", UIRegister); got != c.Text("en", UIRegister) {
		t.Errorf("missing key in a new language: %q", got)
	}
	for name, bad := range map[string]string{
		"placeholder": `{"CONFIRM_REGISTRATION": "no placeholder here"}`,
		"unknown key": `{"NO_SUCH_KEY": "x"}`,
		"not JSON":    `{`,
	} {
		if _, err := Load(fstest.MapFS{"de.json": {Data: []byte(bad)}}); err == nil {
			t.Errorf("%s: Load accepted it", name)
		}
	}
	if _, err := Load(fstest.MapFS{"not a tag!.json": {Data: []byte(`{}`)}}); err == nil {
		t.Error("a file that names no language was accepted")
	}
}

func TestText(t *testing.T) {
	c, _ := Load(nil)
	if got := c.Text("fr", ConfirmRegistration, "email", "a@b.c"); !strings.Contains(got, "a@b.c") {
		t.Errorf("placeholder not filled: %q", got)
	}
	if got := c.Match("ja-JP,ja;q=0.9"); got != "ja" {
		t.Errorf("Match = %q", got)
	}
	if got := c.Match("zz"); got != Reference {
		t.Errorf("Match(zz) = %q", got)
	}
}
