"""Guests signing in with their organization's SAML 2.0 identity provider (Entra's SAML/WS-Fed
direct federation), end to end, with real parts only: the real portico binary, a real SAML IdP
(pysaml2 7.5 signing with the system xmlsec1, e2e/saml_idp.py, playing Fabrikam's IdP), headless
Chromium (Debian's chromium and chromedriver, driven by Selenium) and Microsoft Graph on Portico
through plain httpx.

Run by e2e/run.sh with the e2e/.venv python: `python saml_federation_test.py [NAME...]` runs the
tests whose names contain NAME (all when none; the tests build on each other in order: the
metadata and configuration tests first, then A to F). Needs PORTICO_BIN (default
target/debug/portico), openssl and xmlsec1 (Debian's xmlsec1); CHROMIUM and CHROMEDRIVER name the
browser and its driver.

Setup: Portico on 127.0.0.1:0 with PORTICO_FEDERATION_SKIP_DNS_AUTHORIZATION=true (the IdP's host,
127.0.0.1, is not in fabrikam.test and loopback has no DirectFedAuthUrl TXT record: the admin
override); an app with User.Invite.All, User.ReadWrite.All and IdentityProvider.ReadWrite.All; two
RSA 2048 key pairs made with openssl in the suite's temp dir (idp.key/idp.crt, other.key/other.crt);
saml_idp.py with both, loading Portico's SP metadata from {portico}/te/{tenant}/saml2/metadata
(entity id {portico}/{tenant}/, ACS {portico}/te/{tenant}/saml2/acs, HTTP-POST). Accounts at the
IdP: alice/alice123 -> alice@fabrikam.test, carol/carol123, dan/dan123 (persistent NameIDs, fixed
per account).

- Metadata: Portico's SP metadata names its entity id and ACS; the IdP loads it.
- Configuration: a samlOrWsFedExternalDomainFederation for fabrikam.test posted through Graph
  (POST .../federationConfigurations/microsoft.graph.samlOrWsFedExternalDomainFederation, 201),
  read back (GET .../graph.samlOrWsFedExternalDomainFederation/{id}) and found with
  $filter=domains/any(x: x/id eq 'fabrikam.test'); later changed with PATCH
  .../federationConfigurations/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation (204) and
  deleted with DELETE .../federationConfigurations/{id} (204), Graph's documented paths.
- A: alice@fabrikam.test is invited; the redeem link sends the browser to the IdP with an
  AuthnRequest (checked from the IdP's record: Issuer = Portico's entity id, ACS URL, Destination
  = the IdP's SSO URL, unsigned, RelayState, NameIDPolicy persistent, the login hint); the IdP's
  login form; the signed Response goes back by an auto-submitted POST (Portico may bounce it once
  through its own auto-submitted form); "Review permissions"; Accept lands on the redirect URL.
  Graph: Accepted, identity federated / the IdP's entity id / alice's persistent NameID.
- B: single sign-on. Portico's cookies are dropped (the IdP's session cookie stays); the guest
  signs in to a web app (code flow with PKCE): Portico's username page, then straight through the
  IdP (no login form there), possibly the app's consent; the app's redirect URI gets a code; the
  id_token says amr ["fed"].
- C: carol@fabrikam.test is invited; in a fresh browser alice signs in at the IdP: Portico's page
  names the invited address; carol stays PendingAcceptance with no federated identity.
- D: dan@fabrikam.test is invited. A forged Response (alice signed in, the IdP rewrote the email
  to dan's after signing) and then a Response signed with other.key (not the configured
  certificate) each get Portico's "could not be verified" page; dan stays PendingAcceptance. An
  admin PATCHes the federation's signingCertificate to other.crt (rollover): the same redeem link
  now works, and dan is Accepted.
- E: replay: the SAMLResponse that redeemed dan (the IdP's /last-response) is POSTed again to the
  ACS with its RelayState by httpx, with the browser's cookies and without: Portico refuses
  ("expired" or "not valid"), and nothing changes.
- F: the federation is deleted through Graph (204, then 404): alice signing in to the app gets a
  page telling her to have her invitation reset, and the IdP sees no request.

One browser throughout (the servers share the host 127.0.0.1, so cookies are shared between them:
cookies do not isolate ports). Every wait is bounded, and tests not started within SUITE_WAIT
seconds are reported failed. The IdP's output goes to $E2E_TMP/partner-saml-PID.log.
"""

import base64
import hashlib
import json
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Optional
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import httpx  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from portico import TMP, Portico  # noqa: E402
from redemption_test import PAGE_WAIT, Browser, Landing  # noqa: E402
# federation_test.py's Graph client (client credentials, invitations, guests), its page helpers
# (which also keep the browser off every name but loopback) and its JWT decoding.
from federation_test import Graph, b64url, federated, fill, jwt_payload, on, submit  # noqa: E402

