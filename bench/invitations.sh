#!/usr/bin/env bash
# Invitations and redemptions: how many B2B invitations per second Portico takes through Graph
# (with their invitation mails, each of which must reach the SMTP server exactly once), how fast
# its outbox delivers them, and how many full email-passcode redemptions per second it serves,
# on SQLite and, when one is reachable, on PostgreSQL. Prints figures; asserts nothing (but
# never hides a lost or duplicated mail).
#
#   bench/invitations.sh [PORTICO_BINARY]
#       default target/release/portico if present, else target/debug/portico (never builds:
#       `cargo build --release -p portico` first; figures from a debug build are not comparable)
#   environment (defaults):
#       BENCH_SECONDS=10              duration of the invitation load (after a 1 s warm-up)
#       BENCH_CONNECTIONS=16          concurrent connections of the invitation load
#       BENCH_REDEMPTIONS=100         guests redeemed (M)
#       BENCH_REDEEM_WORKERS=16       concurrent redemptions (K); each a guest at a time
#       BENCH_BACKENDS="sqlite postgres"
#       BENCH_DRAIN_TIMEOUT=300       seconds allowed for the invitation mails to arrive
#   needs curl, python3 (standard library only), node >= 18 (its own http module: no npm);
#   PostgreSQL at 127.0.0.1:5432, user postgres with trust auth, psql/createdb/dropdb.
#
# For each backend: a fresh data dir (and a throwaway database portico_bench_inv_<pid> on
# PostgreSQL, dropped at the end); an SMTP sink (below) on a free loopback port; `portico serve`
# on 127.0.0.1 port 0 with PORTICO_SMTP_HOST=127.0.0.1, PORTICO_SMTP_PORT=<sink>,
# PORTICO_SMTP_SECURITY=plain.
#
# 1. Invitations. A tenant "Invitations Bench" and an app with the Graph application permission
#    User.Invite.All made with the CLI; an app-only token (client credentials). A Node client
#    keeps BENCH_CONNECTIONS requests in flight (one keep-alive connection each) for 1 s of
#    warm-up and then BENCH_SECONDS, each request `POST /v1.0/invitations` with
#    sendInvitationMessage=true to an address never used before (a counter). Reported: p50/p99
#    of the 201 responses, invitations/s (201s over the wall time of the measured part) and the
#    other outcomes by status.
# 2. Mails. Every 201 (warm-up included) promised one invitation mail. After the load the
#    script waits (at most BENCH_DRAIN_TIMEOUT) until the sink holds as many distinct
#    Message-IDs as there were 201s, then 2 s more for stragglers, and prints acknowledged /
#    delivered (acknowledged addresses that got a mail) / lost / duplicated (copies of a
#    Message-ID already received, plus second mails with another id to the same address) /
#    unacknowledged (mails to addresses whose request did not get a 201), how many had arrived
#    when the load ended, how long the rest took, and the delivery rate (mails/s from the first
#    mail to the last). Portico's mail worker sends 8 at a time over pooled SMTP connections,
#    in rounds of 100 (a new round at once while rounds are full or when its process queued
#    mail, else after 1 s).
# 3. Redemptions. BENCH_REDEMPTIONS guests invited with sendInvitationMessage=false (their
#    inviteRedeemUrl taken from the 201), then BENCH_REDEEM_WORKERS threads each redeem one
#    guest at a time over HTTP, like a browser without JavaScript: a cookie jar per guest;
#    GET the redeem link; POST the form to /redeem/{tenant}/send-code (hidden `flow` and
#    `csrf_token` and the action read from the page); wait for the newest mail to the guest's
#    address at the sink and take its 8-digit code; POST /code; POST /consent with
#    consent=accept, which must answer 303 to the inviteRedirectUrl. Reported: redemptions/s
#    over the wall time, p50/p99 of a whole redemption and p50/p99 of each step. Afterwards
#    (not timed) each link is opened again and must say the invitation was already accepted.
#    Throttling: Portico sends at most 30 passcodes per client address per tenant in 15
#    minutes, and every request here comes from 127.0.0.1. Rather than put Portico behind a
#    pretend proxy (trusted_proxy_hops and X-Forwarded-For, a configuration the other
#    benchmarks do not have), the guests are spread over ceil(M / 25) tenants ("Redeem Bench
#    1", ...) of at most 25 guests each, each with its own User.Invite.All app and token; the
#    workers take the guests round-robin across those tenants.
#    The passcode mail is sent by the same mail worker as above, woken as soon as the code is
#    committed; the "mail" step is that delivery plus the sink's answer. "all but mail" is the
#    rest: Portico's own time on the four pages.
#
# The SMTP sink is Python's standard library only (asyncio): EHLO/HELO, MAIL, RCPT, DATA, RSET,
# NOOP, QUIT; it records each message's Message-ID, recipients and arrival time (one JSON line
# each) and the first run of exactly 8 digits of its text part, indexed by recipient; a second
# loopback port answers the clients' questions (counts; the newest mail to an address after a
# given sequence number, waiting for it). Loopback only; every step is under a timeout and every
# process started is stopped on exit (also on Ctrl-C). The clients and the sink share the
# machine with the server under test.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_SECONDS="${BENCH_SECONDS:-10}"
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-16}"
BENCH_REDEMPTIONS="${BENCH_REDEMPTIONS:-100}"
BENCH_REDEEM_WORKERS="${BENCH_REDEEM_WORKERS:-16}"
BENCH_BACKENDS="${BENCH_BACKENDS:-sqlite postgres}"
BENCH_DRAIN_TIMEOUT="${BENCH_DRAIN_TIMEOUT:-300}"
PG_HOST=127.0.0.1 PG_PORT=5432 PG_USER=postgres PG_DB="portico_bench_inv_$$"
PER_TENANT=25 # guests redeemed per tenant: under the 30 passcodes per client address and tenant
REDIRECT="https://myapps.contoso.example/welcome"

