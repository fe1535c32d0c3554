"""Shared by the Python suites that need more than one server: run the real portico binary
(`portico serve` and its operator commands) the way e2e/lib/harness.mjs does for the Node suites.

- `Portico(env={...}, data_dir=...)`: `portico serve` over http on 127.0.0.1:0 with a fresh data
  dir (or the given one, to restart on the same database), extra PORTICO_* settings from `env`.
  Its pid goes to $E2E_TMP/pids (run.sh stops leftovers by id) and its output to
  $E2E_TMP/portico-PID.log (run.sh shows the last lines when a suite fails).
- `free_port()`: a loopback port nothing listens on (for a server started later).
- `wait_for(predicate, timeout, what)`: polls until true, or fails naming what it waited for.
"""

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

BIN = os.environ.get("PORTICO_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", "target", "debug", "portico")
if not os.environ.get("E2E_TMP"):  # run.sh's temp dir; else one of our own, shared with what we import
    os.environ["E2E_TMP"] = tempfile.mkdtemp(prefix="portico-e2e-")
TMP = os.environ["E2E_TMP"]
PASSWORD = "E2e-Passw0rd!"
LISTENING = re.compile(r"listening on (https?://[^\s\"]+)")


def portico_env(extra=None):
    """The caller's environment without its PORTICO_* settings, with cheap password hashing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
    env.update(PORTICO_PASSWORD_HASHING__MEMORY_KIB="8192", PORTICO_PASSWORD_HASHING__ITERATIONS="1")
    env.update(extra or {})
    return env


def free_port():
    """A loopback TCP port that nothing listens on (just released by the kernel)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what, interval=0.2):
    """Polls predicate() until it is truthy; returns its value, or raises after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Portico:
    """`portico serve` over plain http on 127.0.0.1:0, plus its operator commands."""

    def __init__(self, env=None, data_dir=None):
        self.extra_env = dict(env or {})
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="portico-data-", dir=TMP)
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0"],
            env=portico_env(self.extra_env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
        with open(os.path.join(TMP, "pids"), "a") as f:  # run.sh kills leftovers by id
            f.write(f"{self.proc.pid}\n")
        self.log_path = os.path.join(TMP, f"portico-{self.proc.pid}.log")  # run.sh shows it when a suite fails
        self.lines = []  # every output line, for assertions on what the server logged
        self.url = None
        listening = threading.Event()

        def pump():
            with open(self.log_path, "w") as log:
                for line in self.proc.stdout:
                    self.lines.append(line)
                    log.write(line)
                    log.flush()
                    m = LISTENING.search(line)
                    if m and not listening.is_set():
                        self.url = m.group(1)
                        listening.set()

        threading.Thread(target=pump, daemon=True).start()
        if not listening.wait(30):
            self.kill()
            raise RuntimeError(f"portico did not listen within 30 s; see {self.log_path}")
        # The first tenant (bootstrapped on first start) is the one `tenant list` prints first.
        self.tenant_id, self.domain = self.cli("tenant", "list").splitlines()[0].split("\t")[:2]
        self.token_endpoint = f"{self.url}/{self.tenant_id}/oauth2/v2.0/token"

    def restart(self, env=None):
        """A new `portico serve` on the same data dir (this one must have stopped)."""
        assert self.proc.poll() is not None, "stop or kill the running server first"
        return Portico(env=self.extra_env if env is None else env, data_dir=self.data_dir)

    def cli(self, *args, stdin=""):
        r = subprocess.run([BIN, *args, "--data-dir", self.data_dir], env=portico_env(), input=stdin,
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"portico {' '.join(args)} failed: {r.stderr.strip()}")
        return r.stdout

    def create_app(self, name, *args, tenant=None):
        return json.loads(self.cli("app", "create", "--tenant", tenant or self.tenant_id, "--name", name, *args))

    def create_tenant(self, name):
        """`portico tenant create NAME`; returns (id, initial domain)."""
        tenant_id, domain = self.cli("tenant", "create", name).splitlines()[0].split("\t")[:2]
        return tenant_id, domain

    def create_user(self, upn, display_name, tenant=None, password=PASSWORD):
        """A member with a password made by the operator CLI; returns (id, userPrincipalName)."""
        out = self.cli("user", "create", "--tenant", tenant or self.tenant_id, "--upn", upn,
                       "--display-name", display_name, "--password-stdin", stdin=password + "\n")
        user_id, got_upn = out.splitlines()[0].split("\t")[:2]  # id, upn, userType, state, displayName
        return user_id, got_upn

    def logged(self, text):
        """The output lines containing text."""
        return [line for line in list(self.lines) if text in line]

    def kill(self):
        """SIGKILL: no shutdown, no finishing of work in flight."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
