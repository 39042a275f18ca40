#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, vet, staticcheck, the
# tests with the race detector, and a short run of every fuzz target.
# Usage: ./scripts/test.sh          (FUZZTIME=30s ./scripts/test.sh for longer fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."

: "${FUZZTIME:=5s}"
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Real servers the tests talk to (PostgreSQL, Redis, FerretDB for the
# MongoDB store, Chromium) come from lib.sh.
source scripts/lib.sh
start_postgres
start_redis
start_mongo

# Headless Chromium for the browser tests (examples/demo), from Debian.
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Chromium (Debian package)"
  apt_install chromium
fi
export GATEHOUSE_ARTIFACTS="${GATEHOUSE_ARTIFACTS:-$PWD/artifacts}"

echo "== gofmt"
unformatted=$(gofmt -l . | grep -v '^vendor/' || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

# Both modules of the workspace (go.work): the library, and the examples
# with the end-to-end, browser and SMTP tests.
PKGS="./... ./examples/..."

echo "== go vet"
go vet $PKGS

echo "== staticcheck"
go run "$STATICCHECK" $PKGS

echo "== go test -race"
# Two tests run afterwards without the race detector: the one that compares
# times (a login during a flood against one on an idle server: it times
# the server, built without it, and a race-checked flood of 120 client
# goroutines would take the CPU the server is timed on), alone, not beside
# other packages'; and the allocation budgets (Test...Allocations), which
# the race detector's own allocations would blur (they skip under it).
TIMED=TestLoginDuringAFlood
go test -race -count=1 -skip "^$TIMED\$" $PKGS
go test -count=1 -run 'Allocations$' $PKGS
go test -count=1 -run "^$TIMED\$" ./examples/conformance

echo "== fuzz ($FUZZTIME each)"
fuzz() {
  local out; out=$(mktemp)
  # A short minimisation: a long one, cut off by -fuzztime, is where Go's
  # fuzzer has been seen to report a worker as hung.
  if ! go test -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 2s "$1" >"$out" 2>&1; then
    # Go's fuzzer sometimes reports its own shutdown, as a worker is cut
    # off at -fuzztime, as "context deadline exceeded" with no failing
    # input: that is no finding, so try once more.
    if grep -q "context deadline exceeded" "$out" && ! grep -q "Failing input written" "$out" &&
      go test -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 2s "$1" >"$out" 2>&1; then
      echo "ok   $1 $2 (second run: the first ended in the fuzzer's own deadline)"; rm -f "$out"; return
    fi
    echo "fuzz $1 $2 failed:"; cat "$out"; rm -f "$out"; exit 1
  fi
  rm -f "$out"; echo "ok   $1 $2"
}
# Every fuzz target in the repository, found by name, so a new one is never
# left out.
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do
  dir=$(dirname "$f")
  for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    fuzz "$dir" "$name"
  done
done

echo "== screenshots of the demo's pages: $GATEHOUSE_ARTIFACTS/screenshots"
echo "== all passed"
