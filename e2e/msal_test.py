"""MSAL Python against the real portico binary over TLS (MSAL refuses http authorities).

Run by e2e/run.sh with the e2e/.venv python. Needs PORTICO_BIN, and E2E_CA / E2E_TLS_CERT /
E2E_TLS_KEY: a throwaway CA and a server certificate for 127.0.0.1 signed by it. The sign-in
pages are driven by a requests.Session and a small html.parser form reader: no browser.
"""

import base64
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

BIN = os.environ.get("PORTICO_BIN") or os.path.join(os.path.dirname(__file__), "..", "target", "debug", "portico")
CA, CERT, KEY = os.environ["E2E_CA"], os.environ["E2E_TLS_CERT"], os.environ["E2E_TLS_KEY"]
TMP = os.environ.get("E2E_TMP") or tempfile.mkdtemp(prefix="portico-e2e-")
# requests lets REQUESTS_CA_BUNDLE override session.verify, and this machine exports it: point it at our CA.
os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"] = CA

import msal  # noqa: E402  (after the CA environment is set)
import requests  # noqa: E402

PASSWORD = "E2e-Passw0rd!"
# MSAL 1.39 recommends form_post; this test deliberately uses the default query response mode.
warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")


def portico_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
    env.update(PORTICO_PASSWORD_HASHING__MEMORY_KIB="8192", PORTICO_PASSWORD_HASHING__ITERATIONS="1")
    return env


class Portico:
    """`portico serve` over TLS on 127.0.0.1:0 with a fresh data dir, plus its operator commands."""

    def __init__(self):
        self.data_dir = tempfile.mkdtemp(prefix="portico-data-", dir=TMP)
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0", "--tls-cert", CERT, "--tls-key", KEY],
            env=portico_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        with open(os.path.join(TMP, "pids"), "a") as f:  # run.sh kills leftovers by id
            f.write(f"{self.proc.pid}\n")
        self.log_path = os.path.join(TMP, f"portico-{self.proc.pid}.log")  # run.sh shows it when a suite fails
        listening = threading.Event()

        def pump():
            with open(self.log_path, "w") as log:
                for line in self.proc.stdout:
                    log.write(line)
                    log.flush()
                    if "listening on " in line and not listening.is_set():
                        self.url = line.split("listening on ", 1)[1].split()[0].strip('"')
                        listening.set()

        threading.Thread(target=pump, daemon=True).start()
        if not listening.wait(30):
            self.stop()
            raise RuntimeError(f"portico did not listen within 30 s; see {self.log_path}")
        self.tenant_id, self.domain = self.cli("tenant", "list").splitlines()[0].split("\t")[:2]
        self.authority = f"{self.url}/{self.tenant_id}"

    def cli(self, *args, stdin=""):
        r = subprocess.run([BIN, *args, "--data-dir", self.data_dir], env=portico_env(), input=stdin,
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"portico {' '.join(args)} failed: {r.stderr.strip()}")
        return r.stdout

    def create_user(self, alias, display_name):
        upn = f"{alias}@{self.domain}"
        self.cli("user", "create", "--tenant", self.tenant_id, "--upn", upn, "--display-name", display_name,
                 "--password-stdin", stdin=PASSWORD + "\n")
        return upn

    def create_app(self, name, *flags):
        return json.loads(self.cli("app", "create", "--tenant", self.tenant_id, "--name", name, *flags))

    def grant(self, client, resource, role):
        if "--client" in self.cli("app", "grant", "--help"):
            self.cli("app", "grant", "--tenant", self.tenant_id, "--client", client, "--resource", resource, "--role", role)
        else:
            self.cli("app", "grant", "--tenant", self.tenant_id, client, resource, role)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- a minimal "browser": forms with their hidden inputs, a cookie-keeping session ----

