package main

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/examples/internal/readmetest"
)

// Every line of the README's quick start is in this program, which the
// tests compile: the quick start compiles as pasted, in context.
func TestReadmeQuickStart(t *testing.T) {
	readmetest.InProgram(t, "../../README.md", "## Quick start", "main.go")
}
