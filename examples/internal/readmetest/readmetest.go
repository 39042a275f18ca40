// Package readmetest keeps the README's Go snippets honest: each must be
// part of an example program that the tests compile and run.
package readmetest

import (
	"os"
	"strings"
	"testing"
)

// InProgram fails t unless every line of the first Go snippet after the
// README's heading (a "## ..." line) is a line of the program in src,
// ignoring indentation and the spaces gofmt aligns comments with; lines
// that are only a comment are the README's prose, and not checked.
func InProgram(t *testing.T, readme, heading, src string) {
	t.Helper()
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), heading+"\n")
	if !ok {
		t.Fatalf("no %q in %s", heading, readme)
	}
	_, rest, ok = strings.Cut(rest, "```go\n")
	if !ok {
		t.Fatalf("no Go snippet after %q in %s", heading, readme)
	}
	snippet, _, _ := strings.Cut(rest, "```")
	prog, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for line := range strings.SplitSeq(string(prog), "\n") {
		have[normalize(line)] = true
	}
	for line := range strings.SplitSeq(snippet, "\n") {
		if l := normalize(line); l != "" && !strings.HasPrefix(l, "//") && !have[l] {
			t.Errorf("a line of %s's %q is not in %s: %q", readme, heading, src, strings.TrimSpace(line))
		}
	}
}

func normalize(line string) string {
	return strings.Join(strings.Fields(line), " ")
}