SAML_IDP = os.path.join(HERE, "saml_idp.py")
ORG = "Contoso SAML Federation E2E"  # the inviting tenant's name, on the Review permissions page
ADMIN_PERMISSIONS = ["User.Invite.All", "User.ReadWrite.All", "IdentityProvider.ReadWrite.All"]
DOMAIN = "fabrikam.test"
ALICE = "alice@fabrikam.test"  # IdP account alice / alice123
CAROL = "carol@fabrikam.test"  # invited, but alice signs in
DAN = "dan@fabrikam.test"  # IdP account dan / dan123; the certificate rollover
LOGIN = {"alice": ("alice", "alice123"), "dan": ("dan", "dan123")}
FEDERATIONS = "/directory/federationConfigurations"
SAML_FEDERATION_TYPE = "samlOrWsFedExternalDomainFederation"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
IDP_COOKIE = "fabrikam_idp_session"  # saml_idp.py's session cookie
SCOPES = "openid profile email"
HTTP_WAIT = 20  # seconds for any HTTP call of the test itself
IDP_START_WAIT = 30  # seconds for saml_idp.py to print "listening on"
SUITE_WAIT = 150  # seconds after which no further test starts (run.sh allows 180 per suite)
MAX_STEPS = 12  # pages answered in one sign-in before giving up
REFUSED = ("portico-error", "portico-other")  # the kinds of page Portico refuses on

# A page whose forms are all hidden inputs (the IdP's SAMLResponse form, Portico's same-site
# bounce): it submits itself. null while a document is still loading.
AUTO_POST_JS = """
if (document.readyState !== 'complete') return null;
return Array.from(document.forms).some(f => f.method.toLowerCase() === 'post' && f.elements.length > 0
  && Array.from(f.elements).every(e => e.type === 'hidden' || e.offsetParent === null));
"""


# ---- keys: two RSA 2048 pairs for the IdP, made with openssl ----

def make_keys(directory):
    """idp.key/idp.crt and other.key/other.crt (self-signed, 2 days) in directory."""
    keys = {}
    for name in ("idp", "other"):
        key, cert = os.path.join(directory, f"{name}.key"), os.path.join(directory, f"{name}.crt")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "2", "-subj", f"/CN={name}.{DOMAIN}"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"openssl failed: {r.stderr}"
        keys[name] = (key, cert)
    return keys


def cert_b64(cert_path):
    """The certificate as Graph's signingCertificate wants it: base64 of the DER, no PEM armour."""
    with open(cert_path) as f:
        return base64.b64encode(ssl.PEM_cert_to_DER_cert(f.read())).decode()


# ---- the IdP (saml_idp.py) ----

