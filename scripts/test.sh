#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, vet, staticcheck, the
# tests with the race detector, and a short run of every fuzz target.
# Usage: ./scripts/test.sh          (FUZZTIME=30s ./scripts/test.sh for longer fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."

: "${FUZZTIME:=5s}"
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2

# The shared test data (Flask-Security hashes) lives beside the repository.
if [ -z "${GATEHOUSE_SHARED:-}" ] && [ -d ../shared ]; then
  export GATEHOUSE_SHARED="$(cd ../shared && pwd)"
fi

# --- real servers the tests talk to -------------------------------------
# Each is installed from Debian packages if missing and started just for this
# run, on its own port and data directory, and stopped on exit.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}
cleanup=()
on_exit() { for c in "${cleanup[@]}"; do eval "$c" || true; done; }
trap on_exit EXIT

start_postgres() {
  if [ -n "${GATEHOUSE_POSTGRES_DSN:-}" ]; then return; fi
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "== installing PostgreSQL (Debian package)"
    apt_install postgresql
  fi
  local bin dir port=55432
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  dir=$(mktemp -d /tmp/gatehouse-pg.XXXXXX)
  local run=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; run=(runuser -u postgres --); fi
  "${run[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  cleanup+=("${run[*]} $bin/pg_ctl -D $dir/data -m immediate stop >/dev/null; rm -rf $dir")
  export GATEHOUSE_POSTGRES_DSN="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

start_postgres

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

echo "== go vet"
go vet ./...

echo "== staticcheck"
go run "$STATICCHECK" ./...

echo "== go test -race"
go test -race -count=1 ./...

echo "== fuzz ($FUZZTIME each)"
fuzz() { go test -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" "$1" >/dev/null || { echo "fuzz $1 $2 failed"; go test -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" "$1"; exit 1; }; echo "ok   $1 $2"; }
fuzz . FuzzIsSafeRedirect
fuzz . FuzzOpenCookie
fuzz . FuzzDecodeState
fuzz . FuzzDecodeBody
fuzz ./password FuzzParseHash
fuzz ./token FuzzVerify

echo "== screenshots of the demo's pages: $GATEHOUSE_ARTIFACTS/screenshots"
echo "== all passed"
