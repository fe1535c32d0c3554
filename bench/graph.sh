#!/usr/bin/env bash
# Graph queries on a large directory: latency and throughput of Portico's /v1.0/users queries
# at growing directory sizes (default 10,000 then 1,000,000 users), on SQLite and, when one is
# reachable, on PostgreSQL, so that the growth from the smallest to the largest size can be read
# off (the issue asks for at most logarithmic growth). Prints figures; asserts nothing.
#
#   bench/graph.sh [PORTICO_BINARY]
#       default target/release/portico if present, else target/debug/portico (never builds:
#       `cargo build --release -p portico` first; figures from a debug build are not comparable)
#   environment (defaults):
#       BENCH_USERS="10000 1000000"   directory sizes, ascending; seeding is additive
#       BENCH_SECONDS=10              duration of each query's load run (after a 1 s warm-up)
#       BENCH_CONNECTIONS=8           concurrent connections of each load run
#       BENCH_PAGE_USERS=100000       users to page through with $top=999
#       BENCH_BACKENDS="sqlite postgres"
#       BENCH_SEED_TIMEOUT=1800       seconds allowed to each `portico user seed`
#       BENCH_ANALYZE=0               1: run ANALYZE after each seed (planner statistics), to tell
#                                     a missing index from missing statistics; the default
#                                     measures the database as the seed leaves it
#   needs curl, python3, node + npm (autocannon, installed into bench/peer as bench/token.sh
#   does); PostgreSQL at 127.0.0.1:5432, user postgres with trust auth, psql/createdb/dropdb.
#
# For each backend: a fresh data dir (and a throwaway database portico_bench_<pid> on
# PostgreSQL, dropped at the end); `portico serve` on 127.0.0.1 port 0; a tenant "Graph Bench"
# and an app with User.Read.All made with the CLI; then for each size: stop the server, `portico
# user seed --start <seeded so far> --count <the rest>`, start it again, take an app-only token
# (client credentials, scope https://graph.microsoft.com/.default) and measure each query with
# autocannon (p50/p99 of the 2xx responses, requests/s), then page through BENCH_PAGE_USERS
# users by @odata.nextLink with $top=999. Loopback only; every step is under a timeout and every
# process started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_USERS="${BENCH_USERS:-10000 1000000}"
BENCH_SECONDS="${BENCH_SECONDS:-10}"
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-8}"
BENCH_PAGE_USERS="${BENCH_PAGE_USERS:-100000}"
BENCH_BACKENDS="${BENCH_BACKENDS:-sqlite postgres}"
BENCH_SEED_TIMEOUT="${BENCH_SEED_TIMEOUT:-1800}"
BENCH_ANALYZE="${BENCH_ANALYZE:-0}"
PG_HOST=127.0.0.1 PG_PORT=5432 PG_USER=postgres PG_DB="portico_bench_$$"
SERVER_LIMIT=1800 # no server lives longer: each one serves one size's measurements