class SamlIdp:
    """`python saml_idp.py`: pysaml2 on 127.0.0.1, its output in $E2E_TMP/partner-saml-PID.log (run.sh
    shows it when the suite fails); its test hooks read over http."""

    def __init__(self, keys, sp_metadata_url):
        (key, cert), (other_key, other_cert) = keys["idp"], keys["other"]
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
        # stdin is a pipe this process holds: if the test dies, the IdP sees EOF and exits.
        self.proc = subprocess.Popen(
            [sys.executable, SAML_IDP, "--port", "0", "--key", key, "--cert", cert, "--other-key", other_key,
             "--other-cert", other_cert, "--sp-metadata", sp_metadata_url, "--exit-on-stdin-eof",
             "--workdir", tempfile.mkdtemp(prefix="saml-idp-", dir=TMP)],
            cwd=HERE, env=child_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log_path = os.path.join(TMP, f"partner-saml-{self.proc.pid}.log")
        self.lines = []
        self.base = None
        listening = threading.Event()

        def pump():
            with open(self.log_path, "w") as log:
                for line in self.proc.stdout:
                    self.lines.append(line.rstrip("\n"))
                    log.write(line)
                    log.flush()
                    m = re.match(r"listening on (http://\S+)", line)
                    if m and not listening.is_set():
                        self.base = m.group(1)
                        listening.set()
            listening.set()  # exited: stop waiting

        threading.Thread(target=pump, daemon=True).start()
        if not listening.wait(IDP_START_WAIT) or not self.base:
            self.stop()
            raise RuntimeError(f"saml_idp.py did not listen within {IDP_START_WAIT} s:\n" + "\n".join(self.lines[-20:]))
        self.entity_id = f"{self.base}/metadata"
        self.sso_url = f"{self.base}/sso/redirect"
        self.http = httpx.Client(base_url=self.base, timeout=HTTP_WAIT, trust_env=False)

    def get(self, path):
        r = self.http.get(path)
        assert r.status_code == 200, f"IdP GET {path}: {r.status_code} {r.text[:500]}"
        return r.json()

    def control(self, **settings):
        r = self.http.post("/control", json=settings)
        assert r.status_code == 200, f"IdP POST /control {settings}: {r.status_code} {r.text[:500]}"
        return r.json()

    def requests(self):
        """What each AuthnRequest said (id, issuer, destination, acs_url, signed, relay_state,
        name_id_policy, login_hint, ...), oldest first."""
        return self.get("/requests")

    def last_response(self):
        return self.get("/last-response")

    def stats(self):
        return self.get("/stats")

    def stop(self):
        if getattr(self, "http", None):
            self.http.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass


# ---- driving the pages (recognised by their inputs and hosts, never by their text) ----

def page_kind(b, ctx):
    """loading, auto-post (a self-submitting form: the IdP's Response, Portico's bounce),
    idp-login, idp-other (the IdP's own error page), consent (Portico's: Review permissions or
    an app's consent), portico-error (a Portico page with an error: role=alert), username,
    portico-other (Portico's other pages), landed (a listener of this test), or other."""
    try:
        auto = b.driver.execute_script(AUTO_POST_JS)
        url = b.driver.current_url
        if auto is None:
            return "loading"
        if auto:
            return "auto-post"
        if url.startswith(ctx.idp.base + "/"):
            return "idp-login" if on(b, "input[name=password]") else "idp-other"
        if url.startswith(ctx.p.url + "/"):
            if on(b, "button[name=consent][value=accept]"):
                return "consent"
            if any(e.text.strip() for e in on(b, "[role=alert]")):
                return "portico-error"  # a message page, or a form (the username page) with its error
            if on(b, "input[name=username]"):
                return "username"
            return "portico-other"
    except WebDriverException:  # between documents
        return "loading"
    if any(url.startswith(listener.url) for listener in ctx.listeners()):
        return "landed"
    return "other"


def settle(b, ctx, done=lambda: False):
    """Waits until the browser rests on a page that does not submit itself; returns its kind."""
    kinds = []

    def resting(_):
        if done():
            return True
        kinds.append(page_kind(b, ctx))
        return kinds[-1] not in ("loading", "auto-post")

    try:
        WebDriverWait(b.driver, PAGE_WAIT, poll_frequency=0.1).until(resting)
    except TimeoutException:
        raise AssertionError(f"the browser did not come to rest within {PAGE_WAIT} s (last: {kinds[-1:]}, at "
                             f"{b.driver.current_url}):\n{b.text()[:1500]}") from None
    return kinds[-1] if kinds else "done"


def drive(b, ctx, done, login=None, username=None, stop_at=()):
    """Answers each page until done() is true or a page of a kind in stop_at shows: the IdP's
    login form (as `login`, a (username, password) pair), Portico's username page (as
    `username`) and an app's consent page. Returns the kinds of page seen, in order."""
    seen = []
    for _ in range(MAX_STEPS):
        kind = settle(b, ctx, done)
        if done():
            return seen
        seen.append(kind)
        if kind in stop_at:
            return seen
        if kind == "idp-login" and login:
            fill(b, "input[name=username]", login[0])
            fill(b, "input[name=password]", login[1])
            submit(b, "#signin")
        elif kind == "username" and username:
            fill(b, "input[name=username]", username)
            submit(b, "button[type=submit]")
        elif kind == "consent" and "consent" not in stop_at:
            submit(b, "button[name=consent][value=accept]")
        else:
            raise AssertionError(f"unexpected {kind} page at {b.driver.current_url} after {' > '.join(seen)}:\n"
                                 f"{b.text()[:1500]}")
    raise AssertionError(f"not done after {MAX_STEPS} pages: {' > '.join(seen)}; at {b.driver.current_url}")


def redeem(ctx, inv, login, stop_at):
    """Opens the redeem link in a browser that has no cookies (no Portico and no IdP session) and
    answers the IdP's login form as `login` until a page of a kind in stop_at."""
    b = ctx.need_browser()
    b.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})  # every path's, every port's
    b.driver.get(inv["inviteRedeemUrl"])
    return b, drive(b, ctx, lambda: False, login=login, stop_at=stop_at)


def accept_and_land(ctx, b):
    landed = len(ctx.landing.paths)
    submit(b, "#accept")
    settle(b, ctx, lambda: b.driver.current_url.startswith(ctx.landing.url))
    assert b.driver.current_url.startswith(ctx.landing.url), f"at {b.driver.current_url}:\n{b.text()[:1500]}"
    assert b.has("landed") and len(ctx.landing.paths) == landed + 1, ctx.landing.paths


def all_cookies(b):
    """Every cookie of the browser, whatever its path (CDP; Selenium's get_cookies sees only those
    of the current page)."""
    try:
        return b.driver.execute_cdp_cmd("Storage.getCookies", {})["cookies"]
    except WebDriverException:
        return b.driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]


def drop_cookies(b, keep=()):
    """Drops every cookie whose name is not in keep, whatever its path. Returns the names dropped."""
    dropped = []
    for c in all_cookies(b):
        if c["name"] not in keep:
            b.driver.execute_cdp_cmd("Network.deleteCookies", {"name": c["name"], "domain": c["domain"],
                                                               "path": c["path"]})
            dropped.append(c["name"])
    return dropped


