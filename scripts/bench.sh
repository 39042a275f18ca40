#!/usr/bin/env bash
# The load harness in one command: installs wrk (and PostgreSQL and Redis)
# from Debian if missing, starts a throwaway PostgreSQL and Redis, and runs
# examples/bench, which prints the table. Flags pass through:
#   ./scripts/bench.sh -duration 10s -users 1000,1000000
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
if ! command -v wrk >/dev/null 2>&1; then
  echo "== installing wrk (Debian package)"
  apt_install wrk
fi
start_postgres
start_redis
go run ./examples/bench "$@"