if [ $# -ge 1 ]; then BIN=$1
elif [ -x target/release/portico ]; then BIN=target/release/portico
else BIN=target/debug/portico; fi
[ -x "$BIN" ] || { echo "bench/graph.sh: no portico binary at $BIN (cargo build --release -p portico)" >&2; exit 1; }
for tool in curl python3 node npm timeout; do
  command -v "$tool" >/dev/null || { echo "bench/graph.sh needs $tool" >&2; exit 1; }
done
for s in $BENCH_USERS; do
  [[ $s =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_USERS: '$s' is not a positive number" >&2; exit 1; }
done
"$BIN" user seed --help >/dev/null 2>&1 \
  || { echo "bench/graph.sh: $BIN has no 'portico user seed'; build a newer binary" >&2; exit 1; }

# None of the caller's PORTICO_* settings (PORTICO_DATABASE_URL would move the SQLite run).
while read -r v; do unset "$v"; done < <(compgen -e | grep '^PORTICO_' || true)
export PORTICO_BOOTSTRAP_ADMIN_PASSWORD='Bench-Passw0rd'

TMP=$(mktemp -d)
SRV="" CUR="" PG_MADE=""
# Stops the server (SIGTERM, then SIGKILL to its process group after 30 s).
stop_server() {
  [ -n "$SRV" ] || return 0
  kill -TERM "$SRV" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$SRV" 2>/dev/null || true
  wait "$SRV" 2>/dev/null || true
  SRV=""
}
cleanup() {
  if [ -n "$CUR" ]; then kill -TERM -- "-$CUR" 2>/dev/null || true; kill -TERM "$CUR" 2>/dev/null || true; fi
  stop_server
  if [ -n "$PG_MADE" ]; then
    timeout 60 dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$PG_DB" 2>/dev/null \
      || echo "could not drop database $PG_DB" >&2
  fi
  rm -rf "$TMP"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bounded SECONDS CMD...: runs CMD under timeout (its own process group), stoppable by the trap.
bounded() {
  local limit=$1 rc=0; shift
  timeout -k 5 "$limit" "$@" & CUR=$!
  wait "$CUR" || rc=$?
  CUR=""
  return "$rc"
}

# A copy of the binary: a rebuild during the run cannot mix two versions.
cp "$BIN" "$TMP/portico"; P="$TMP/portico"

# ---- machine and build facts ----
if command -v readelf >/dev/null && readelf -S "$BIN" 2>/dev/null | grep -q '\.debug_'; then PROFILE=debug
elif [[ $BIN == */debug/* ]]; then PROFILE=debug
elif [[ $BIN == */release/* ]]; then PROFILE=release
else PROFILE="release? (no debug info)"; fi
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/^MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "binary:  $BIN ($("$P" --version)), build profile: $PROFILE"
if [ "$PROFILE" = debug ]; then
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!! WARNING: DEBUG BUILD. These figures are not comparable with anything.          !!!"
  echo "!!! Measure with a release build: cargo build --release -p portico                !!!"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
fi
echo "load:    autocannon, $BENCH_CONNECTIONS connections, ${BENCH_SECONDS} s per query after a 1 s warm-up; sizes: $BENCH_USERS$([ "$BENCH_ANALYZE" = 1 ] && echo '; ANALYZE after each seed')"
echo

if [ ! -x bench/peer/node_modules/.bin/autocannon ]; then
  (cd bench/peer && timeout 600 npm install --silent --no-audit --no-fund >/dev/null 2>&1) \
    || { echo "bench/graph.sh: npm install in bench/peer failed" >&2; exit 1; }
fi
export AUTOCANNON="$PWD/bench/peer/node_modules/autocannon"

# The client: `load BASE PATH...` (autocannon, requests rotated over the paths; latency of each
# 2xx response kept exactly, not in autocannon's 1 ms buckets) and `page BASE LIMIT` (follows
# @odata.nextLink). Both take the headers from $HEADERS (JSON) and print one JSON line.
cat > "$TMP/client.cjs" <<'JS'
const [mode, base, ...rest] = process.argv.slice(2);
const headers = JSON.parse(process.env.HEADERS);
const pct = (s, p) => (s.length ? s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] : null);
async function load(paths) {
  const autocannon = require(process.env.AUTOCANNON);
  const seconds = Number(process.env.BENCH_SECONDS), connections = Number(process.env.BENCH_CONNECTIONS);
  const run = autocannon({
    url: base, connections, duration: seconds, timeout: 30, headers,
    requests: paths.map((path) => ({ method: 'GET', path })),
    warmup: { connections, duration: 1 },
  });
  const lat = [];
  run.on('response', (_client, status, _bytes, ms) => { if (status >= 200 && status < 300) lat.push(ms); });
  const r = await run;
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99), rps: lat.length / r.duration, ok: lat.length,
    non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
}
async function page(limit) {
  let url = `${base}/v1.0/users?$top=999`, users = 0;
  const times = [], t0 = performance.now();
  while (url && users < limit) {
    const t = performance.now();
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
    const body = await res.json();
    times.push(performance.now() - t);
    if (!res.ok) throw new Error(`HTTP ${res.status} on page ${times.length}: ${JSON.stringify(body).slice(0, 300)}`);
    users += body.value.length;
    const next = body['@odata.nextLink'];
    url = next ? next.replace(/^https?:\/\/[^/]+/, base) : null; // same server, whatever host it names
  }
  const seconds = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return { pages: times.length, users, seconds, p50: pct(times, 50), p99: pct(times, 99), more: Boolean(url) };
}
(mode === 'load' ? load(rest) : page(Number(rest[0])))
  .then((r) => console.log(JSON.stringify(r)))
  .catch((e) => { console.error(e.message || e); process.exit(1); });
JS

jget() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[k]
print(v)' "$@"; }
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# start_server: `portico serve` on 127.0.0.1:0; sets SRV and BASE from its "listening on" line.
start_server() {
  local log="$TMP/server.$(date +%s%N).log" t0; : >"$log"
  t0=$(date +%s%3N)
  timeout -k 10 "$SERVER_LIMIT" "$P" serve "${DBARGS[@]}" --listen 127.0.0.1:0 \
    --log-level 'warn,portico::server=info' --log-format json >>"$TMP/server.out" 2>"$log" &
  SRV=$!; BASE=""
  for _ in $(seq 600); do
    BASE=$(grep -o 'listening on https\?://[0-9.:]*' "$log" | head -1 | cut -d' ' -f3) || true
    [ -n "$BASE" ] && break
    kill -0 "$SRV" 2>/dev/null || { echo "portico serve exited:" >&2; cat "$log" >&2; SRV=""; return 1; }
    sleep 0.1
  done
  [ -n "$BASE" ] || { echo "portico serve did not listen within 60 s:" >&2; cat "$log" >&2; return 1; }
  for _ in $(seq 600); do
    [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ] && break; sleep 0.1
  done
  [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ] \
    || { echo "portico serve not ready within 60 s:" >&2; cat "$log" >&2; return 1; }
  START_MS=$(( $(date +%s%3N) - t0 ))
}

# cli ARGS...: an operator command on this backend's database; its output in $TMP/cli.out.
cli() {
  bounded 120 "$P" "$@" "${DBARGS[@]}" >"$TMP/cli.out" 2>"$TMP/cli.err" \
    || { echo "portico $*: failed: $(cat "$TMP/cli.err")" >&2; return 1; }
}

# token: an app-only Graph token (client credentials) into TOK.
token() {
  curl -s -m 30 -o "$TMP/token.json" -X POST "$BASE/$TENANT/oauth2/v2.0/token" \
    --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$CLIENT" \
    --data-urlencode "client_secret=$SECRET" --data-urlencode scope=https://graph.microsoft.com/.default || true
  TOK=$(jget access_token < "$TMP/token.json" 2>/dev/null) \
    || { echo "token request failed: $(head -c 300 "$TMP/token.json")" >&2; return 1; }
}

ROW='%-52s %8s %9s %9s %9s %8s\n'
# query LABEL HEADER PATH...: one checked request (its status and result size: the number of
# users, or the count), then the load run over the paths; prints a table row and appends
# "backend size label p50 p99 rps" to $TMP/results. HEADER is "Name: value" or empty.
query() {
  local label=$1 header=$2 rows code out p50 p99 rps bad; shift 2
  local args=(-H "Authorization: Bearer $TOK"); [ -z "$header" ] || args+=(-H "$header")
  code=$(curl -s -m 30 -o "$TMP/check" -w '%{http_code}' "${args[@]}" "$BASE$1")
  if [ "$code" != 200 ]; then
    printf "$ROW" "$label" "HTTP $code" - - - -; echo "    $(head -c 300 "$TMP/check")"; return 0
  fi
  rows=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(v if not isinstance(v, dict) else len(v["value"]) if "value" in v else 1)' "$TMP/check")
  if ! HEADERS=$(python3 -c 'import json,sys; h={"authorization": "Bearer " + sys.argv[1]}
if sys.argv[2]: k, v = sys.argv[2].split(": ", 1); h[k.lower()] = v
print(json.dumps(h))' "$TOK" "$header") BENCH_SECONDS="$BENCH_SECONDS" BENCH_CONNECTIONS="$BENCH_CONNECTIONS" \
      bounded $((BENCH_SECONDS + 90)) node "$TMP/client.cjs" load "$BASE" "$@" >"$TMP/load.json" 2>"$TMP/load.err"; then
    printf "$ROW" "$label" "$rows" failed - - -; echo "    $(head -c 300 "$TMP/load.err")"; return 0
  fi
  out=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); f=lambda x: "-" if x is None else "%.2f" % x
print(f(r["p50"]), f(r["p99"]), "%.0f" % r["rps"], r["non2xx"] + r["errors"])' "$TMP/load.json")
  read -r p50 p99 rps bad <<<"$out"
  printf "$ROW" "$label" "$rows" "$p50" "$p99" "$rps" "$bad"
  [ "$p50" = - ] || printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$BACKEND_NAME" "$SIZE" "$label" "$p50" "$p99" "$rps" >> "$TMP/results"
}

paging() {
  if ! HEADERS="{\"authorization\":\"Bearer $TOK\"}" \
      bounded 600 node "$TMP/client.cjs" page "$BASE" "$BENCH_PAGE_USERS" >"$TMP/page.json" 2>"$TMP/page.err"; then
    echo "paging \$top=999: failed: $(head -c 300 "$TMP/page.err")"; return 0
  fi
  python3 - "$TMP/page.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"paging $top=999 by @odata.nextLink: {r['users']} users in {r['pages']} pages, {r['seconds']:.2f} s "
      f"({r['pages'] / r['seconds']:.1f} pages/s, {r['users'] / r['seconds']:.0f} users/s); "
      f"per page p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms" + ("" if r["more"] else "; reached the last page"))
PY
}

# stats_state: whether the query planner has statistics on users and user_identities (without
# them both SQLite and PostgreSQL may walk the primary key in id order instead of using an index).
stats_state() {
  if [ "$BACKEND_NAME" = PostgreSQL ]; then
    timeout 30 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -Atq -F ' ' -c \
      "select relname, coalesce(to_char(greatest(last_analyze, last_autoanalyze), 'HH24:MI:SS'), 'never')
       from pg_stat_user_tables where relname in ('users', 'user_identities') order by relname" 2>/dev/null \
      | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, ($2 == "never" ? "never analyzed" : "analyzed at " $2)}' || echo unknown
  else
    python3 - "$DATA/portico.db" <<'PY' 2>/dev/null || echo unknown
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
has = c.execute("select count(*) from sqlite_master where name = 'sqlite_stat1'").fetchone()[0]
done = {r[0] for r in c.execute("select distinct tbl from sqlite_stat1")} if has else set()
print(", ".join(f"{t} {'analyzed' if t in done else 'never analyzed'}" for t in ("users", "user_identities")))
PY
  fi
}

# analyze: planner statistics for the whole database (the server is stopped).
analyze() {
  if [ "$BACKEND_NAME" = PostgreSQL ]; then
    bounded 600 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -qc ANALYZE
  else
    bounded 600 python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("ANALYZE"); c.commit()' "$DATA/portico.db"
  fi
}

measure_backend() { # BACKEND_NAME and DBARGS set
  local seeded=0 t0 ms count dbsize code
  start_server
  cli tenant create "Graph Bench"; read -r TENANT _ < "$TMP/cli.out"
  cli app create --tenant "$TENANT" --name "Graph bench" --graph-permission User.Read.All
  CLIENT=$(jget appId < "$TMP/cli.out"); SECRET=$(jget password < "$TMP/cli.out")
  for SIZE in $BENCH_USERS; do
    if [ "$SIZE" -le "$seeded" ]; then echo "BENCH_USERS must grow: $SIZE after $seeded; skipped"; continue; fi
    # The seed works while the server runs, but a stopped server is safe either way and gives
    # every size the same start: a fresh process on the grown database.
    stop_server
    t0=$(date +%s%3N)
    if ! bounded "$BENCH_SEED_TIMEOUT" "$P" user seed --tenant "$TENANT" --start "$seeded" --count $((SIZE - seeded)) \
        "${DBARGS[@]}" >"$TMP/seed.out" 2>&1; then
      echo "== $BACKEND_NAME: portico user seed to $SIZE failed or passed ${BENCH_SEED_TIMEOUT} s; larger sizes skipped:"
      tail -5 "$TMP/seed.out"; return 0
    fi
    ms=$(( $(date +%s%3N) - t0 )); seeded=$SIZE
    if [ "$BENCH_ANALYZE" = 1 ]; then analyze; fi
    start_server
    token
    count=$(curl -s -m 60 -H "Authorization: Bearer $TOK" -H 'ConsistencyLevel: eventual' "$BASE/v1.0/users/\$count")
    if [ "$BACKEND_NAME" = PostgreSQL ]; then
      dbsize=$(timeout 30 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -Atqc 'select pg_size_pretty(pg_database_size(current_database()))' 2>/dev/null || echo '?')
    else
      dbsize=$(du -sh "$DATA" | cut -f1)
    fi
    echo "== $BACKEND_NAME, $SIZE users in the tenant (\$count: $count); database $dbsize"
    echo "   seed: $(tail -1 "$TMP/seed.out") [wall $((ms / 1000)).$(printf %03d $((ms % 1000))) s]; server ready in $START_MS ms after it"
    code=$(curl -s -m 30 -o "$TMP/first.json" -w '%{http_code}' -H "Authorization: Bearer $TOK" "$BASE/v1.0/users?\$top=100&\$select=id")
    [ "$code" = 200 ] || { echo "GET /v1.0/users: HTTP $code $(head -c 300 "$TMP/first.json")" >&2; return 1; }
    mapfile -t IDS < <(python3 -c 'import json,sys; [print(u["id"]) for u in json.load(open(sys.argv[1]))["value"]]' "$TMP/first.json")
    echo "   planner statistics before: $(stats_state)"
    printf "$ROW" query rows "p50 ms" "p99 ms" "req/s" "non-2xx"
    local paths=() id
    for id in "${IDS[@]}"; do paths+=("/v1.0/users/$id"); done
    query "GET /users/{id} (${#IDS[@]} ids in turn)" "" "${paths[@]}"
    query "startswith(displayName,'Seed User 00012') \$top=100" "" \
      "/v1.0/users?\$filter=$(enc "startswith(displayName,'Seed User 00012')")&\$top=100"
    query "mail eq 'seed0001234@seed.example'" "" \
      "/v1.0/users?\$filter=$(enc "mail eq 'seed0001234@seed.example'")"
    query "identities/any(issuer and issuerAssignedId)" "" \
      "/v1.0/users?\$filter=$(enc "identities/any(c:c/issuer eq 'seed.example' and c/issuerAssignedId eq 'seed0001234@seed.example')")"
    query "/users/\$count (ConsistencyLevel: eventual)" "ConsistencyLevel: eventual" "/v1.0/users/\$count"
    paging
    echo "   planner statistics after:  $(stats_state)"
    echo
  done
  stop_server
}

: > "$TMP/results"
for backend in $BENCH_BACKENDS; do
  case $backend in
    sqlite)
      BACKEND_NAME=SQLite; DATA="$TMP/sqlite"; DBARGS=(--data-dir "$DATA")
      measure_backend ;;
    postgres)
      if ! command -v psql >/dev/null || ! command -v createdb >/dev/null \
          || [ "$(timeout 5 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -Atqc 'select 1' 2>/dev/null)" != 1 ]; then
        echo "== PostgreSQL: not reachable at $PG_HOST:$PG_PORT as $PG_USER (or psql/createdb missing); skipped"; echo; continue
      fi
      timeout 30 createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$PG_DB"; PG_MADE=1
      echo "PostgreSQL $(timeout 10 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -Atqc 'show server_version'),\
 autovacuum $(timeout 10 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -Atqc 'show autovacuum'),\
 database $PG_DB (dropped at the end)"
      BACKEND_NAME=PostgreSQL; DATA="$TMP/postgres" # master.key lives in the data dir
      DBARGS=(--data-dir "$DATA" --database-url "postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB")
      measure_backend ;;
    *) echo "BENCH_BACKENDS: unknown backend '$backend' (sqlite, postgres)" >&2 ;;
  esac
done

# Growth from the smallest to the largest size measured, per backend and query.
python3 - "$TMP/results" <<'PY'
import sys, math
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = {}
for backend, size, label, p50, p99, rps in rows:
    by.setdefault((backend, label), []).append((int(size), float(p50), float(p99)))
lines = []
for (backend, label), v in by.items():
    v.sort()
    (s0, a50, a99), (s1, b50, b99) = v[0], v[-1]
    if s1 > s0:
        lines.append(f"{backend:<11} {label:<52} p50 x{b50 / a50:5.2f}  p99 x{b99 / a99:5.2f}")
if lines:
    s0, s1 = min(int(r[1]) for r in rows), max(int(r[1]) for r in rows)
    print(f"latency growth from {s0} to {s1} users (logarithmic growth would be x{math.log(s1) / math.log(s0):.2f}, linear x{s1 / s0:.0f}):")
    print("\n".join(lines))
PY
[ "$PROFILE" != debug ] || echo "!!! WARNING: these figures come from a DEBUG BUILD ($BIN): not comparable with anything."