def check_authn_request(ctx, req, hint):
    """What Portico sent the IdP (the IdP's record of it): unsigned, by HTTP-Redirect, from Portico's
    entity id to the IdP's SSO URL, for the ACS, with RelayState, a persistent NameIDPolicy and
    the invited address as login hint."""
    assert not req.get("error") and not req.get("refused"), f"the IdP refused Portico's AuthnRequest: {req}"
    assert req.get("issuer") == ctx.sp_entity_id, (req.get("issuer"), ctx.sp_entity_id)
    assert req.get("acs_url") == ctx.acs, (req.get("acs_url"), ctx.acs)
    assert req.get("destination") == ctx.idp.sso_url, (req.get("destination"), ctx.idp.sso_url)
    assert req.get("signed") is False, f"Entra does not sign its AuthnRequests: {req}"
    assert req.get("relay_state"), f"no RelayState: {req}"
    assert req.get("protocol_binding") in (None, HTTP_POST), req
    assert (req.get("name_id_policy") or {}).get("format") == PERSISTENT, req.get("name_id_policy")
    login_hint = req.get("login_hint") or {}
    assert login_hint.get("format") == EMAIL_FORMAT and (login_hint.get("text") or "").lower() == hint, \
        f"Subject NameID (emailAddress) login hint {hint}: {login_hint}"


def new_requests(ctx, before):
    return ctx.idp.requests()[before:]


def visible_text(page_html):
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page_html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()


class FormFinder(HTMLParser):
    """The self-submitting forms of a page: (action, method, {name: value}) of the forms whose
    only controls outside <noscript> are hidden inputs."""

    def __init__(self):
        super().__init__()
        self.forms, self.current, self.noscript = [], None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "noscript":
            self.noscript += 1
        elif tag == "form":
            self.current = [a.get("action") or "", (a.get("method") or "get").lower(), {}, True]
        elif self.current and tag in ("input", "button", "select", "textarea") and not self.noscript:
            if tag == "input" and (a.get("type") or "").lower() == "hidden":
                self.current[2][a.get("name") or ""] = a.get("value") or ""
            else:
                self.current[3] = False

    def handle_endtag(self, tag):
        if tag == "noscript":
            self.noscript = max(0, self.noscript - 1)
        elif tag == "form" and self.current:
            if self.current[3] and self.current[2]:
                self.forms.append(tuple(self.current[:3]))
            self.current = None


def post_as_browser(http, ctx, url, data):
    """POSTs a form and follows what a browser would: redirects, and at most 3 of Portico's own
    self-submitting forms (its same-site bounce). Returns the last response."""
    r = http.post(url, data=data)
    for _ in range(3):
        finder = FormFinder()
        finder.feed(r.text)
        forms = [(urljoin(str(r.url), action), fields) for action, method, fields in finder.forms if method == "post"]
        if len(forms) != 1 or not forms[0][0].startswith(ctx.p.url + "/"):
            return r
        r = http.post(forms[0][0], data=forms[0][1])
    return r


# ---- Graph: the SAML federation ----

def federation_path(federation_id=""):
    """The list (no id) and read paths: `…/graph.samlOrWsFedExternalDomainFederation[/{id}]`."""
    return f"{FEDERATIONS}/graph.{SAML_FEDERATION_TYPE}" + (f"/{federation_id}" if federation_id else "")


def federation_update_path(federation_id):
    """Graph's documented path for a change: `…/{id}/microsoft.graph.samlOrWsFedExternalDomainFederation`."""
    return f"{FEDERATIONS}/{federation_id}/microsoft.graph.{SAML_FEDERATION_TYPE}"


def federation_delete_path(federation_id):
    """Graph's documented path for a deletion: `…/federationConfigurations/{id}`."""
    return f"{FEDERATIONS}/{federation_id}"


def federations_for_domain(ctx):
    expr = f"domains/any(x: x/id eq '{DOMAIN}')"
    return ctx.graph.call("GET", f"{federation_path()}?$filter={quote(expr, safe='')}")["value"]


def check_federation(ctx, got, cert):
    assert got.get("id") == ctx.federation_id, got
    for k, v in [("displayName", "Fabrikam SAML"), ("issuerUri", ctx.idp.entity_id),
                 ("passiveSignInUri", ctx.idp.sso_url), ("preferredAuthenticationProtocol", "saml")]:
        assert got.get(k) == v, f"{k}: {got.get(k)!r}, expected {v!r}: {got}"
    if got.get("signingCertificate") is not None:
        assert re.sub(r"\s+", "", got["signingCertificate"]) == cert, f"signingCertificate: {got['signingCertificate']}"


# ---- shared state ----