if [ $# -ge 1 ]; then BIN=$1
elif [ -x target/release/portico ]; then BIN=target/release/portico
else BIN=target/debug/portico; fi
[ -x "$BIN" ] || { echo "bench/invitations.sh: no portico binary at $BIN (cargo build --release -p portico)" >&2; exit 1; }
for tool in curl python3 node timeout; do
  command -v "$tool" >/dev/null || { echo "bench/invitations.sh needs $tool" >&2; exit 1; }
done
for v in BENCH_SECONDS BENCH_CONNECTIONS BENCH_REDEMPTIONS BENCH_REDEEM_WORKERS BENCH_DRAIN_TIMEOUT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "$v: '${!v}' is not a positive number" >&2; exit 1; }
done
REDEEM_LIMIT=$((BENCH_REDEMPTIONS * 60 / BENCH_REDEEM_WORKERS + 300)) # the timed redemptions
SERVER_LIMIT=$((BENCH_SECONDS + BENCH_DRAIN_TIMEOUT + REDEEM_LIMIT + 1200)) # no server (or sink) lives longer

# None of the caller's PORTICO_* settings (PORTICO_DATABASE_URL would move the SQLite run).
while read -r v; do unset "$v"; done < <(compgen -e | grep '^PORTICO_' || true)
export PORTICO_BOOTSTRAP_ADMIN_PASSWORD='Bench-Passw0rd'

TMP=$(mktemp -d)
SRV="" SINK="" CUR="" PG_MADE=""
# Stops the server (SIGTERM, then SIGKILL to its process group after 30 s).
stop_server() {
  [ -n "$SRV" ] || return 0
  kill -TERM "$SRV" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$SRV" 2>/dev/null || true
  wait "$SRV" 2>/dev/null || true
  SRV=""
}
stop_sink() {
  [ -n "$SINK" ] || return 0
  kill -TERM "$SINK" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SINK" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SINK" 2>/dev/null || true
  wait "$SINK" 2>/dev/null || true
  SINK=""
}
cleanup() {
  trap '' INT TERM # a second Ctrl-C must not cut the cleanup short
  if [ -n "$CUR" ]; then kill -TERM -- "-$CUR" 2>/dev/null || true; kill -TERM "$CUR" 2>/dev/null || true; fi
  stop_server
  stop_sink
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
echo "tools:   node $(node --version), $(python3 --version)"
echo "load:    invitations: $BENCH_CONNECTIONS connections, ${BENCH_SECONDS} s after a 1 s warm-up;" \
  "redemptions: $BENCH_REDEMPTIONS guests ($PER_TENANT per tenant), $BENCH_REDEEM_WORKERS workers"
echo

# ---- the SMTP sink ----
# sink.py SMTP_PORT_FILE CONTROL_PORT_FILE LOG: serves until SIGTERM. Control protocol: one
# JSON object a line each way: {"op":"stats"} -> {"messages","distinct","seq","first","last"};
# {"op":"wait","to":ADDR,"after":SEQ,"timeout":S} -> the newest mail to ADDR with a sequence
# number above SEQ, {"seq","code","message_id"}, or {"timeout":true}.
cat > "$TMP/sink.py" <<'PY'
import asyncio, email, email.policy, json, re, signal, sys, time

smtp_port_file, control_port_file, log_path = sys.argv[1:4]
log = open(log_path, "a", buffering=1)
messages = 0
ids = {}            # Message-ID -> copies received
by_rcpt = {}        # address -> (seq, code, message_id) of its newest mail
first = last = None
arrived = None      # asyncio.Condition, notified on every message

MSGID = re.compile(rb"^Message-ID:[ \t]*(.*?)\r?$", re.I | re.M)
ADDR = re.compile(r"<([^>]*)>")
CODE = re.compile(r"(?<![0-9])[0-9]{8}(?![0-9])")

def text_of(raw):
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in m.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True) or b""
            return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""

