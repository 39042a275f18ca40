package main

import (
	"os"
	"strings"
	"testing"
)

// Every line of the README's existing-table example is in this program,
// which the tests compile and run.
func TestReadmeExistingTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## Users from your own table\n")
	if !ok {
		t.Fatal("no existing-table section in the README")
	}
	_, rest, ok = strings.Cut(rest, "```go\n")
	if !ok {
		t.Fatal("no code in the README's existing-table section")
	}
	snippet, _, _ := strings.Cut(rest, "```")
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for line := range strings.SplitSeq(string(src), "\n") {
		have[normalize(line)] = true
	}
	for line := range strings.SplitSeq(snippet, "\n") {
		if l := normalize(line); l != "" && !have[l] {
			t.Errorf("README line not in examples/existingtable/main.go: %q", strings.TrimSpace(line))
		}
	}
}

// normalize drops indentation and the spaces gofmt aligns comments with.
func normalize(line string) string {
	return strings.Join(strings.Fields(line), " ")
}
