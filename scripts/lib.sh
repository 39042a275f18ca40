#!/usr/bin/env bash
# Shared by scripts/test.sh and scripts/bench.sh: install what is missing
# from Debian packages, start throwaway servers, stop them on exit.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}
cleanup=()
on_exit() { for c in "${cleanup[@]}"; do eval "$c" || true; done; }
trap on_exit EXIT

# start_postgres runs a throwaway PostgreSQL on 127.0.0.1:55432 (its own data
# directory, no fsync) unless GATEHOUSE_POSTGRES_DSN is set, and exports the DSN.
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

# start_redis runs a throwaway Redis on 127.0.0.1:56380 (no persistence)
# unless GATEHOUSE_REDIS_URL is set, and exports the URL.
start_redis() {
  if [ -n "${GATEHOUSE_REDIS_URL:-}" ]; then return; fi
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "== installing Redis (Debian package)"
    apt_install redis-server
  fi
  local dir port=56380
  dir=$(mktemp -d /tmp/gatehouse-redis.XXXXXX)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/pid" --logfile "$dir/log"
  for _ in $(seq 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  cleanup+=("p=\$(cat $dir/pid); kill \$p 2>/dev/null; for _ in \$(seq 50); do kill -0 \$p 2>/dev/null || break; sleep 0.1; done; rm -rf $dir")
  export GATEHOUSE_REDIS_URL="redis://127.0.0.1:$port/0"
  echo "== Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port"
}

# start_mongo runs FerretDB (a MongoDB wire-protocol server, a Go module)
# on its SQLite backend on 127.0.0.1:57017 unless GATEHOUSE_MONGO_URL is
# set, and exports the URL. The binary is built once from the module
# proxy (go install alone gives one that panics for a missing version
# file) and cached under ~/.cache/gatehouse.
FERRETDB_VERSION=v1.24.2
start_mongo() {
  if [ -n "${GATEHOUSE_MONGO_URL:-}" ]; then return; fi
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse/ferretdb-$FERRETDB_VERSION"
  if [ ! -x "$cache/ferretdb" ]; then
    echo "== building FerretDB $FERRETDB_VERSION (Go module proxy; once)"
    local src build
    src=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    build=$(mktemp -d /tmp/gatehouse-ferretdb-src.XXXXXX)
    cp -r "$src/." "$build/"
    chmod -R u+w "$build"
    echo "$FERRETDB_VERSION" > "$build/build/version/version.txt"
    mkdir -p "$cache"
    (cd "$build" && GOFLAGS=-mod=mod go build -o "$cache/ferretdb" ./cmd/ferretdb)
    rm -rf "$build"
  fi
  local dir port=57017
  dir=$(mktemp -d /tmp/gatehouse-ferretdb.XXXXXX)
  "$cache/ferretdb" --handler=sqlite --sqlite-url="file:$dir/" --listen-addr="127.0.0.1:$port" \
    --telemetry=disable --state-dir="$dir" --debug-addr=- --log-level=error >"$dir/log" 2>&1 &
  local pid=$!
  cleanup+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf $dir")
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  export GATEHOUSE_MONGO_URL="mongodb://127.0.0.1:$port/"
  echo "== FerretDB $FERRETDB_VERSION (SQLite backend) on 127.0.0.1:$port"
}
