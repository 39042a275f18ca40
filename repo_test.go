package gatehouse_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The repository stands alone: a user clones it with nothing beside it,
// so no test, script or document may reach outside it (as the test data
// once did, from a folder next to the checkout), and every relative link
// in the documentation leads to a file that is there.
func TestRepositoryStandsAlone(t *testing.T) {
	outside := regexp.MustCompile(`\.\./` + `shared|/work/` + `shared`)
	mdLink := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "artifacts", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".sh", ".md", ".json", ".yml", ".yaml", ".html", ".txt", ".js", ".mod", "":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		if loc := outside.FindIndex(b); loc != nil {
			t.Errorf("%s reaches outside the repository: %q", path, b[loc[0]:loc[1]])
		}
		if filepath.Ext(path) != ".md" {
			return nil
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), target)); err != nil {
				t.Errorf("%s links to %s, which is not in the repository", path, target)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d files: is the test running from the repository root?", checked)
	}
}