async def record(mail_from, rcpts, raw):
    global messages, first, last
    head = raw.split(b"\r\n\r\n", 1)[0]
    m = MSGID.search(head)
    mid = m.group(1).decode("ascii", "replace").strip() if m else ""
    code_m = CODE.search(text_of(raw))
    code = code_m.group(0) if code_m else None
    now = time.time()
    messages += 1
    seq = messages
    ids[mid] = ids.get(mid, 0) + 1
    first = first or now
    last = now
    for r in rcpts:
        by_rcpt[r] = (seq, code, mid)
    log.write(json.dumps({"seq": seq, "t": now, "message_id": mid, "to": rcpts}) + "\n")
    async with arrived:
        arrived.notify_all()

async def smtp(reader, writer):
    def reply(line):
        writer.write(line.encode() + b"\r\n")
    reply("220 127.0.0.1 bench sink ESMTP")
    mail_from, rcpts = None, []
    try:
        while True:
            await writer.drain()
            line = await reader.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb == "EHLO":
                reply("250-127.0.0.1"); reply("250-8BITMIME"); reply("250 SIZE 10485760")
            elif verb == "HELO":
                reply("250 127.0.0.1")
            elif verb == "MAIL":
                mail_from, rcpts = cmd[5:].strip(), []
                reply("250 2.1.0 OK")
            elif verb == "RCPT":
                if mail_from is None:
                    reply("503 5.5.1 MAIL first"); continue
                m = ADDR.search(cmd)
                rcpts.append((m.group(1) if m else cmd[8:]).strip().lower())
                reply("250 2.1.5 OK")
            elif verb == "DATA":
                if not rcpts:
                    reply("503 5.5.1 RCPT first"); continue
                reply("354 end with <CRLF>.<CRLF>")
                await writer.drain()
                lines = []
                while True:
                    l = await reader.readline()
                    if not l:
                        return
                    if l in (b".\r\n", b".\n"):
                        break
                    lines.append(l[1:] if l.startswith(b"..") else l)
                await record(mail_from, rcpts, b"".join(lines))
                mail_from, rcpts = None, []
                reply("250 2.0.0 queued")
            elif verb == "RSET":
                mail_from, rcpts = None, []
                reply("250 2.0.0 OK")
            elif verb == "NOOP":
                reply("250 2.0.0 OK")
            elif verb == "QUIT":
                reply("221 2.0.0 bye"); await writer.drain(); return
            else:
                reply("502 5.5.2 not implemented")
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()

async def control(reader, writer):
    try:
        while line := await reader.readline():
            q = json.loads(line)
            if q["op"] == "stats":
                a = {"messages": messages, "distinct": len(ids), "seq": messages, "first": first, "last": last,
                     "cpu": time.process_time()}
            elif q["op"] == "wait":
                to, after = q["to"].lower(), q.get("after", 0)
                ok = lambda: by_rcpt.get(to, (0,))[0] > after
                try:
                    async with arrived:
                        await asyncio.wait_for(arrived.wait_for(ok), q.get("timeout", 60))
                    seq, code, mid = by_rcpt[to]
                    a = {"seq": seq, "code": code, "message_id": mid}
                except asyncio.TimeoutError:
                    a = {"timeout": True}
            else:
                a = {"error": "unknown op"}
            writer.write(json.dumps(a).encode() + b"\n")
            await writer.drain()
    except (ConnectionError, ValueError, KeyError):
        pass
    finally:
        writer.close()

