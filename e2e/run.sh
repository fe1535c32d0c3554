#!/usr/bin/env bash
# Black-box end-to-end tests: the real portico binary driven by real third-party clients
# (openid-client + headless Chromium over http, MSAL Python over TLS, the Microsoft Graph SDKs:
# msgraph-sdk for Python over http, @microsoft/microsoft-graph-client over TLS), for B2B
# invitation redemption a real SMTP server (aiosmtpd) with Chromium driven by Selenium, for
# federation real OpenID providers (node-oidc-provider, e2e/partner_idp.mjs) with Chromium, and for
# SAML federation a real SAML 2.0 IdP (pysaml2 with xmlsec1, e2e/saml_idp.py) with Chromium, and
# for the admin portal and My Apps headless Chromium through playwright-core (screenshots in
# e2e/artifacts/portal/).
#
#   e2e/run.sh [PATH/TO/portico]        default: target/debug/portico
#
# Installs what it needs when missing (Debian chromium, and chromium-driver for the redemption,
# federation and saml-federation suites, xmlsec1 for saml-federation, as root when such a suite
# runs; npm ci, oidc-provider included; a venv with msal, msgraph-sdk, aiosmtpd, selenium and
# pysaml2), makes a throwaway CA and server
# certificate, runs each suite under a timeout and prints a summary. Every server listens on
# 127.0.0.1 with a fresh data dir and is stopped on exit.
# Environment: E2E_SUITES="openid-client msal graph-sdk-python graph-sdk-js redemption federation
# saml-federation portal"
# (which suites), E2E_SUITE_TIMEOUT=180 (seconds per suite), E2E_REDEMPTION_TIMEOUT=360 (the
# redemption suite waits out mail retry back-off), CHROMIUM=/usr/bin/chromium,
# CHROMEDRIVER=/usr/bin/chromedriver.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BIN="${1:-$ROOT/target/debug/portico}"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
SUITES="${E2E_SUITES:-openid-client msal graph-sdk-python graph-sdk-js redemption federation saml-federation portal}"
SUITE_TIMEOUT="${E2E_SUITE_TIMEOUT:-180}"
REDEMPTION_TIMEOUT="${E2E_REDEMPTION_TIMEOUT:-$(( SUITE_TIMEOUT > 360 ? SUITE_TIMEOUT : 360 ))}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

say() { echo "e2e: $*"; }
die() { echo "e2e: $*" >&2; exit 2; }