@dataclass
class Context:
    p: Portico
    graph: Graph
    landing: Landing
    keys: dict  # name -> (key file, cert file)
    sp_entity_id: str  # {portico}/{tenant}/
    acs: str  # {portico}/te/{tenant}/saml2/acs
    sp_metadata_url: str  # {portico}/te/{tenant}/saml2/metadata
    idp: Optional[SamlIdp] = None
    browser: Optional[Browser] = None
    federation_id: str = ""
    a_guest_id: str = ""
    alice_name_id: str = ""
    app: dict = field(default_factory=dict)  # the web app of B and F
    cb: Optional[Landing] = None  # its redirect URI
    dan_invitation: dict = field(default_factory=dict)
    dan_name_id: str = ""
    started: list = field(default_factory=list)  # more things to stop at the end

    def need_browser(self):
        if not self.browser:
            self.browser = Browser()
        return self.browser

    def listeners(self):
        return [self.landing, *([self.cb] if self.cb else [])]

    def need_app(self):
        if not self.app:
            self.cb = Landing("/cb")
            self.started.append(self.cb)
            self.app = self.p.create_app("Fabrikam Portal", "--redirect-uri", self.cb.url)
        return self.app


def authorize_url(ctx, verifier, state, nonce):
    """The app's sign-in: authorization code flow with PKCE (S256) at Portico's tenant."""
    return f"{ctx.p.url}/{ctx.p.tenant_id}/oauth2/v2.0/authorize?" + urlencode({
        "client_id": ctx.app["appId"], "response_type": "code", "redirect_uri": ctx.cb.url, "scope": SCOPES,
        "state": state, "nonce": nonce, "code_challenge_method": "S256",
        "code_challenge": b64url(hashlib.sha256(verifier.encode()).digest())})


# ---- Portico's SP metadata, and the federation through Graph ----

def test_sp_metadata(ctx):
    with httpx.Client(timeout=HTTP_WAIT, trust_env=False) as http:
        r = http.get(ctx.sp_metadata_url)
    assert r.status_code == 200, f"GET {ctx.sp_metadata_url}: {r.status_code} {r.text[:500]}"
    root = ET.fromstring(r.content)
    assert root.tag == f"{MD}EntityDescriptor", root.tag
    assert root.get("entityID") == ctx.sp_entity_id, (root.get("entityID"), ctx.sp_entity_id)
    acs = [(a.get("Binding"), a.get("Location")) for a in root.iter(f"{MD}AssertionConsumerService")]
    assert (HTTP_POST, ctx.acs) in acs, f"an HTTP-POST AssertionConsumerService at {ctx.acs}: {acs}"
    assert root.find(f"{MD}SPSSODescriptor") is not None, r.text[:1000]

    state = ctx.idp.control(reload_metadata=True)
    assert ctx.sp_entity_id in state["sp_entities"], f"the IdP could not load Portico's SP metadata: {state}"


def test_configure_federation(ctx):
    cert = cert_b64(ctx.keys["idp"][1])
    created = ctx.graph.call("POST", f"{FEDERATIONS}/microsoft.graph.{SAML_FEDERATION_TYPE}", {
        "displayName": "Fabrikam SAML", "issuerUri": ctx.idp.entity_id, "passiveSignInUri": ctx.idp.sso_url,
        "signingCertificate": cert, "preferredAuthenticationProtocol": "saml", "domains": [{"id": DOMAIN}]},
        expect=201)
    assert created.get("id"), created
    ctx.federation_id = created["id"]
    check_federation(ctx, created, cert)
    check_federation(ctx, ctx.graph.call("GET", federation_path(ctx.federation_id)), cert)
    listed = federations_for_domain(ctx)
    assert [f.get("id") for f in listed] == [ctx.federation_id], f"$filter by {DOMAIN}: {listed}"


# ---- A: redemption through the SAML IdP ----

def test_a_redeem_with_saml_idp(ctx):
    assert ctx.federation_id, "needs the federation of test_configure_federation"
    inv = ctx.graph.invite(ALICE, ctx.landing.url)
    ctx.a_guest_id = inv["invitedUser"]["id"]
    before = len(ctx.idp.requests())
    b, seen = redeem(ctx, inv, LOGIN["alice"], stop_at=("consent",))
    assert seen == ["idp-login", "consent"], f"pages: {' > '.join(seen)}"
    assert b.title() == "Review permissions", f"{b.title()!r} at {b.driver.current_url}:\n{b.text()[:1500]}"
    assert ORG in b.text() and ALICE in b.text(), b.text()

    reqs = new_requests(ctx, before)
    assert len(reqs) == 1, f"one AuthnRequest: {reqs}"
    check_authn_request(ctx, reqs[0], ALICE)
    resp = ctx.idp.last_response()
    assert resp["in_response_to"] == reqs[0]["id"] and resp["user"] == "alice", resp
    assert resp["acs"] == ctx.acs and resp["sp_entity_id"] == ctx.sp_entity_id, resp
    assert resp["RelayState"] == reqs[0]["relay_state"], "the RelayState went back as it came"
    ctx.alice_name_id = resp["name_id"]
    shown = {k: reqs[0].get(k) for k in ("issuer", "acs_url", "destination", "name_id_policy", "login_hint")}
    print(f"     AuthnRequest {reqs[0]['id']}: {json.dumps(shown)}", flush=True)

    accept_and_land(ctx, b)