class Forms(HTMLParser):
    """Every <form>: action, method, named inputs with their values, and its buttons' attributes."""

    def __init__(self, html):
        super().__init__()
        self.forms, self._form = [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "inputs": {}, "buttons": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "button" or (tag == "input" and a.get("type", "").lower() in ("submit", "image")):
            self._form["buttons"].append(a)
        elif tag == "input" and a.get("name") and (a.get("type", "").lower() not in ("checkbox", "radio") or "checked" in a):
            self._form["inputs"][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def sign_in(auth_uri, redirect_uri, username=None, password=None, actions=None):
    """Answers Portico's pages (username, password, consent) until sent to redirect_uri.

    Returns (the authorization response parameters, the list of page kinds seen). A list passed as
    actions receives (page kind, path of the URL its form was sent to) for each page answered."""
    s = requests.Session()
    seen = []
    r = s.get(auth_uri, allow_redirects=False, timeout=30)
    for _ in range(15):
        if r.is_redirect:
            location = urljoin(r.url, r.headers["location"])
            if location.split("?")[0].split("#")[0] == redirect_uri:
                return dict(parse_qsl(urlsplit(location).query)), seen
            r = s.get(location, allow_redirects=False, timeout=30)
            continue
        assert r.status_code == 200, f"{r.status_code} at {r.url}: {r.text[:500]}"
        forms = Forms(r.text).forms
        form_post = [f for f in forms if urljoin(r.url, f["action"]).split("?")[0] == redirect_uri]
        if form_post:  # response_mode=form_post: what the browser would POST to the app
            return form_post[0]["inputs"], seen
        form = next((f for f in forms if {"new_password", "password", "username"} & f["inputs"].keys()
                     or any(b.get("name") == "consent" for b in f["buttons"])), None)
        assert form, f"no sign-in form at {r.url}: {r.text[:500]}"
        data = dict(form["inputs"])
        if "new_password" in data:
            raise AssertionError("unexpected forced password change")
        elif "password" in data:
            seen.append("password")
            data["password"] = password
        elif "username" in data:
            seen.append("username")
            data["username"] = username
        else:
            seen.append("consent")
            data["consent"] = "accept"
        if seen[-1] != "consent":  # like a browser, send the submit button's name=value if it has one
            button = next((b for b in form["buttons"] if b.get("type", "submit").lower() == "submit"), {})
            if button.get("name"):
                data[button["name"]] = button.get("value", "")
        action = urljoin(r.url, form["action"] or r.url)
        if actions is not None:
            actions.append((seen[-1], urlsplit(action).path))
        if form["method"] == "post":
            r = s.post(action, data=data, allow_redirects=False, timeout=30)
        else:
            r = s.get(action, params=data, allow_redirects=False, timeout=30)
    raise AssertionError(f"never reached {redirect_uri}; pages: {seen}")


# ---- the tests: each gets the running server; they run in order and report one line each ----

def test_client_credentials_app_role(p):
    api = p.create_app("Orders API", "--identifier-uri", "api://orders", "--app-role", "Orders.Read")
    daemon = p.create_app("Nightly job")
    p.grant(daemon["appId"], api["appId"], "Orders.Read")
    cca = msal.ConfidentialClientApplication(daemon["appId"], client_credential=daemon["password"],
                                             authority=p.authority, instance_discovery=False)
    for scope in (f"{api['appId']}/.default", "api://orders/.default"):
        result = cca.acquire_token_for_client([scope])
        assert "access_token" in result, result
        c = claims(result["access_token"])
        assert c["aud"] == api["appId"], c
        assert c["iss"] == f"{p.authority}/v2.0", c
        assert c["tid"] == p.tenant_id, c
        assert c.get("roles") == ["Orders.Read"], c


def test_client_credentials_graph_permission(p):
    app = p.create_app("Directory reader", "--graph-permission", "User.Read.All")
    cca = msal.ConfidentialClientApplication(app["appId"], client_credential=app["password"],
                                             authority=p.authority, instance_discovery=False)
    result = cca.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    c = claims(result["access_token"])
    assert "User.Read.All" in c.get("roles", []), c
    assert c["aud"] in ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"), c
    assert c["tid"] == p.tenant_id, c


def test_wrong_client_secret(p):
    app = p.create_app("Wrong secret")
    cca = msal.ConfidentialClientApplication(app["appId"], client_credential="not-the-secret",
                                             authority=p.authority, instance_discovery=False)
    result = cca.acquire_token_for_client([f"{app['appId']}/.default"])
    assert result.get("error") == "invalid_client", result


def make_certificate(name):
    """A fresh RSA 2048 key and self-signed certificate (openssl): (key PEM, cert path, SHA-1 of the DER)."""
    d = tempfile.mkdtemp(prefix=f"cert-{name}-", dir=TMP)
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", f"/CN={name}"], check=True, capture_output=True, timeout=60)
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True,
                         timeout=30).stdout
    with open(key) as f:
        return f.read(), cert, hashlib.sha1(der).digest()


def test_client_credentials_certificate(p):
    app = p.create_app("Daemon", "--graph-permission", "User.Read.All")  # its client secret goes unused
    key_pem, cert_path, sha1 = make_certificate("daemon")
    added = json.loads(p.cli("app", "add-certificate", "--tenant", p.tenant_id, "--app", app["appId"],
                             "--cert", cert_path, "--name", "daemon cert"))
    assert added.get("keyId"), added
    assert added.get("customKeyIdentifier") == base64.urlsafe_b64encode(sha1).decode().rstrip("="), added
    # "thumbprint" (SHA-1) makes MSAL sign RS256 with x5t; "thumbprint_sha256" would make it PS256.
    cca = msal.ConfidentialClientApplication(app["appId"], authority=p.authority, instance_discovery=False,
                                             client_credential={"private_key": key_pem, "thumbprint": sha1.hex()})
    result = cca.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    c = claims(result["access_token"])
    assert "User.Read.All" in c.get("roles", []), c
    assert c.get("azp") == app["appId"], c
    assert c.get("azpacr") == "2", c  # 2: certificate / private_key_jwt (1 would be a secret)
    assert c["tid"] == p.tenant_id, c

    other_key, _, other_sha1 = make_certificate("unregistered")  # never added to the app
    cca = msal.ConfidentialClientApplication(app["appId"], authority=p.authority, instance_discovery=False,
                                             client_credential={"private_key": other_key,
                                                                "thumbprint": other_sha1.hex()})
    result = cca.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert result.get("error") == "invalid_client", result


def test_public_client_auth_code_pkce_and_refresh(p):
    upn = p.create_user("carol", "Carol Example")
    redirect_uri = f"http://localhost:{free_port()}/cb"
    app = p.create_app("Desktop app", "--public-client", "--redirect-uri", redirect_uri)
    pca = msal.PublicClientApplication(app["appId"], authority=p.authority, instance_discovery=False)
    flow = pca.initiate_auth_code_flow(scopes=["User.Read"], redirect_uri=redirect_uri)
    params, seen = sign_in(flow["auth_uri"], redirect_uri, upn, PASSWORD)
    assert [k for k in seen if k != "consent"] == ["username", "password"], seen
    result = pca.acquire_token_by_auth_code_flow(flow, params)  # MSAL checks state, nonce and aud
    assert "access_token" in result, result
    assert result.get("refresh_token"), "a refresh token for the silent flow"
    c = result["id_token_claims"]
    assert c["aud"] == app["appId"], c
    assert c["tid"] == p.tenant_id, c
    assert c.get("oid"), c
    assert c["preferred_username"] == upn, c

    accounts = pca.get_accounts()  # keyed by client_info (uid.utid)
    assert len(accounts) == 1, accounts
    assert accounts[0]["home_account_id"] == f"{c['oid']}.{p.tenant_id}", accounts
    assert accounts[0]["username"] == upn, accounts
    silent = pca.acquire_token_silent(["User.Read"], account=accounts[0], force_refresh=True)  # refresh grant
    assert silent and "access_token" in silent, silent
    assert silent["access_token"] != result["access_token"]


def test_multi_tenant_app_via_organizations(p):
    # The app lives in the first tenant; its user is a member of another tenant (home realm discovery by domain).
    other_id, other_domain = p.cli("tenant", "create", "Other").splitlines()[0].split("\t")[:2]
    assert other_id != p.tenant_id
    upn = f"alice@{other_domain}"
    p.cli("user", "create", "--tenant", other_id, "--upn", upn, "--display-name", "Alice", "--password-stdin",
          stdin=PASSWORD + "\n")
    redirect_uri = f"http://localhost:{free_port()}/cb"
    app = p.create_app("Multi-tenant desktop app", "--multi-tenant", "--public-client", "--redirect-uri", redirect_uri)
    assert app["tenant"] == p.tenant_id, app  # registered in its home tenant, not the user's

    config = requests.get(f"{p.url}/organizations/v2.0/.well-known/openid-configuration", timeout=30).json()
    assert config["issuer"] == f"{p.url}/{{tenantid}}/v2.0", config  # Entra's template for common/organizations
    assert "end_session_endpoint" not in config, config
    assert config["token_endpoint"] == f"{p.url}/organizations/oauth2/v2.0/token", config

    pca = msal.PublicClientApplication(app["appId"], authority=f"{p.url}/organizations", instance_discovery=False)
    flow = pca.initiate_auth_code_flow(scopes=["User.Read"], redirect_uri=redirect_uri)
    assert urlsplit(flow["auth_uri"]).path == "/organizations/oauth2/v2.0/authorize", flow["auth_uri"]
    actions = []
    params, seen = sign_in(flow["auth_uri"], redirect_uri, upn, PASSWORD, actions)
    assert [k for k in seen if k != "consent"] == ["username", "password"], seen
    # The username goes to organizations; once the domain names the tenant, the pages are the user's tenant's.
    assert actions[0] == ("username", "/organizations/login/username"), actions
    assert all(path.startswith(f"/{other_id}/login/") for _, path in actions[1:]), actions
    result = pca.acquire_token_by_auth_code_flow(flow, params)
    assert "access_token" in result, result
    assert result.get("refresh_token"), "a refresh token for the silent flow"
    c = result["id_token_claims"]
    assert c["aud"] == app["appId"], c
    assert c["tid"] == other_id, c
    assert c["iss"] == f"{p.url}/{other_id}/v2.0", c
    assert c["preferred_username"] == upn, c
    at = claims(result["access_token"])
    assert at["tid"] == other_id, at
    assert at["iss"] == f"{p.url}/{other_id}/v2.0", at
    assert at.get("azp") == app["appId"], at

    accounts = pca.get_accounts()
    assert len(accounts) == 1, accounts
    assert accounts[0]["home_account_id"] == f"{c['oid']}.{other_id}", accounts  # client_info utid: the user's tenant
    silent = pca.acquire_token_silent(["User.Read"], account=accounts[0], force_refresh=True)  # /organizations/.../token
    assert silent and "access_token" in silent, silent
    assert silent["access_token"] != result["access_token"]
    assert claims(silent["access_token"])["tid"] == other_id, claims(silent["access_token"])

    # The same refresh token (MSAL keeps it per environment, not per tenant) redeems at common too.
    common = msal.PublicClientApplication(app["appId"], authority=f"{p.url}/common", instance_discovery=False,
                                          token_cache=pca.token_cache)
    silent = common.acquire_token_silent(["User.Read"], account=common.get_accounts()[0], force_refresh=True)
    assert silent and "access_token" in silent, silent
    assert claims(silent["access_token"])["tid"] == other_id, claims(silent["access_token"])


TESTS = [test_client_credentials_app_role, test_client_credentials_graph_permission, test_wrong_client_secret,
         test_client_credentials_certificate, test_public_client_auth_code_pkce_and_refresh,
         test_multi_tenant_app_via_organizations]


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # timed out: still stop the server
    only = sys.argv[1:]
    passed = failed = 0
    p = None
    try:
        p = Portico()
        print(f"portico at {p.url}, tenant {p.tenant_id}", flush=True)
        for t in TESTS:
            if only and not any(o in t.__name__ for o in only):
                continue
            start = time.monotonic()
            try:
                t(p)
                passed += 1
                print(f"ok   {t.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {t.__name__} ({time.monotonic() - start:.1f}s)\n{traceback.format_exc()}", flush=True)
    except Exception:
        failed += 1
        print(f"FAIL setup\n{traceback.format_exc()}", flush=True)
    finally:
        if p:
            p.stop()
    print(f"msal: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
