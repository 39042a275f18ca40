// Package i18n holds gatehouse's texts as data: one JSON file per language
// in locales/ (English is the reference, and every other locale has every
// one of its keys and placeholders), typed keys, the choice of a language
// from Accept-Language, and overrides an application gives as more JSON
// files of the same shape.
package i18n

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// Key names a text.
type Key string

// Reference is the language every other falls back to, and whose keys
// every locale has.
const Reference = "en"

//go:embed locales/*.json
var builtin embed.FS

// Catalog is every text in every language. It is read-only once made and
// safe for concurrent use.
type Catalog struct {
	texts   map[string]map[Key]string
	cats    map[Key]string // categories set by [text, category] pairs
	langs   []string       // Reference first, then the others, sorted
	matcher language.Matcher
}

// Category is the flash category of key: the one an override gave it as
// a [text, category] pair, else def.
func (c *Catalog) Category(key Key, def string) string {
	if cat, ok := c.cats[key]; ok {
		return cat
	}
	return def
}

// Load reads the built-in locales and then the files of overrides (nil
// for none): each is LANG.json, a JSON object from keys to texts. An
// override file for a language gatehouse ships replaces the texts it has
// and keeps the rest; a file for another language adds it, falling back to
// English for the keys it lacks. Placeholders (%(name)s) must be those of
// the English text.
func Load(overrides fs.FS) (*Catalog, error) {
	c := &Catalog{texts: map[string]map[Key]string{}}
	if err := c.read(builtin, "locales"); err != nil {
		return nil, err
	}
	if overrides != nil {
		if err := c.read(overrides, "."); err != nil {
			return nil, err
		}
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	for l := range c.texts {
		if l != Reference {
			c.langs = append(c.langs, l)
		}
	}
	slices.Sort(c.langs)
	c.langs = append([]string{Reference}, c.langs...)
	tags := make([]language.Tag, len(c.langs))
	for i, l := range c.langs {
		tags[i] = language.Make(l)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

func (c *Catalog) read(fsys fs.FS, dir string) error {
	files, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	for _, f := range files {
		lang := strings.TrimSuffix(path.Base(f), ".json")
		if _, err := language.Parse(lang); err != nil {
			return fmt.Errorf("i18n: %s: %q is not a language tag", f, lang)
		}
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return err
		}
		// A value is a text, or a [text, category] pair, as
		// Flask-Security's messages are.
		var texts map[Key]json.RawMessage
		if err := json.Unmarshal(data, &texts); err != nil {
			return fmt.Errorf("i18n: %s: %w", f, err)
		}
		if c.texts[lang] == nil {
			c.texts[lang] = map[Key]string{}
		}
		for k, raw := range texts {
			var text string
			if json.Unmarshal(raw, &text) != nil {
				var pair []string
				if json.Unmarshal(raw, &pair) != nil || len(pair) != 2 || pair[1] == "" {
					return fmt.Errorf("i18n: %s: %s is neither a text nor a [text, category] pair", f, k)
				}
				text = pair[0]
				if c.cats == nil {
					c.cats = map[Key]string{}
				}
				c.cats[k] = pair[1]
			}
			c.texts[lang][k] = text
		}
	}
	return nil
}

// check verifies that every text has its English text's placeholders.
func (c *Catalog) check() error {
	ref := c.texts[Reference]
	var errs []error
	for lang, texts := range c.texts {
		for k, v := range texts {
			en, ok := ref[k]
			if !ok {
				if lang != Reference {
					errs = append(errs, fmt.Errorf("i18n: %s: unknown key %s", lang, k))
				}
				continue
			}
			if !slices.Equal(Placeholders(en), Placeholders(v)) {
				errs = append(errs, fmt.Errorf("i18n: %s: %s has placeholders %v, want %v", lang, k, Placeholders(v), Placeholders(en)))
			}
		}
	}
	return errors.Join(errs...)
}

// Placeholders returns the %(name)s placeholders of text, sorted.
func Placeholders(text string) []string {
	var names []string
	for {
		i := strings.Index(text, "%(")
		if i < 0 {
			break
		}
		rest := text[i+2:]
		j := strings.Index(rest, ")s")
		if j < 0 {
			break
		}
		names = append(names, rest[:j])
		text = rest[j+2:]
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Languages returns the languages the catalog has, English first.
func (c *Catalog) Languages() []string { return slices.Clone(c.langs) }

// Has reports whether the catalog has lang.
func (c *Catalog) Has(lang string) bool { return c.texts[lang] != nil }

// Match returns the catalog's best language for an Accept-Language header
// value, English when nothing matches.
func (c *Catalog) Match(acceptLanguage string) string {
	if acceptLanguage == "" || len(acceptLanguage) > 512 {
		return Reference
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Reference
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return Reference
	}
	return c.langs[i]
}

// Text returns key's text in lang (English if lang lacks it), with its
// placeholders filled from args: name, value, name, value, ...
func (c *Catalog) Text(lang string, key Key, args ...string) string {
	text, ok := c.texts[lang][key]
	if !ok {
		text = c.texts[Reference][key]
	}
	if len(args) > 1 && strings.Contains(text, "%(") {
		pairs := make([]string, 0, len(args))
		for i := 0; i+1 < len(args); i += 2 {
			pairs = append(pairs, "%("+args[i]+")s", args[i+1])
		}
		text = strings.NewReplacer(pairs...).Replace(text)
	}
	return text
}