async def main():
    global arrived
    arrived = asyncio.Condition()
    s = await asyncio.start_server(smtp, "127.0.0.1", 0)
    c = await asyncio.start_server(control, "127.0.0.1", 0)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    open(control_port_file + ".tmp", "w").write(str(c.sockets[0].getsockname()[1]))
    open(smtp_port_file, "w").write(str(s.sockets[0].getsockname()[1]))
    import os; os.rename(control_port_file + ".tmp", control_port_file)
    await stop.wait()

asyncio.run(main())
PY

# ---- the invitation load client (Node's http module) ----
# invite.cjs BASE PREFIX ACK_FILE: env TOKEN, BENCH_SECONDS, BENCH_CONNECTIONS; prints one JSON
# line; writes the address of every 201 (warm-up included) to ACK_FILE.
cat > "$TMP/invite.cjs" <<'JS'
const http = require('node:http');
const fs = require('node:fs');
const [base, prefix, ackFile] = process.argv.slice(2);
const seconds = Number(process.env.BENCH_SECONDS), connections = Number(process.env.BENCH_CONNECTIONS);
const u = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const pct = (s, p) => (s.length ? s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] : null);
let n = 0;
const acked = [];
function invite() {
  const email = `${prefix}-${++n}@fabrikam.example`;
  const body = JSON.stringify({
    invitedUserEmailAddress: email, inviteRedirectUrl: process.env.REDIRECT, sendInvitationMessage: true,
  });
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request({
      host: u.hostname, port: u.port, path: '/v1.0/invitations', method: 'POST', agent, timeout: 30_000,
      headers: { authorization: `Bearer ${process.env.TOKEN}`, 'content-type': 'application/json',
        'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ email, status: res.statusCode, ms: performance.now() - t0,
        body: res.statusCode === 201 ? '' : Buffer.concat(chunks).toString().slice(0, 300) }));
      res.on('error', (e) => resolve({ email, status: 'error', ms: 0, body: String(e) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout after 30 s')));
    req.on('error', (e) => resolve({ email, status: 'error', ms: 0, body: String(e.message || e) }));
    req.end(body);
  });
}
async function phase(ms) {
  const deadline = performance.now() + ms, results = [];
  const worker = async () => { while (performance.now() < deadline) results.push(await invite()); };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  for (const r of results) if (r.status === 201) acked.push(r.email);
  return { results, seconds: (performance.now() - t0) / 1000 };
}
(async () => {
  const warm = await phase(1000);
  const tStart = Date.now();
  const { results, seconds: wall } = await phase(seconds * 1000);
  const tEnd = Date.now();
  fs.writeFileSync(ackFile, acked.join('\n') + (acked.length ? '\n' : ''));
  const lat = results.filter((r) => r.status === 201).map((r) => r.ms).sort((a, b) => a - b);
  const statuses = {}, samples = {};
  for (const r of [...warm.results, ...results]) {
    if (r.status === 201) continue;
    statuses[r.status] = (statuses[r.status] || 0) + 1;
    samples[r.status] ??= r.body;
  }
  console.log(JSON.stringify({ ok: lat.length, p50: pct(lat, 50), p99: pct(lat, 99), rps: lat.length / wall,
    seconds: wall, sent: results.length, warm_sent: warm.results.length,
    warm_ok: warm.results.filter((r) => r.status === 201).length, acked: acked.length,
    statuses, samples, t_start: tStart / 1000, t_end: tEnd / 1000 }));
  agent.destroy();
})().catch((e) => { console.error(e.stack || e); process.exit(1); });
JS

# ---- the redemption client (Python standard library) ----
# redeem.py invite BASE TENANTS_JSON OUT: invites the guests (sendInvitationMessage=false);
#   TENANTS_JSON [{"tenant","token","guests"}]; writes [{"tenant","email","path"}] to OUT.
# redeem.py redeem BASE CONTROL_PORT GUESTS_JSON WORKERS: redeems them; prints one JSON line.
cat > "$TMP/redeem.py" <<'PY'
import html, html.parser, http.client, json, os, queue, re, socket, sys, threading, time, urllib.parse

REDIRECT = os.environ["REDIRECT"]

def pct(s, p):
    s = sorted(s)
    return s[max(0, -(-p * len(s) // 100) - 1)] if s else None

class Forms(html.parser.HTMLParser):
    """The page's forms: action and fields (hidden inputs), plus the error paragraph."""
    def __init__(self, text):
        super().__init__(); self.forms = []; self.err = None; self._in_err = False
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and a.get("type") == "hidden":
            self.forms[-1]["fields"][a.get("name", "")] = a.get("value", "")
        elif tag == "p" and "error" in (a.get("class") or "").split():
            self._in_err = True; self.err = ""
    def handle_endtag(self, tag):
        if tag == "p": self._in_err = False
    def handle_data(self, d):
        if self._in_err: self.err += d
    def form(self, step):
        for f in self.forms:
            if f["action"].endswith("/" + step):
                return f
        return None

def summary(text):
    """What a page says, for an error report."""
    f = Forms(text)
    if f.err: return f.err.strip()
    t = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(style|script|head)[^>]*>.*?</\1>", "", text))
    return re.sub(r"\s+", " ", html.unescape(t)).strip()[:200]

class Browser:
    def __init__(self, host, port):
        self.host, self.port, self.conn, self.jar = host, port, None, {}
    def request(self, method, path, form=None):
        headers = {"User-Agent": "portico-bench/1"}
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (0, 1):  # a keep-alive connection the server closed: reconnect once
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                text = r.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close(); self.conn = None
                if attempt: raise
        for c in r.headers.get_all("Set-Cookie") or []:
            nv, *attrs = [x.strip() for x in c.split(";")]
            k, _, v = nv.partition("=")
            gone = not v or any(a.lower() in ("max-age=0",) for a in attrs)
            if gone: self.jar.pop(k, None)
            else: self.jar[k] = v
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close(); self.conn = None
        return r.status, r.getheader("Location"), text

class Sink:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=120); self.f = self.s.makefile("rwb")
    def ask(self, **q):
        self.f.write(json.dumps(q).encode() + b"\n"); self.f.flush()
        return json.loads(self.f.readline())

def invite(base, tenants_file, out):
    u = urllib.parse.urlsplit(base)
    guests = []
    for i, t in enumerate(json.load(open(tenants_file))):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        for j in range(t["guests"]):
            email = f"redeem-{i + 1}-{j + 1}@fabrikam.example"
            c.request("POST", "/v1.0/invitations", body=json.dumps({
                "invitedUserEmailAddress": email, "inviteRedirectUrl": REDIRECT, "sendInvitationMessage": False}),
                headers={"Authorization": "Bearer " + t["token"], "Content-Type": "application/json"})
            r = c.getresponse(); v = r.read()
            if r.status != 201:
                sys.exit(f"inviting {email}: HTTP {r.status} {v[:300]!r}")
            link = urllib.parse.urlsplit(json.loads(v)["inviteRedeemUrl"])
            guests.append({"tenant": t["tenant"], "email": email, "path": f"{link.path}?{link.query}"})
        c.close()
    # round-robin over the tenants
    by = {}
    for g in guests: by.setdefault(g["tenant"], []).append(g)
    order = [g for row in __import__("itertools").zip_longest(*by.values()) for g in row if g]
    json.dump(order, open(out, "w"))

STEPS = ("open", "send-code", "mail", "code", "consent")

class Failed(Exception):
    def __init__(self, step, what): super().__init__(f"{step}: {what}"); self.step = step

def redeem_one(base, sink, g):
    u = urllib.parse.urlsplit(base)
    b = Browser(u.hostname, u.port)
    times = {}
    t = time.perf_counter()
    def lap(step):
        nonlocal t
        now = time.perf_counter(); times[step] = (now - t) * 1000; t = now
    def post(step, page, extra, expect):
        f = Forms(page).form(step)
        if f is None: raise Failed(step, f"no form for /{step} on the page: {summary(page)}")
        status, loc, text = b.request("POST", f["action"], {**f["fields"], **extra})
        if status != expect: raise Failed(step, f"HTTP {status}: {summary(text)}")
        return loc, text
    try:
        status, _, page = b.request("GET", g["path"])
        if status != 200: raise Failed("open", f"HTTP {status}: {summary(page)}")
        lap("open")
        after = sink.ask(op="stats")["seq"]
        _, page = post("send-code", page, {}, 200)
        if Forms(page).form("code") is None: raise Failed("send-code", summary(page))
        lap("send-code")
        m = sink.ask(op="wait", to=g["email"], after=after, timeout=60)
        if m.get("timeout"): raise Failed("mail", "no passcode mail within 60 s")
        if not m.get("code"): raise Failed("mail", f"no 8-digit code in mail {m.get('message_id')}")
        lap("mail")
        _, page = post("code", page, {"code": m["code"]}, 200)
        if Forms(page).form("consent") is None: raise Failed("code", summary(page))
        lap("code")
        loc, text = post("consent", page, {"consent": "accept"}, 303)
        if loc != REDIRECT: raise Failed("consent", f"303 to {loc!r}, not {REDIRECT!r}")
        lap("consent")
        return times, b
    except (OSError, http.client.HTTPException) as e:
        raise Failed(next((s for s in STEPS if s not in times), "?"), repr(e))

def redeem(base, control_port, guests_file, workers):
    guests = json.load(open(guests_file))
    q = queue.Queue()
    for g in guests: q.put(g)
    ok, fails, lock = [], [], threading.Lock()
    def work():
        sink = Sink(control_port)
        while True:
            try: g = q.get_nowait()
            except queue.Empty: return
            t0 = time.perf_counter()
            try:
                times, _ = redeem_one(base, sink, g)
                with lock: ok.append(((time.perf_counter() - t0) * 1000, times, g))
            except Failed as e:
                with lock: fails.append((e.step, str(e)))
    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(min(workers, len(guests)))]
    for th in threads: th.start()
    for th in threads: th.join()
    wall = time.perf_counter() - t0
    # Not timed: each redeemed link is now spent.
    u = urllib.parse.urlsplit(base)
    spent = 0
    for _, _, g in ok:
        status, _, text = Browser(u.hostname, u.port).request("GET", g["path"])
        spent += status == 400 and "already accepted" in text
    total = [x[0] for x in ok]
    for x in ok: x[1]["all but mail"] = x[0] - x[1]["mail"]
    steps = {s: {"p50": pct([x[1][s] for x in ok], 50), "p99": pct([x[1][s] for x in ok], 99)}
             for s in STEPS + ("all but mail",)}
    by_step = {}
    for s, _ in fails: by_step[s] = by_step.get(s, 0) + 1
    print(json.dumps({"guests": len(guests), "ok": len(ok), "seconds": wall, "rps": len(ok) / wall,
        "p50": pct(total, 50), "p99": pct(total, 99), "steps": steps, "failed": by_step,
        "samples": [m for _, m in fails[:3]], "spent": spent}))

if __name__ == "__main__":
    if sys.argv[1] == "invite": invite(*sys.argv[2:5])
    else: redeem(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
PY

jget() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[k]
print(v)' "$@"; }

# start_sink: the SMTP sink on free loopback ports; sets SINK, SMTP_PORT, CONTROL_PORT, SINK_LOG.
start_sink() {
  local d="$TMP/sink.$(date +%s%N)"; mkdir -p "$d"; SINK_LOG="$d/mails.jsonl"; : >"$SINK_LOG"
  timeout -k 5 "$SERVER_LIMIT" python3 "$TMP/sink.py" "$d/smtp.port" "$d/control.port" "$SINK_LOG" 2>"$d/err" &
  SINK=$!
  for _ in $(seq 100); do [ -s "$d/control.port" ] && break; kill -0 "$SINK" 2>/dev/null || break; sleep 0.1; done
  [ -s "$d/control.port" ] || { echo "the SMTP sink did not start: $(cat "$d/err")" >&2; return 1; }
  SMTP_PORT=$(cat "$d/smtp.port"); CONTROL_PORT=$(cat "$d/control.port")
}
sink_stats() {
  python3 -c 'import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10); f = s.makefile("rwb")
f.write(b"{\"op\":\"stats\"}\n"); f.flush(); print(f.readline().decode().strip())' "$CONTROL_PORT"
}

# start_server: `portico serve` on 127.0.0.1:0 mailing through the sink; sets SRV and BASE.
start_server() {
  local log="$TMP/server.$(date +%s%N).log" t0; : >"$log"; SERVER_LOG=$log
  t0=$(date +%s%3N)
  PORTICO_SMTP_HOST=127.0.0.1 PORTICO_SMTP_PORT="$SMTP_PORT" PORTICO_SMTP_SECURITY=plain \
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

# inviter NAME: a tenant NAME with an app holding User.Invite.All and an app-only Graph token;
# sets TENANT and TOK.
inviter() {
  local client secret
  cli tenant create "$1"; read -r TENANT _ < "$TMP/cli.out"
  cli app create --tenant "$TENANT" --name "$1 inviter" --graph-permission User.Invite.All
  client=$(jget appId < "$TMP/cli.out"); secret=$(jget password < "$TMP/cli.out")
  curl -s -m 30 -o "$TMP/token.json" -X POST "$BASE/$TENANT/oauth2/v2.0/token" \
    --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$client" \
    --data-urlencode "client_secret=$secret" --data-urlencode scope=https://graph.microsoft.com/.default || true
  TOK=$(jget access_token < "$TMP/token.json" 2>/dev/null) \
    || { echo "token request failed: $(head -c 300 "$TMP/token.json")" >&2; return 1; }
}

# ---- 1 and 2: invitations and their mails ----
invitations() {
  local prefix=$1 ack="$TMP/acked.$1" stats distinct acked t0 waited gave_up=0
  inviter "Invitations Bench"
  echo "-- invitations: POST /v1.0/invitations, sendInvitationMessage=true, a new address each"
  if ! TOKEN="$TOK" REDIRECT="$REDIRECT" BENCH_SECONDS="$BENCH_SECONDS" BENCH_CONNECTIONS="$BENCH_CONNECTIONS" \
      bounded $((BENCH_SECONDS + 120)) node "$TMP/invite.cjs" "$BASE" "$prefix" "$ack" >"$TMP/invite.json" 2>"$TMP/invite.err"; then
    echo "   the load client failed: $(head -c 500 "$TMP/invite.err")"; return 0
  fi
  python3 - "$TMP/invite.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); f = lambda x: "-" if x is None else "%.2f" % x
print(f"   {r['ok']} invitations in {r['seconds']:.2f} s: {r['rps']:.1f} invitations/s; "
      f"201 latency p50 {f(r['p50'])} ms, p99 {f(r['p99'])} ms")
other = sum(r["statuses"].values())
print(f"   requests: {r['sent']} measured + {r['warm_sent']} warm-up ({r['warm_ok']} of them 201); "
      f"not 201: {other}" + ("" if not other else " (" + ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items())) + ")"))
for k, v in r["samples"].items():
    print(f"     first {k}: {v}")
PY
  acked=$(jget acked < "$TMP/invite.json")
  t0=$(date +%s)
  echo "-- mails: waiting (at most ${BENCH_DRAIN_TIMEOUT} s) for $acked distinct Message-IDs at the sink"
  while :; do
    stats=$(sink_stats) || { echo "   the SMTP sink does not answer"; break; }
    distinct=$(jget distinct <<<"$stats")
    [ "$distinct" -ge "$acked" ] && break
    waited=$(( $(date +%s) - t0 ))
    [ "$waited" -lt "$BENCH_DRAIN_TIMEOUT" ] || { echo "   gave up waiting after $waited s: $distinct of $acked"; gave_up=1; break; }
    kill -0 "$SRV" 2>/dev/null || { echo "   portico serve is gone"; break; }
    sleep 0.5
  done
  sleep 2 # stragglers: duplicates or unacknowledged mails
  sink_stats > "$TMP/sink.json" || echo '{}' > "$TMP/sink.json"
  GAVE_UP=$gave_up python3 - "$ack" "$SINK_LOG" "$TMP/invite.json" "$TMP/sink.json" <<'PY'
import json, os, sys
acked = set(l.strip().lower() for l in open(sys.argv[1]) if l.strip())
mails = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
load = json.load(open(sys.argv[3]))
ids, to = {}, {}
for m in mails:
    ids[m["message_id"]] = ids.get(m["message_id"], 0) + 1
    for r in m["to"]:
        to.setdefault(r, set()).add(m["message_id"])
delivered = sum(1 for a in acked if a in to)
lost = len(acked) - delivered
dup = sum(c - 1 for c in ids.values()) + sum(len(s) - 1 for a, s in to.items() if a in acked)
unacked = sum(1 for a in to if a not in acked)
late = " (not delivered within BENCH_DRAIN_TIMEOUT)" if os.environ["GAVE_UP"] == "1" else ""
print(f"   mails: {len(acked)} invitations acknowledged, {delivered} delivered, {lost} lost{late}, {dup} duplicated"
      + (f", {unacked} to addresses whose request got no 201" if unacked else ""))
if lost:
    print("   !!! LOST MAILS, e.g. " + ", ".join(sorted(a for a in acked if a not in to)[:3]))
if dup:
    print("   !!! DUPLICATED MAILS, e.g. " + ", ".join([i for i, c in ids.items() if c > 1][:3]
          + [a for a, s in to.items() if a in acked and len(s) > 1][:3]))
if mails:
    t = sorted(m["t"] for m in mails)
    during = sum(1 for x in t if x <= load["t_end"])
    span = t[-1] - t[0]
    rate = f"{(len(t) - 1) / span:.1f} mails/s" if span > 0 else "-"
    print(f"   delivery: {during} of {len(t)} had arrived when the load ended; the last one "
          f"{max(0.0, t[-1] - load['t_end']):.1f} s after it; {rate} from the first mail to the last ({span:.1f} s)")
    cpu = json.load(open(sys.argv[4])).get("cpu")
    if cpu is not None:
        print(f"   the sink used {cpu:.1f} s of CPU ({cpu * 1000 / len(t):.2f} ms a mail)")
PY
  grep -i 'mail' "$SERVER_LOG" | grep -v '"INFO"' | head -3 | sed 's/^/   server: /' || true
}

# ---- 3: redemptions ----
redemptions() {
  local m=$BENCH_REDEMPTIONS n i left k
  n=$(( (m + PER_TENANT - 1) / PER_TENANT ))
  echo "-- redemptions: $m guests over $n tenant(s) of at most $PER_TENANT, $BENCH_REDEEM_WORKERS workers"
  echo "[" > "$TMP/tenants.json"; left=$m
  for i in $(seq "$n"); do
    inviter "Redeem Bench $i"
    k=$(( left < PER_TENANT ? left : PER_TENANT )); left=$((left - k))
    printf '%s{"tenant":"%s","token":"%s","guests":%d}\n' "$([ "$i" = 1 ] || echo ,)" "$TENANT" "$TOK" "$k" >> "$TMP/tenants.json"
  done
  echo "]" >> "$TMP/tenants.json"
  if ! REDIRECT="$REDIRECT" bounded 600 python3 "$TMP/redeem.py" invite "$BASE" "$TMP/tenants.json" "$TMP/guests.json" 2>"$TMP/redeem.err"; then
    echo "   inviting the guests failed: $(head -c 500 "$TMP/redeem.err")"; return 0
  fi
  if ! REDIRECT="$REDIRECT" bounded "$REDEEM_LIMIT" python3 "$TMP/redeem.py" redeem "$BASE" "$CONTROL_PORT" \
      "$TMP/guests.json" "$BENCH_REDEEM_WORKERS" >"$TMP/redeem.json" 2>"$TMP/redeem.err"; then
    echo "   the redemption client failed: $(head -c 500 "$TMP/redeem.err")"; return 0
  fi
  python3 - "$TMP/redeem.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); f = lambda x: "-" if x is None else "%.1f" % x
print(f"   {r['ok']} of {r['guests']} redeemed in {r['seconds']:.2f} s: {r['rps']:.2f} redemptions/s; "
      f"whole redemption p50 {f(r['p50'])} ms, p99 {f(r['p99'])} ms")
print("   per step p50/p99 ms: " + ", ".join(f"{s} {f(v['p50'])}/{f(v['p99'])}" for s, v in r["steps"].items()))
if r["failed"]:
    print("   !!! failed: " + ", ".join(f"{k}: {v}" for k, v in r["failed"].items()))
    for s in r["samples"]:
        print(f"     {s}")
print(f"   afterwards: {r['spent']} of {r['ok']} links answer 'already accepted'")
PY
}

measure_backend() { # BACKEND_NAME, DBARGS and PREFIX set
  start_sink
  start_server
  echo "== $BACKEND_NAME (server ready in $START_MS ms; SMTP sink on 127.0.0.1:$SMTP_PORT)"
  invitations "$PREFIX"
  redemptions
  echo
  stop_server
  stop_sink
}

for backend in $BENCH_BACKENDS; do
  case $backend in
    sqlite)
      BACKEND_NAME=SQLite; DATA="$TMP/sqlite"; DBARGS=(--data-dir "$DATA"); PREFIX=sqlite
      measure_backend ;;
    postgres)
      if ! command -v psql >/dev/null || ! command -v createdb >/dev/null \
          || [ "$(timeout 5 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -Atqc 'select 1' 2>/dev/null)" != 1 ]; then
        echo "== PostgreSQL: not reachable at $PG_HOST:$PG_PORT as $PG_USER (or psql/createdb missing); skipped"; echo; continue
      fi
      timeout 30 createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$PG_DB"; PG_MADE=1
      echo "PostgreSQL $(timeout 10 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -Atqc 'show server_version'),\
 database $PG_DB (dropped at the end)"
      BACKEND_NAME=PostgreSQL; DATA="$TMP/postgres"; PREFIX=postgres # master.key lives in the data dir
      DBARGS=(--data-dir "$DATA" --database-url "postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB")
      measure_backend ;;
    *) echo "BENCH_BACKENDS: unknown backend '$backend' (sqlite, postgres)" >&2 ;;
  esac
done
[ "$PROFILE" != debug ] || echo "!!! WARNING: these figures come from a DEBUG BUILD ($BIN): not comparable with anything."