def test_a_guest_accepted_in_graph(ctx):
    assert ctx.a_guest_id and ctx.alice_name_id and ctx.landing.paths, \
        "needs the redemption of test_a_redeem_with_saml_idp"
    guest = ctx.graph.guest(ctx.a_guest_id)
    assert guest.get("externalUserState") == "Accepted", guest
    assert federated(guest) == [("federated", ctx.idp.entity_id, ctx.alice_name_id)], guest.get("identities")


# ---- B: single sign-on to an app through the IdP's live session ----

def test_b_sso_to_an_app(ctx):
    assert ctx.a_guest_id and ctx.browser and ctx.alice_name_id, \
        "needs the redemption of scenario A (the IdP's session)"
    b = ctx.browser
    ctx.need_app()
    # Portico's sessions and sign-in state go, the IdP's session stays: as after a browser
    # restart with Portico's session expired.
    dropped = drop_cookies(b, keep=(IDP_COOKIE,))
    left = [c["name"] for c in all_cookies(b)]
    assert left == [IDP_COOKIE], f"cookies left: {left} (dropped {dropped}): the IdP's session must be there"

    verifier = secrets.token_urlsafe(48)
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    before, stats = len(ctx.idp.requests()), ctx.idp.stats()
    codes = len(ctx.cb.paths)
    b.driver.get(authorize_url(ctx, verifier, state, nonce))
    seen = drive(b, ctx, lambda: len(ctx.cb.paths) > codes, username=ALICE)
    print(f"     pages: {' > '.join(seen)} > the app's redirect URI (dropped cookies: {dropped})", flush=True)
    assert seen and seen[0] == "username", f"Portico asks who signs in first: {seen}"
    assert "idp-login" not in seen, f"the IdP showed its login form (its session was alive): {seen}"
    after = ctx.idp.stats()
    assert after["login_forms"] == stats["login_forms"] and after["sso"] == stats["sso"] + 1, (stats, after)
    reqs = new_requests(ctx, before)
    assert len(reqs) == 1, f"one round trip through the IdP: {reqs}"
    check_authn_request(ctx, reqs[0], ALICE)

    assert len(ctx.cb.paths) == codes + 1, ctx.cb.paths
    query = parse_qs(urlsplit(ctx.cb.paths[-1]).query)
    assert "error" not in query, query
    assert query.get("state") == [state] and query.get("code"), query
    r = httpx.post(ctx.p.token_endpoint, timeout=HTTP_WAIT, trust_env=False, data={
        "grant_type": "authorization_code", "client_id": ctx.app["appId"], "client_secret": ctx.app["password"],
        "code": query["code"][0], "redirect_uri": ctx.cb.url, "code_verifier": verifier, "scope": SCOPES})
    assert r.status_code == 200, f"code redemption: {r.status_code} {r.text}"
    claims = jwt_payload(r.json()["id_token"])
    assert claims.get("amr") == ["fed"], f"amr of a federated guest: {claims}"
    assert claims.get("aud") == ctx.app["appId"] and claims.get("nonce") == nonce, claims
    assert claims.get("oid") in (None, ctx.a_guest_id), claims


# ---- C: another account than the invited one ----

def test_c_wrong_account_refused(ctx):
    assert ctx.federation_id, "needs the federation of test_configure_federation"
    inv = ctx.graph.invite(CAROL, ctx.landing.url)
    landed = len(ctx.landing.paths)
    before = len(ctx.idp.requests())
    b, seen = redeem(ctx, inv, LOGIN["alice"], stop_at=(*REFUSED, "consent"))
    assert len(seen) == 2 and seen[0] == "idp-login" and seen[1] in REFUSED, \
        f"pages: {' > '.join(seen)}\n{b.text()[:1500]}"
    text = b.text()
    assert CAROL in text, f"Portico's page names the invited address:\n{text[:1500]}"
    print(f"     the page names the account used too: {ALICE in text}", flush=True)
    assert len(ctx.landing.paths) == landed
    reqs = new_requests(ctx, before)
    assert len(reqs) == 1, reqs
    check_authn_request(ctx, reqs[0], CAROL)
    assert ctx.idp.last_response()["user"] == "alice"

    guest = ctx.graph.guest(inv["invitedUser"]["id"])
    assert guest.get("externalUserState") == "PendingAcceptance", guest
    assert federated(guest) == [], f"nothing recorded: {guest.get('identities')}"


# ---- D: answers that fail the signature check, then an admin's certificate rollover ----

