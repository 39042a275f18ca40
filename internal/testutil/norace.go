//go:build !race

package testutil

// RaceEnabled reports whether the race detector is on: it allocates on
// its own, so allocation budgets are checked without it.
const RaceEnabled = false
