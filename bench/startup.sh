#!/usr/bin/env bash
# Measures Portico's time from process start to /readyz answering 200 (fresh SQLite database,
# so the figure includes migrations and the first-start bootstrap, and on a second start
# without them) and idle resident memory 2 s after ready; median of RUNS runs. The peer,
# node-oidc-provider, is measured in the same run the same way (time to its discovery document
# answering 200, idle RSS). Loopback only; bounded in time (each start gives up after 20 s and
# every process started is killed on exit).
#   bench/startup.sh [RUNS]      (default 7; builds the release binary if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-7}"
BIN=target/release/portico
[ -x "$BIN" ] || cargo build --release -p portico >&2
command -v curl >/dev/null || { echo "bench/startup.sh needs curl" >&2; exit 1; }

PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null; done; return 0; }
trap cleanup EXIT
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_ready URL PID -> prints ms since $START when URL answered 200 (gives up after 20 s)
wait_ready() {
  local url=$1 pid=$2 deadline=$(( $(now_ms) + 20000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" = 200 ]; then
      echo $(( $(now_ms) - START )); return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "process died" >&2; return 1; }
    sleep 0.002
  done
  echo "not ready within 20 s" >&2; return 1
}

measure_portico() { # $1 = fresh|warm ; prints "ready_ms rss_kib"
  local dir port pid ready rss
  dir=$(mktemp -d); port=$(free_port)
  if [ "$1" = warm ]; then
    PORTICO_BOOTSTRAP_ADMIN_PASSWORD='Bench-Passw0rd' "$BIN" migrate --data-dir "$dir" >/dev/null 2>&1
    PORTICO_BOOTSTRAP_ADMIN_PASSWORD='Bench-Passw0rd' "$BIN" serve --data-dir "$dir" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
    pid=$!; PIDS+=("$pid"); START=$(now_ms); wait_ready "http://127.0.0.1:$port/readyz" $pid >/dev/null; kill -TERM $pid; wait $pid || true
  fi
  START=$(now_ms)
  PORTICO_BOOTSTRAP_ADMIN_PASSWORD='Bench-Passw0rd' "$BIN" serve --data-dir "$dir" --listen "127.0.0.1:$port" --log-level warn >/dev/null 2>&1 &
  pid=$!; PIDS+=("$pid")
  ready=$(wait_ready "http://127.0.0.1:$port/readyz" $pid)
  sleep 2; rss=$(rss_kib $pid)
  kill -TERM $pid; wait $pid || true; rm -rf "$dir"
  echo "$ready $rss"
}

measure_peer() { # prints "ready_ms rss_kib"
  local port pid ready rss
  port=$(free_port); START=$(now_ms)
  node bench/peer/server.mjs "$port" >/dev/null 2>&1 &
  pid=$!; PIDS+=("$pid")
  ready=$(wait_ready "http://127.0.0.1:$port/.well-known/openid-configuration" $pid)
  sleep 2; rss=$(rss_kib $pid)
  kill -TERM $pid; wait $pid 2>/dev/null || true
  echo "$ready $rss"
}

report() { # name file
  local r m
  r=$(cut -d' ' -f1 "$2" | median); m=$(cut -d' ' -f2 "$2" | median)
  printf '%-44s ready %7s ms   idle RSS %6.1f MiB   (median of %s)\n' "$1" "$r" "$(echo "$m / 1024" | bc -l)" "$(wc -l < "$2")"
}

tmp=$(mktemp -d)
for _ in $(seq "$RUNS"); do measure_portico fresh >> "$tmp/fresh"; done
for _ in $(seq "$RUNS"); do measure_portico warm >> "$tmp/warm"; done
echo "machine: $(nproc) cores, $(uname -r); portico $("$BIN" --version | cut -d' ' -f2)"
report "portico serve, empty SQLite (migrate+bootstrap)" "$tmp/fresh"
report "portico serve, existing SQLite database" "$tmp/warm"
if command -v node >/dev/null && { [ -d bench/peer/node_modules/oidc-provider ] || (cd bench/peer && npm install --silent --no-audit --no-fund >/dev/null 2>&1); }; then
  for _ in $(seq "$RUNS"); do measure_peer >> "$tmp/peer"; done
  report "peer: node-oidc-provider $(node -p "require('./bench/peer/node_modules/oidc-provider/package.json').version")" "$tmp/peer"
else
  echo "peer: node-oidc-provider not available (needs node and npm); skipped"
fi
echo "published: Keycloak asks 1250 MB per pod; Rauthy idles at 35-65 MB"
rm -rf "$tmp"