def refused_unverified(ctx, inv, login, what):
    b, seen = redeem(ctx, inv, login, stop_at=(*REFUSED, "consent"))
    assert len(seen) == 2 and seen[0] == "idp-login" and seen[1] in REFUSED, \
        f"{what}: pages {' > '.join(seen)}\n{b.text()[:1500]}"
    assert "could not be verified" in b.text().lower(), \
        f"{what}: Portico's 'could not be verified' page:\n{b.text()[:1500]}"
    guest = ctx.graph.guest(inv["invitedUser"]["id"])
    assert guest.get("externalUserState") == "PendingAcceptance", guest
    assert federated(guest) == [], f"{what}: nothing recorded: {guest.get('identities')}"


def test_d_forged_assertion_refused(ctx):
    assert ctx.federation_id, "needs the federation of test_configure_federation"
    ctx.dan_invitation = inv = ctx.graph.invite(DAN, ctx.landing.url)
    # alice signs in; the IdP rewrites the address to dan's after signing (both signatures cover it).
    ctx.idp.control(forge_email=DAN, signing_key="idp")
    try:
        refused_unverified(ctx, inv, LOGIN["alice"], "a response forged after signing")
        resp = ctx.idp.last_response()
        assert resp["forged"] and resp["user"] == "alice", resp
    finally:
        ctx.idp.control(forge_email=None)


def test_d_other_key_refused(ctx):
    inv = ctx.dan_invitation
    assert inv, "needs the invitation of test_d_forged_assertion_refused"
    ctx.idp.control(signing_key="other", forge_email=None)
    refused_unverified(ctx, inv, LOGIN["dan"], "a response signed with a key the federation does not name")
    resp = ctx.idp.last_response()
    assert resp["signing_key"] == "other" and resp["user"] == "dan" and not resp["forged"], resp


def test_d_certificate_rollover(ctx):
    inv = ctx.dan_invitation
    assert inv and ctx.federation_id, "needs test_d_other_key_refused"
    other = cert_b64(ctx.keys["other"][1])
    assert ctx.graph.call("PATCH", federation_update_path(ctx.federation_id), {"signingCertificate": other},
                          expect=204) is None
    check_federation(ctx, ctx.graph.call("GET", federation_path(ctx.federation_id)), other)
    assert ctx.idp.control()["signing_key"] == "other"

    b, seen = redeem(ctx, inv, LOGIN["dan"], stop_at=("consent", *REFUSED))
    assert seen == ["idp-login", "consent"], f"the same link after the rollover: {' > '.join(seen)}\n{b.text()[:1500]}"
    assert DAN in b.text(), b.text()
    resp = ctx.idp.last_response()
    assert resp["signing_key"] == "other" and resp["user"] == "dan", resp
    ctx.dan_name_id = resp["name_id"]
    accept_and_land(ctx, b)

    guest = ctx.graph.guest(inv["invitedUser"]["id"])
    assert guest.get("externalUserState") == "Accepted", guest
    assert federated(guest) == [("federated", ctx.idp.entity_id, ctx.dan_name_id)], guest.get("identities")


# ---- E: a replayed response ----

def test_e_replayed_response_refused(ctx):
    inv = ctx.dan_invitation
    assert inv and ctx.dan_name_id, "needs the redemption of test_d_certificate_rollover"
    resp = ctx.idp.last_response()
    assert resp["user"] == "dan" and resp["name_id"] == ctx.dan_name_id and not resp["forged"], \
        f"the last response is the one that redeemed dan's invitation: {resp}"
    guest_before = ctx.graph.guest(inv["invitedUser"]["id"])
    landed = len(ctx.landing.paths)
    browser_cookies = {c["name"]: c["value"] for c in all_cookies(ctx.browser)} if ctx.browser else {}
    for who, cookies in [("the same browser", browser_cookies), ("another browser", {})]:
        with httpx.Client(timeout=HTTP_WAIT, trust_env=False, follow_redirects=True, cookies=cookies) as http:
            r = post_as_browser(http, ctx, ctx.acs, {"SAMLResponse": resp["SAMLResponse"],
                                                     "RelayState": resp["RelayState"] or ""})
        text = visible_text(r.text)
        where = f"replayed from {who}: {r.status_code} at {r.url}"
        assert 200 <= r.status_code < 500, f"{where}: {text[:800]}"
        assert str(r.url).startswith(ctx.p.url + "/"), f"{where}: Portico's own page, not a redirect onwards"
        assert "expired" in text.lower() or "not valid" in text.lower(), \
            f"{where}: 'expired or not valid':\n{text[:800]}"
        assert 'name="consent"' not in r.text and "code=" not in str(r.url), f"{where}: {text[:800]}"
        print(f"     {where}: {text[:160]!r}", flush=True)

    assert len(ctx.landing.paths) == landed
    guest_after = ctx.graph.guest(inv["invitedUser"]["id"])
    assert guest_after.get("externalUserState") == "Accepted", guest_after
    assert federated(guest_after) == federated(guest_before), (guest_before, guest_after)


