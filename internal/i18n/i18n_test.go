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
	if len(c.Languages()) < 10 {
		t.Errorf("want at least ten languages, have %v", c.Languages())
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
		"sv.json": {Data: []byte(`{"UI_LOGIN": "Logga in"}`)},
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
	if got := c.Match("sv-FI, en;q=0.5"); got != "sv" {
		t.Errorf("new language not matched: %q", got)
	}
	if got := c.Text("sv", UILogin); got != "Logga in" {
		t.Errorf("new language: %q", got)
	}
	if got := c.Text("sv", UIRegister); got != c.Text("en", UIRegister) {
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

// Accept-Language picks each shipped language, by its own tag, with a
// region, or (Brazilian Portuguese) by the bare language.
func TestMatchEveryLanguage(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ header, want string }{
		{"en-US,en;q=0.9", "en"},
		{"de-DE,de;q=0.9,en;q=0.5", "de"},
		{"de-AT", "de"},
		{"es-MX,es;q=0.9", "es"},
		{"fr-CH, fr;q=0.9", "fr"},
		{"ja-JP,ja;q=0.9", "ja"},
		{"it-IT,it;q=0.9", "it"},
		{"it", "it"},
		{"nl", "nl"},
		{"nl-BE,nl;q=0.9,en;q=0.5", "nl"},
		{"pt-BR", "pt-BR"},
		{"pt-BR,pt;q=0.9", "pt-BR"},
		{"pt", "pt-BR"},
		{"pl", "pl"},
		{"pl-PL,pl;q=0.9,en-US;q=0.8", "pl"},
		{"ru-RU", "ru"},
		{"ru-RU,ru;q=0.9,en;q=0.8", "ru"},
		{"zz", "en"},
		{"", "en"},
	} {
		if got := c.Match(tc.header); got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
	// Every language the catalog has is reachable by its own tag.
	for _, lang := range c.Languages() {
		if got := c.Match(lang); got != lang {
			t.Errorf("Match(%q) = %q", lang, got)
		}
	}
}

// sameAsEnglish are the keys whose text may legitimately be the English
// one in a language (a loanword, a code); every other text of a built-in
// locale differs from English, so that an untranslated copy shows.
var sameAsEnglish = map[string][]Key{
	"de": {UIPasskeysTitle, UITwoFactorCode}, // "Passkeys", "Code"
	"fr": {UIMinute, UIMinutes, UITwoFactorCode},
	"it": {UIPassword},      // "Password"
	"nl": {UITwoFactorCode}, // "Code"
}

// maxSameAsEnglish bounds each language's allow-list: more than a handful
// of English texts is a copy, not a translation.
const maxSameAsEnglish = 4

func TestTranslatedNotCopied(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := c.texts[Reference]
	for lang, keys := range sameAsEnglish {
		if !c.Has(lang) {
			t.Errorf("allow-list for %s, which is not shipped", lang)
		}
		if len(keys) > maxSameAsEnglish {
			t.Errorf("%s: %d keys allowed to be English, at most %d", lang, len(keys), maxSameAsEnglish)
		}
	}
	for _, lang := range c.Languages()[1:] {
		allowed := map[Key]bool{}
		for _, k := range sameAsEnglish[lang] {
			allowed[k] = true
			if c.texts[lang][k] != ref[k] {
				t.Errorf("%s: %s is allowed to be English but is translated (%q): drop it from the allow-list", lang, k, c.texts[lang][k])
			}
		}
		var same []Key
		for k, en := range ref {
			if c.texts[lang][k] == en && !allowed[k] {
				same = append(same, k)
			}
		}
		slices.Sort(same)
		if len(same) > 0 {
			t.Errorf("%s: %d texts identical to English (untranslated?): %v", lang, len(same), same)
		}
	}
}

// The built-in locale files are plain strings (pairs are for overrides),
// in en.json's key order, indented as en.json is, with no HTML.
func TestLocaleFilesShape(t *testing.T) {
	refKeys := keyOrder(t, filepath.Join("locales", Reference+".json"))
	files, _ := filepath.Glob(filepath.Join("locales", "*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var texts map[string]string
		if err := json.Unmarshal(data, &texts); err != nil {
			t.Errorf("%s: not an object of plain strings: %v", f, err)
			continue
		}
		if got := keyOrder(t, f); !slices.Equal(got, refKeys) {
			t.Errorf("%s: keys not in en.json's order", f)
		}
		if !strings.HasPrefix(string(data), "{\n  \"") || strings.Contains(string(data), "\\u") {
			t.Errorf("%s: not 2-space indented UTF-8 like en.json", f)
		}
		for k, v := range texts {
			if strings.ContainsAny(v, "<>") {
				t.Errorf("%s: %s has markup: %q", f, k, v)
			}
		}
	}
}

func keyOrder(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	var keys []string
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
