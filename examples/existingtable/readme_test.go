package main

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/examples/internal/readmetest"
)

// Every line of the README's existing-table example is in this program,
// which the tests compile and run.
func TestReadmeExistingTable(t *testing.T) {
	readmetest.InProgram(t, "../../README.md", "## Users from your own table", "main.go")
}