# ---- F: the federation deleted ----

def test_f_federation_deleted(ctx):
    assert ctx.federation_id and ctx.alice_name_id, "needs the federation and alice's redemption (scenario A)"
    assert ctx.graph.call("DELETE", federation_delete_path(ctx.federation_id), expect=204) is None
    ctx.graph.call("GET", federation_path(ctx.federation_id), expect=404)
    assert federations_for_domain(ctx) == [], "no federation serves fabrikam.test any more"

    b = ctx.need_browser()
    ctx.need_app()
    drop_cookies(b, keep=(IDP_COOKIE,))  # Portico's session goes; an IdP session would stay
    before, codes = len(ctx.idp.requests()), len(ctx.cb.paths)
    verifier = secrets.token_urlsafe(48)
    b.driver.get(authorize_url(ctx, verifier, secrets.token_urlsafe(16), secrets.token_urlsafe(16)))
    # Portico may say so on its username page (an error above the form) or on a page of its own.
    seen = drive(b, ctx, lambda: len(ctx.cb.paths) > codes, username=ALICE, stop_at=(*REFUSED, "consent"))
    text = b.text()
    assert seen and seen[-1] in REFUSED, f"pages: {' > '.join(seen)}\n{text[:1500]}"
    assert "reset" in text.lower(), f"a page telling alice to have her invitation reset:\n{text[:1500]}"
    assert len(ctx.cb.paths) == codes, ctx.cb.paths
    assert new_requests(ctx, before) == [], "Portico sent alice to the IdP of a deleted federation"
    print(f"     {' > '.join(seen)}: {text[:200]!r}", flush=True)


TESTS = [test_sp_metadata, test_configure_federation, test_a_redeem_with_saml_idp, test_a_guest_accepted_in_graph,
         test_b_sso_to_an_app, test_c_wrong_account_refused, test_d_forged_assertion_refused,
         test_d_other_key_refused, test_d_certificate_rollover, test_e_replayed_response_refused,
         test_f_federation_deleted]


def setup():
    """Portico (DNS authorization of the passive URL skipped), the admin app and its Graph
    client, the redirect target, the IdP's keys and the IdP (with Portico's SP metadata URL)."""
    landing = Landing()
    p = graph = None
    try:
        keys = make_keys(tempfile.mkdtemp(prefix="saml-keys-", dir=TMP))
        p = Portico(env={"PORTICO_FEDERATION_SKIP_DNS_AUTHORIZATION": "true", "PORTICO_TENANT_NAME": ORG})
        app = p.create_app("SAML federation admin",
                           *[a for perm in ADMIN_PERMISSIONS for a in ("--graph-permission", perm)])
        graph = Graph(p, app)
        t = p.tenant_id
        ctx = Context(p, graph, landing, keys, sp_entity_id=f"{p.url}/{t}/", acs=f"{p.url}/te/{t}/saml2/acs",
                      sp_metadata_url=f"{p.url}/te/{t}/saml2/metadata")
        ctx.idp = SamlIdp(keys, ctx.sp_metadata_url)
    except BaseException:
        for thing in (graph, p, landing):
            if thing:
                (thing.close if isinstance(thing, Graph) else thing.stop)()
        raise
    print(f"portico at {p.url}, tenant {p.tenant_id}; SAML IdP at {ctx.idp.base} (entity {ctx.idp.entity_id})",
          flush=True)
    return ctx


def run_tests(ctx, only):
    passed = failed = 0
    deadline = time.monotonic() + SUITE_WAIT
    for t in TESTS:
        if only and not any(o in t.__name__ for o in only):
            continue
        if time.monotonic() > deadline:
            failed += 1
            print(f"FAIL {t.__name__}: not started, the suite's {SUITE_WAIT} s are up", flush=True)
            continue
        start = time.monotonic()
        try:
            t(ctx)
            passed += 1
            print(f"ok   {t.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__} ({time.monotonic() - start:.1f}s)\n{traceback.format_exc()}", flush=True)
    return passed, failed


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # timed out: still stop servers and browser
    only = sys.argv[1:]
    passed = failed = 0
    ctx = None
    try:
        ctx = setup()
        passed, failed = run_tests(ctx, only)
    except Exception:
        failed += 1
        print(f"FAIL setup\n{traceback.format_exc()}", flush=True)
    finally:
        if ctx:
            for thing in [*ctx.started, ctx.browser, ctx.idp, ctx.graph, ctx.p, ctx.landing]:
                if thing:
                    try:
                        (thing.quit if isinstance(thing, Browser) else
                         thing.close if isinstance(thing, Graph) else thing.stop)()
                    except Exception as e:  # keep stopping the others
                        print(f"stopping {type(thing).__name__}: {e}", flush=True)
    print(f"saml-federation: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