[ -x "$BIN" ] || die "no portico binary at $BIN: build it first (cargo build) or pass its path"
BIN="$(realpath "$BIN")"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/portico-e2e.XXXXXX")"
suite_pid=""
cleanup() {
  # A suite still running (interrupted): timeout passes the signal on to the suite's process group.
  if [ -n "$suite_pid" ]; then kill -TERM "$suite_pid" 2>/dev/null || true; wait "$suite_pid" 2>/dev/null || true; fi
  # Stop any server a suite left running, by its pid, only if it still is that portico.
  if [ -f "$TMP/pids" ]; then
    while read -r pid; do
      if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$BIN" ]; then kill "$pid" 2>/dev/null || true; fi
    done <"$TMP/pids"
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- installs (idempotent, quiet) ----
started=$SECONDS
# Debian packages for the suites that drive a browser: chromium (openid-client and portal through
# playwright-core, redemption, federation and saml-federation through Selenium), chromium-driver
# (redemption, federation, saml-federation); xmlsec1 for saml-federation (pysaml2 signs with it).
debs=()
selenium_suite=false
if [[ " $SUITES " == *" redemption "* || " $SUITES " == *" federation "* || " $SUITES " == *" saml-federation "* ]]; then selenium_suite=true; fi
if { [[ " $SUITES " == *" openid-client "* || " $SUITES " == *" portal "* ]] || $selenium_suite; } && [ ! -x "$CHROMIUM" ]; then debs+=(chromium); fi
if $selenium_suite && [ ! -x "$CHROMEDRIVER" ]; then debs+=(chromium-driver); fi
if [[ " $SUITES " == *" saml-federation "* ]] && ! command -v xmlsec1 >/dev/null; then debs+=(xmlsec1); fi
if [ ${#debs[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing for the browser and SAML suites: as root run 'apt-get install ${debs[*]}' (or set CHROMIUM=/path/to/chromium, CHROMEDRIVER=/path/to/chromedriver)"
  say "installing ${debs[*]} (apt-get)"
  if ! timeout 600 bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"' _ "${debs[@]}" >"$TMP/apt.log" 2>&1; then
    tail -n 20 "$TMP/apt.log" >&2
    die "apt-get install ${debs[*]} failed"
  fi
fi
if ! cmp -s "$HERE/package-lock.json" "$HERE/node_modules/.e2e-installed"; then
  say "npm ci"
  if ! (cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$TMP/npm.log" 2>&1; then
    cat "$TMP/npm.log" >&2
    die "npm ci failed"
  fi
  cp "$HERE/package-lock.json" "$HERE/node_modules/.e2e-installed"
fi
if [ ! -x "$HERE/.venv/bin/python" ] || ! cmp -s "$HERE/requirements.txt" "$HERE/.venv/.e2e-installed"; then
  say "creating the Python venv (msal, msgraph-sdk, aiosmtpd, selenium, pysaml2)"
  if ! { python3 -m venv "$HERE/.venv" && timeout 300 "$HERE/.venv/bin/pip" install -q -r "$HERE/requirements.txt"; } >"$TMP/pip.log" 2>&1; then
    cat "$TMP/pip.log" >&2
    die "creating the venv failed"
  fi
  cp "$HERE/requirements.txt" "$HERE/.venv/.e2e-installed"
fi
if [ $((SECONDS - started)) -gt 1 ]; then say "installs took $((SECONDS - started))s"; fi

# ---- a throwaway CA and a server certificate for 127.0.0.1 / localhost / ::1 ----
tls="$TMP/tls"
mkdir -p "$tls"
(
  cd "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=Portico e2e test CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
) >"$TMP/openssl.log" 2>&1 || { cat "$TMP/openssl.log" >&2; die "openssl failed"; }

export PORTICO_BIN="$BIN" E2E_TMP="$TMP" E2E_CA="$tls/ca.pem" E2E_TLS_CERT="$tls/server.pem" E2E_TLS_KEY="$tls/server.key"

# ---- the suites ----
results=()
failed=0
run_suite() { # name seconds command...
  local name="$1" limit="$2" start=$SECONDS rc=0
  shift 2
  say "=== $name"
  rm -f "$TMP"/portico-*.log "$TMP"/partner-*.log
  # timeout signals its whole process group, so servers and browsers started by the suite stop too.
  timeout --kill-after=10 "$limit" "$@" &
  suite_pid=$!
  wait "$suite_pid" || rc=$?
  suite_pid=""
  local took=$((SECONDS - start))
  if [ "$rc" = 0 ]; then
    results+=("passed  $name (${took}s)")
  else
    failed=$((failed + 1))
    if [ "$rc" = 124 ]; then results+=("FAILED  $name: timed out after ${limit}s"); else results+=("FAILED  $name (exit $rc, ${took}s)"); fi
    for log in "$TMP"/portico-*.log "$TMP"/partner-*.log; do
      [ -f "$log" ] && { echo "--- last lines of $(basename "$log")"; tail -n 40 "$log"; }
    done
  fi
}

for suite in $SUITES; do
  case "$suite" in
    openid-client) run_suite openid-client "$SUITE_TIMEOUT" node --test --test-reporter=spec "$HERE/openid-client.test.mjs" ;;
    msal) run_suite msal "$SUITE_TIMEOUT" env REQUESTS_CA_BUNDLE="$E2E_CA" SSL_CERT_FILE="$E2E_CA" "$HERE/.venv/bin/python" "$HERE/msal_test.py" ;;
    graph-sdk-python) run_suite graph-sdk-python "$SUITE_TIMEOUT" "$HERE/.venv/bin/python" "$HERE/graph_sdk_test.py" ;;
    # node reads NODE_EXTRA_CA_CERTS only at start-up: its fetch then trusts the test CA.
    graph-sdk-js) run_suite graph-sdk-js "$SUITE_TIMEOUT" env NODE_EXTRA_CA_CERTS="$E2E_CA" node --test --test-reporter=spec "$HERE/graph-sdk.test.mjs" ;;
    # Its own limit: mail retries back off 15 s, 30 s, ... and a crash leaves claimed mail leased for 2 minutes.
    redemption) run_suite redemption "$REDEMPTION_TIMEOUT" "$HERE/.venv/bin/python" "$HERE/redemption_test.py" ;;
    # Two partner_idp.mjs providers (node) besides portico; every wait in it is bounded.
    federation) run_suite federation "$SUITE_TIMEOUT" "$HERE/.venv/bin/python" "$HERE/federation_test.py" ;;
    # saml_idp.py (pysaml2, its own python process) besides portico; every wait in it is bounded.
    saml-federation) run_suite saml-federation "$SUITE_TIMEOUT" "$HERE/.venv/bin/python" "$HERE/saml_federation_test.py" ;;
    # The admin portal and My Apps in Chromium (playwright-core); screenshots in e2e/artifacts/portal/.
    portal) run_suite portal "$SUITE_TIMEOUT" node --test --test-reporter=spec "$HERE/portal.test.mjs" ;;
    *) die "unknown suite '$suite' (known: openid-client msal graph-sdk-python graph-sdk-js redemption federation saml-federation portal)" ;;
  esac
done

echo
say "summary"
printf '  %s\n' "${results[@]}"
say "$(( ${#results[@]} - failed )) passed, $failed failed"
[ "$failed" = 0 ]
