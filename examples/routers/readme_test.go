package routers

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/examples/internal/readmetest"
)

// Every line of the README's router recipes is in this package, whose
// tests run each recipe.
func TestReadmeRouters(t *testing.T) {
	readmetest.InProgram(t, "../../README.md", "## Other routers", "routers.go")
}
