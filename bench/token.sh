#!/usr/bin/env bash
# Loads the client credentials token endpoint of Portico (release build, SQLite) and of
# node-oidc-provider (in-memory, RS256 JWT access tokens) with the same tool (wrk) in the same
# run, and prints requests/s, p50 and p99 for both and the ratio. Loopback only, bounded:
# DURATION seconds per run (default 10), CONNECTIONS (default 32).
#   bench/token.sh            needs wrk (apt-get install wrk), curl, node + npm for the peer
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
BIN=target/release/portico
[ -x "$BIN" ] || cargo build --release -p portico >&2
command -v wrk >/dev/null || { echo "bench/token.sh needs wrk (apt-get install wrk)" >&2; exit 1; }
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null; done; rm -rf "${TMP:-/nonexistent}"; return 0; }
trap cleanup EXIT
TMP=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_200() { for _ in $(seq 1 2000); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0; sleep 0.01; done; echo "not ready: $1" >&2; return 1; }

# load NAME URL BODY -> "rps p50 p99 non2xx"
load() {
  cat > "$TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "$3"
LUA
  [ "$(curl -s -o "$TMP/check" -w '%{http_code}' -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data "$3" "$2")" = 200 ] \
    || { echo "$1: token request failed: $(cat "$TMP/check")" >&2; return 1; }
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$TMP/post.lua" "$2" > "$TMP/$1.wrk"
  local rps p50 p99 bad
  rps=$(awk '/^Requests\/sec/ {print $2}' "$TMP/$1.wrk")
  p50=$(awk '$1=="50%" {print $2}' "$TMP/$1.wrk")
  p99=$(awk '$1=="99%" {print $2}' "$TMP/$1.wrk")
  bad=$(awk '/Non-2xx/ {print $NF}' "$TMP/$1.wrk"); bad=${bad:-0}
  echo "$rps $p50 $p99 $bad"
}

# paced NAME URL BODY RATE -> "rate p50 p99 non2xx": autocannon at a fixed overall rate (latency
# corrected for coordinated omission), for the "p99 at half the peak load" figure.
paced() {
  bench/peer/node_modules/.bin/autocannon -c 16 -d "$DURATION" -R "$4" -m POST \
    -H 'content-type=application/x-www-form-urlencoded' -b "$3" -j "$2" 2>/dev/null > "$TMP/$1.ac.json"
  python3 - "$TMP/$1.ac.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['requests']['average']} {r['latency']['p50']}ms {r['latency']['p99']}ms {r.get('non2xx', 0)}")
PY
}
if [ ! -x bench/peer/node_modules/.bin/autocannon ] || [ ! -d bench/peer/node_modules/oidc-provider ]; then
  (cd bench/peer && npm install --silent --no-audit --no-fund >/dev/null 2>&1)
fi

# Portico
PORT=$(free_port); DATA="$TMP/portico"
"$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --log-level warn >/dev/null 2>&1 &
PIDS+=($!)
wait_200 "http://127.0.0.1:$PORT/readyz"
api=$("$BIN" app create --data-dir "$DATA" --name "Bench API" --identifier-uri api://bench --app-role Bench.Read)
daemon=$("$BIN" app create --data-dir "$DATA" --name "Bench daemon")
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
"$BIN" app grant --data-dir "$DATA" "$(echo "$daemon" | field appId)" "$(echo "$api" | field appId)" Bench.Read >/dev/null
TENANT=$(echo "$daemon" | field tenant)
SECRET=$(echo "$daemon" | field password)
CLIENT=$(echo "$daemon" | field appId)
PBODY="grant_type=client_credentials&client_id=$CLIENT&client_secret=$SECRET&scope=api%3A%2F%2Fbench%2F.default"
P=$(load portico "http://127.0.0.1:$PORT/$TENANT/oauth2/v2.0/token" "$PBODY")
PH=$(paced portico "http://127.0.0.1:$PORT/$TENANT/oauth2/v2.0/token" "$PBODY" "$(echo "$P" | awk '{printf "%d", $1 / 2}')")

# Peer
NPORT=$(free_port)
node bench/peer/server.mjs "$NPORT" >/dev/null 2>&1 &
PIDS+=($!)
wait_200 "http://127.0.0.1:$NPORT/.well-known/openid-configuration"
NBODY="grant_type=client_credentials&client_id=bench&client_secret=bench-secret&resource=api%3A%2F%2Fbench&scope=read"
N=$(load peer "http://127.0.0.1:$NPORT/token" "$NBODY")
NH=$(paced peer "http://127.0.0.1:$NPORT/token" "$NBODY" "$(echo "$N" | awk '{printf "%d", $1 / 2}')")

echo "machine: $(nproc) cores; wrk -t2 -c$CONNECTIONS -d${DURATION}s, client_credentials, RS256 JWT access tokens"
printf '%-32s %10s %10s %10s %8s\n' server "requests/s" p50 p99 non-2xx
read -r rps p50 p99 bad <<<"$P"; printf '%-32s %10s %10s %10s %8s\n' "portico (SQLite)" "$rps" "$p50" "$p99" "$bad"; prps=$rps
read -r rps p50 p99 bad <<<"$N"; printf '%-32s %10s %10s %10s %8s\n' "node-oidc-provider $(node -p "require('./bench/peer/node_modules/oidc-provider/package.json').version")" "$rps" "$p50" "$p99" "$bad"
echo "ratio portico / node-oidc-provider: $(echo "scale=2; $prps / $rps" | bc)"
echo
echo "at half of each server's peak rate (autocannon -c16 -R, latency corrected for coordinated omission):"
printf '%-32s %10s %10s %10s %8s\n' server "requests/s" p50 p99 non-2xx
read -r rps p50 p99 bad <<<"$PH"; printf '%-32s %10s %10s %10s %8s\n' "portico (SQLite)" "$rps" "$p50" "$p99" "$bad"
read -r rps p50 p99 bad <<<"$NH"; printf '%-32s %10s %10s %10s %8s\n' "node-oidc-provider" "$rps" "$p50" "$p99" "$bad"
