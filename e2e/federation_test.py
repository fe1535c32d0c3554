"""Guests signing in with their own OpenID Connect provider, end to end, with real parts only: the
real portico binary, two real OpenID providers (node-oidc-provider 9 through partner_idp.mjs, one
playing a partner's provider, one playing Google), headless Chromium (Debian's chromium and
chromedriver, driven by Selenium) and Microsoft Graph on Portico through plain httpx.

Run by e2e/run.sh with the e2e/.venv python: `python federation_test.py [NAME...]` runs the tests
whose names contain NAME (all when none; a scenario's later tests need its earlier ones, and the
scenarios build on each other in order). Needs PORTICO_BIN (default target/debug/portico) and node
with e2e/node_modules (npm ci); CHROMIUM and CHROMEDRIVER name the browser and its driver.

Setup: Portico on 127.0.0.1:0 with PORTICO_GOOGLE_ISSUER pointing at the "google" provider's port;
an app with User.Invite.All, User.ReadWrite.All and IdentityProvider.ReadWrite.All; the partner's
provider (account alice -> alice@partner.test) and "google" (bob -> bob@gmail.com), each with the
client Portico uses and Portico's redirect URI {portico}/te/{tenant}/oauth2/authresp registered.
Through Graph: an oidcIdentityProvider for partner.test and the Google socialIdentityProvider.

Scenarios (one browser throughout; all servers share the host 127.0.0.1, so cookies are shared
between them: cookies do not isolate ports):
- A: alice@partner.test is invited; the redeem link sends the browser to the partner's provider
  (authorization request checked: code, PKCE S256, state, nonce, login_hint, scopes, redirect
  URI), which asks for login and consent; Portico shows "Review permissions"; Accept lands on
  the redirect URL. Graph: Accepted, identity federated / partner issuer / alice's sub. The code
  was redeemed at the partner with client_secret_basic.
- B: single sign-on. Portico's own session cookies are dropped (the partner's session stays); the
  guest signs in to a web app on Portico: username page, straight through the partner (no login
  or consent page there), possibly the app's consent page, then the app's redirect URI gets a
  code. Redeemed with the app's secret, the id_token says amr ["fed"].
- C: bob@gmail.com is invited and redeems through the Google preset ("google" only offers
  client_secret_post at its token endpoint); the identity's issuer is google.com.
- D: carol@partner.test is invited but signs in at the partner as alice: Portico's page names
  both addresses; carol stays PendingAcceptance with no federated identity.
- E: a second federation, for down.test, whose provider does not answer (nothing listens at its
  issuer); dave@down.test is invited; the redeem link shows Portico's "not answering" page
  (within the suite's bounds), and dave stays PendingAcceptance.
"""

import base64
import hashlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import parse_qs, urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import httpx  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from portico import TMP, Portico, free_port, wait_for  # noqa: E402
# redemption_test.py's headless Chromium (system chromedriver, no downloads) and its loopback
# redirect target.
import redemption_test  # noqa: E402
from redemption_test import PAGE_WAIT, Browser, Landing  # noqa: E402

# The partner's provider's pages @import a font from the internet: the browser resolves no name
# but loopback, so nothing waits on the network (and nothing leaves the machine).
redemption_test.CHROMIUM_ARGS.append("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")

NODE = os.environ.get("NODE") or "node"
PARTNER_IDP = os.path.join(HERE, "partner_idp.mjs")
ORG = "Contoso Federation E2E"  # the inviting tenant's name, on the Review permissions page
ADMIN_PERMISSIONS = ["User.Invite.All", "User.ReadWrite.All", "IdentityProvider.ReadWrite.All"]
PARTNER_DOMAIN = "partner.test"
ALICE = "alice@partner.test"  # the partner's account "alice"
BOB = "bob@gmail.com"  # the "google" account "bob"
CAROL = "carol@partner.test"  # invited, but alice signs in
DAVE = "dave@down.test"  # invited at a domain whose provider is down (never reached yet)
SCOPES = "openid profile email"
HTTP_WAIT = 20  # seconds for any HTTP call of the test itself
IDP_START_WAIT = 30  # seconds for partner_idp.mjs to print "listening on"
DOWN_WAIT = 30  # seconds for the "not answering" page (Portico's provider calls time out in 10 s)
MAX_STEPS = 12  # pages answered in one sign-in before giving up


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_payload(jwt):
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# ---- the partner's provider (partner_idp.mjs) ----

class PartnerIdp:
    """`node partner_idp.mjs`: node-oidc-provider 9 on 127.0.0.1, its output in
    $E2E_TMP/partner-NAME-PID.log (run.sh shows it when the suite fails)."""

    def __init__(self, name, accounts, clients, port=0, env=None):
        self.name = name
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
        child_env.update(PORT=str(port), ACCOUNTS=json.dumps(accounts), CLIENTS=json.dumps(clients),
                         EXIT_ON_STDIN_EOF="1", **(env or {}))
        # stdin is a pipe this process holds: if the test dies, the provider sees EOF and exits.
        self.proc = subprocess.Popen([NODE, PARTNER_IDP], cwd=HERE, env=child_env, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log_path = os.path.join(TMP, f"partner-{name}-{self.proc.pid}.log")
        self.lines = []
        self.issuer = None
        listening = threading.Event()

        def pump():
            with open(self.log_path, "w") as log:
                for line in self.proc.stdout:
                    self.lines.append(line.rstrip("\n"))
                    log.write(line)
                    log.flush()
                    m = re.match(r"listening on (http://\S+)", line)
                    if m and not listening.is_set():
                        self.issuer = m.group(1)
                        listening.set()
            listening.set()  # exited: stop waiting

        threading.Thread(target=pump, daemon=True).start()
        if not listening.wait(IDP_START_WAIT) or not self.issuer:
            self.stop()
            raise RuntimeError(f"partner_idp.mjs ({name}) did not listen within {IDP_START_WAIT} s:\n"
                               + "\n".join(self.lines[-20:]))

    def _json_lines(self, kind):
        return [json.loads(line[len(kind) + 1:]) for line in list(self.lines) if line.startswith(kind + " ")]

    def auth_requests(self):
        """The parameters of every authorization request it received."""
        return self._json_lines("auth")

    def token_requests(self):
        """How each token request authenticated: {authorization: 'basic' | None, content_type}."""
        return self._json_lines("token")

    def page_views(self):
        """How many times it showed its own pages (login or consent)."""
        return sum(1 for line in list(self.lines) if line.startswith("request GET /interaction/"))

    def stop(self):
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


# ---- Graph on Portico, with plain httpx ----

class Graph:
    """Client credentials at Portico's token endpoint, then /v1.0 calls with the bearer token."""

    def __init__(self, p, app):
        self.p, self.app = p, app
        self.http = httpx.Client(base_url=f"{p.url}/v1.0", timeout=HTTP_WAIT, trust_env=False)
        r = httpx.post(p.token_endpoint, timeout=HTTP_WAIT, trust_env=False, data={
            "grant_type": "client_credentials", "client_id": app["appId"], "client_secret": app["password"],
            "scope": "https://graph.microsoft.com/.default"})
        assert r.status_code == 200, f"client credentials for Graph: {r.status_code} {r.text}"
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def call(self, method, path, body=None, expect=200):
        r = self.http.request(method, path, json=body)
        assert r.status_code == expect, f"{method} /v1.0{path}: expected {expect}, got {r.status_code}: {r.text}"
        return r.json() if r.content else None

    def invite(self, address, redirect_url):
        inv = self.call("POST", "/invitations", {"invitedUserEmailAddress": address, "inviteRedirectUrl": redirect_url,
                                                 "sendInvitationMessage": False}, expect=201)
        assert inv.get("inviteRedeemUrl", "").startswith(f"{self.p.url}/redeem?"), inv
        assert inv.get("invitedUser", {}).get("id"), inv
        assert inv.get("status") == "PendingAcceptance", inv
        return inv

    def guest(self, user_id):
        return self.call("GET", f"/users/{user_id}?$select=identities,externalUserState")

    def close(self):
        self.http.close()


def federated(user):
    return [(i.get("signInType"), i.get("issuer"), i.get("issuerAssignedId"))
            for i in user.get("identities") or [] if i.get("signInType") == "federated"]


# ---- an app's redirect URI: a loopback listener recording each request ----

# ---- driving the pages (recognised by their inputs, never by their text) ----

def on(b, css):
    return b.driver.find_elements(By.CSS_SELECTOR, css)


def submit(b, css):
    """Clicks css and waits until the next document has replaced this one and loaded (as
    Browser.click does, for buttons without an id)."""
    buttons = on(b, css)
    assert buttons, f"no {css} on {b.driver.current_url}:\n{b.text()[:1500]}"
    b.driver.execute_script("window.__e2eOld = true")
    buttons[0].click()

    def next_page_loaded(d):
        try:
            return d.execute_script("return window.__e2eOld !== true && document.readyState === 'complete'")
        except WebDriverException:  # between documents
            return False

    try:
        WebDriverWait(b.driver, PAGE_WAIT).until(next_page_loaded)
    except TimeoutException:
        raise AssertionError(f"no new page within {PAGE_WAIT} s after {css} on {b.driver.current_url}:\n"
                             f"{b.text()[:1500]}") from None


def fill(b, css, text):
    el = on(b, css)
    assert el, f"no {css} on {b.driver.current_url}:\n{b.text()[:1500]}"
    el[0].clear()
    el[0].send_keys(text)


def page_kind(b, ctx):
    """partner-login, partner-consent (the providers' pages), username, consent (Portico's:
    Review permissions or an app's consent), or other."""
    url = b.driver.current_url
    at_provider = any(idp and url.startswith(idp.issuer + "/") for idp in (ctx.partner, ctx.google))
    if at_provider and on(b, "input[name=login]"):
        return "partner-login"
    if at_provider and on(b, "input[name=prompt][value=consent]"):
        return "partner-consent"
    if url.startswith(ctx.p.url + "/"):
        if on(b, "input[name=username]"):
            return "username"
        if on(b, "button[name=consent][value=accept]"):
            return "consent"
    return "other"


def drive(b, ctx, done, login=None, username=None, stop_at=()):
    """Answers each page until done() is true or a page of a kind in stop_at shows: the
    provider's login (as `login`, any password) and consent, Portico's username page (as
    `username`) and an app's consent page. Returns the kinds of page seen, in order."""
    seen = []
    for _ in range(MAX_STEPS):
        if done():
            return seen
        kind = page_kind(b, ctx)
        seen.append(kind)
        if kind in stop_at:
            return seen
        if kind == "partner-login" and login:
            fill(b, "input[name=login]", login)
            fill(b, "input[name=password]", "any password at all")
            submit(b, "button[type=submit]")
        elif kind == "partner-consent":
            submit(b, "button[type=submit]")
        elif kind == "username" and username:
            fill(b, "input[name=username]", username)
            submit(b, "button[type=submit]")
        elif kind == "consent" and "consent" not in stop_at:
            submit(b, "button[name=consent][value=accept]")
        else:
            raise AssertionError(f"unexpected {kind} page at {b.driver.current_url} after {' > '.join(seen)}:\n"
                                 f"{b.text()[:1500]}")
    raise AssertionError(f"not done after {MAX_STEPS} pages: {' > '.join(seen)}; at {b.driver.current_url}")


def redeem_through_provider(ctx, inv, login, expect_pages):
    """Opens the redeem link in a browser that has no cookies, signs in at the provider, and stops
    at Portico's Review permissions page."""
    b = ctx.need_browser()
    b.open(inv["inviteRedeemUrl"])
    seen = drive(b, ctx, lambda: False, login=login, stop_at=("consent",))
    assert seen == [*expect_pages, "consent"], f"pages: {' > '.join(seen)}"
    assert b.title() == "Review permissions", f"{b.title()!r} at {b.driver.current_url}:\n{b.text()[:1500]}"
    return b


def accept_and_land(ctx, b):
    landed = len(ctx.landing.paths)
    b.click("accept")
    wait_for(lambda: b.driver.current_url.startswith(ctx.landing.url), PAGE_WAIT,
             f"the browser at {ctx.landing.url} (it is at {b.driver.current_url})")
    assert b.has("landed") and len(ctx.landing.paths) == landed + 1, ctx.landing.paths


def check_authorization_request(req, idp, ctx, client_id, address):
    """What Portico sent the provider: the code flow with PKCE S256, state, nonce and login_hint."""
    assert req.get("client_id") == client_id, req
    assert req.get("response_type") == "code", req
    assert req.get("redirect_uri") == ctx.redirect_uri, (req.get("redirect_uri"), ctx.redirect_uri)
    assert set(SCOPES.split()) <= set(req.get("scope", "").split()), req
    assert req.get("code_challenge_method") == "S256" and len(req.get("code_challenge", "")) == 43, req
    assert req.get("state") and req.get("nonce"), req
    assert req.get("login_hint") == address, req
    assert "code_verifier" not in req and "client_secret" not in req, req


# ---- shared state ----

@dataclass
class Context:
    p: Portico
    graph: Graph
    landing: Landing
    redirect_uri: str  # Portico's, registered at both providers
    partner: Optional[PartnerIdp] = None
    google: Optional[PartnerIdp] = None
    partner_client: dict = field(default_factory=dict)
    google_client: dict = field(default_factory=dict)
    partner_provider_id: str = ""
    browser: Optional[Browser] = None
    a_guest_id: str = ""
    google_port: int = 0
    started: list = field(default_factory=list)  # more things to stop at the end

    def need_browser(self):
        if not self.browser:
            self.browser = Browser()
        return self.browser


# ---- configuration through Graph ----

def test_configure_providers(ctx):
    secret = ctx.partner_client["client_secret"]
    created = ctx.graph.call("POST", "/identity/identityProviders", {
        "@odata.type": "#microsoft.graph.oidcIdentityProvider", "displayName": "Partner",
        "issuer": ctx.partner.issuer, "clientId": ctx.partner_client["client_id"],
        "clientAuthentication": {"clientSecret": secret}, "domains": [PARTNER_DOMAIN]}, expect=201)
    assert created.get("id") and created.get("issuer") == ctx.partner.issuer, created
    assert secret not in json.dumps(created), "the client secret is write-only"
    ctx.partner_provider_id = created["id"]

    google_secret = ctx.google_client["client_secret"]
    google = ctx.graph.call("POST", "/identity/identityProviders", {
        "@odata.type": "#microsoft.graph.socialIdentityProvider", "identityProviderType": "Google",
        "clientId": ctx.google_client["client_id"], "clientSecret": google_secret}, expect=201)
    assert google.get("id") == "Google-OAUTH", google
    assert google_secret not in json.dumps(google), "the client secret is write-only"

    listed = ctx.graph.call("GET", "/identity/identityProviders")["value"]
    assert {i.get("id") for i in listed} >= {ctx.partner_provider_id, "Google-OAUTH"}, listed


# ---- A: redemption through the partner's provider ----

def test_a_redeem_with_partner_provider(ctx):
    inv = ctx.graph.invite(ALICE, ctx.landing.url)
    ctx.a_guest_id = inv["invitedUser"]["id"]
    before_auth, before_token = len(ctx.partner.auth_requests()), len(ctx.partner.token_requests())
    b = redeem_through_provider(ctx, inv, "alice", ["partner-login", "partner-consent"])
    assert ORG in b.text() and ALICE in b.text(), b.text()

    auths = ctx.partner.auth_requests()[before_auth:]
    assert len(auths) == 1, auths
    check_authorization_request(auths[0], ctx.partner, ctx, ctx.partner_client["client_id"], ALICE)
    tokens = ctx.partner.token_requests()[before_token:]
    assert [t["authorization"] for t in tokens] == ["basic"], f"one code redemption with client_secret_basic: {tokens}"

    accept_and_land(ctx, b)


def test_a_guest_accepted_in_graph(ctx):
    assert ctx.a_guest_id and ctx.landing.paths, "needs the redemption of test_a_redeem_with_partner_provider"
    guest = ctx.graph.guest(ctx.a_guest_id)
    assert guest.get("externalUserState") == "Accepted", guest
    assert federated(guest) == [("federated", ctx.partner.issuer, "alice")], guest.get("identities")


# ---- B: single sign-on to an app through the partner's live session ----

def test_b_sso_to_an_app(ctx):
    assert ctx.a_guest_id and ctx.browser, "needs the redemption of scenario A (the partner's session)"
    b = ctx.browser
    cb = Landing("/cb")
    ctx.started.append(cb)
    app = ctx.p.create_app("Partner Portal", "--redirect-uri", cb.url)

    # Only Portico's sessions go: the partner's session cookie stays, as after a browser restart
    # with Portico's session expired.
    dropped = [c["name"] for c in b.driver.get_cookies() if c["name"].startswith("portico_session_")]
    for name in dropped:
        b.driver.delete_cookie(name)
    assert not [c for c in b.driver.get_cookies() if c["name"].startswith("portico_session_")]

    verifier = secrets.token_urlsafe(48)
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    authorize = f"{ctx.p.url}/{ctx.p.tenant_id}/oauth2/v2.0/authorize?" + urlencode({
        "client_id": app["appId"], "response_type": "code", "redirect_uri": cb.url, "scope": SCOPES,
        "state": state, "nonce": nonce, "code_challenge_method": "S256",
        "code_challenge": b64url(hashlib.sha256(verifier.encode()).digest())})
    before_auth, before_pages = len(ctx.partner.auth_requests()), ctx.partner.page_views()
    b.driver.get(authorize)
    seen = drive(b, ctx, lambda: bool(cb.paths), username=ALICE)
    print(f"     pages: {' > '.join(seen)} > the app's redirect URI (Portico cookies dropped: {dropped})", flush=True)
    assert "partner-login" not in seen and "partner-consent" not in seen, seen
    assert seen[0] == "username", f"Portico asks who signs in first: {seen}"
    assert ctx.partner.page_views() == before_pages, "the partner's provider showed a page (its session was alive)"
    auths = ctx.partner.auth_requests()[before_auth:]
    assert len(auths) == 1, f"one round trip through the partner's provider: {auths}"
    check_authorization_request(auths[0], ctx.partner, ctx, ctx.partner_client["client_id"], ALICE)

    assert len(cb.paths) == 1, cb.paths
    query = parse_qs(urlsplit(cb.paths[0]).query)
    assert "error" not in query, query
    assert query.get("state") == [state] and query.get("code"), query
    r = httpx.post(ctx.p.token_endpoint, timeout=HTTP_WAIT, trust_env=False, data={
        "grant_type": "authorization_code", "client_id": app["appId"], "client_secret": app["password"],
        "code": query["code"][0], "redirect_uri": cb.url, "code_verifier": verifier, "scope": SCOPES})
    assert r.status_code == 200, f"code redemption: {r.status_code} {r.text}"
    claims = jwt_payload(r.json()["id_token"])
    assert claims.get("amr") == ["fed"], f"amr of a federated guest: {claims}"
    assert claims.get("aud") == app["appId"] and claims.get("nonce") == nonce, claims
    assert claims.get("oid") in (None, ctx.a_guest_id), claims


# ---- C: the Google preset ----

def test_c_redeem_with_google(ctx):
    inv = ctx.graph.invite(BOB, ctx.landing.url)
    before_auth, before_token = len(ctx.google.auth_requests()), len(ctx.google.token_requests())
    b = redeem_through_provider(ctx, inv, "bob", ["partner-login", "partner-consent"])
    assert BOB in b.text(), b.text()
    auths = ctx.google.auth_requests()[before_auth:]
    assert len(auths) == 1, auths
    check_authorization_request(auths[0], ctx.google, ctx, ctx.google_client["client_id"], BOB)
    tokens = ctx.google.token_requests()[before_token:]
    assert [t["authorization"] for t in tokens] == [None], \
        f"one code redemption with client_secret_post (the only method 'google' offers): {tokens}"
    accept_and_land(ctx, b)

    guest = ctx.graph.guest(inv["invitedUser"]["id"])
    assert guest.get("externalUserState") == "Accepted", guest
    assert federated(guest) == [("federated", "google.com", "bob")], guest.get("identities")


# ---- D: another account than the invited one ----

def test_d_wrong_account_refused(ctx):
    inv = ctx.graph.invite(CAROL, ctx.landing.url)
    landed = len(ctx.landing.paths)
    b = ctx.need_browser()
    b.open(inv["inviteRedeemUrl"])
    seen = drive(b, ctx, lambda: b.driver.current_url.startswith(f"{ctx.p.url}/te/"), login="alice")
    assert seen == ["partner-login", "partner-consent"], f"pages: {' > '.join(seen)}"
    text = b.text()
    assert ALICE in text and CAROL in text, f"Portico's page names both addresses:\n{text[:1500]}"
    assert not on(b, "button[name=consent]"), text
    assert len(ctx.landing.paths) == landed

    guest = ctx.graph.guest(inv["invitedUser"]["id"])
    assert guest.get("externalUserState") == "PendingAcceptance", guest
    assert federated(guest) == [], f"nothing recorded: {guest.get('identities')}"


# ---- E: the partner's provider is down ----

def test_e_provider_down(ctx):
    # A second partner whose provider is down: nothing listens at its issuer. (Once Portico has
    # cached a provider's metadata it sends the browser there directly, and the browser shows its
    # own error if the provider is down meanwhile, as with any redirect to an identity provider;
    # what Portico reports is a provider it cannot reach when it needs to.)
    issuer = f"http://127.0.0.1:{free_port()}"
    ctx.graph.call("POST", "/identity/identityProviders", {
        "@odata.type": "#microsoft.graph.oidcIdentityProvider", "displayName": "Down Inc",
        "issuer": issuer, "clientId": "portico", "clientAuthentication": {"clientSecret": "unused-secret"},
        "domains": ["down.test"]}, expect=201)
    with httpx.Client(timeout=5, trust_env=False) as http:
        try:
            http.get(f"{issuer}/.well-known/openid-configuration")
            raise AssertionError(f"something answers at {issuer}")
        except httpx.TransportError:
            pass

    inv = ctx.graph.invite(DAVE, ctx.landing.url)
    b = ctx.need_browser()
    started = time.monotonic()
    try:
        b.open(inv["inviteRedeemUrl"])
    except WebDriverException as e:  # chromedriver: a timeout, or the page it ended on failed to load
        print(f"     opening the link: {e.msg}", flush=True)
    at = b.driver.current_url
    if at.startswith(issuer):
        # What Portico answered to the link (a new flow of its own, no cookies: a diagnosis only).
        with httpx.Client(timeout=HTTP_WAIT, trust_env=False, follow_redirects=False) as http:
            r = http.get(inv["inviteRedeemUrl"])
        raise AssertionError(
            f"Portico sent the browser to the unreachable provider ({at.split('?')[0]}?...) instead of showing its "
            f"'not answering' page; GET of the redeem link answers {r.status_code} "
            f"Location: {r.headers.get('location', '')[:120]}...")
    wait_for(lambda: "not answering" in b.text(), max(1, DOWN_WAIT - (time.monotonic() - started)),
             f"Portico's 'not answering' page (the browser is at {b.driver.current_url}: {b.text()[:300]!r})")
    took = time.monotonic() - started
    assert b.driver.current_url.startswith(ctx.p.url), b.driver.current_url
    assert not on(b, "button[name=consent]"), b.text()
    print(f"     'not answering' shown {took:.1f} s after opening the link", flush=True)

    guest = ctx.graph.guest(inv["invitedUser"]["id"])
    assert guest.get("externalUserState") == "PendingAcceptance", guest
    assert federated(guest) == [], guest.get("identities")


TESTS = [test_configure_providers, test_a_redeem_with_partner_provider, test_a_guest_accepted_in_graph,
         test_b_sso_to_an_app, test_c_redeem_with_google, test_d_wrong_account_refused, test_e_provider_down]


def setup():
    """Portico (told where "google" will listen), the admin app and its Graph client, the redirect
    target."""
    google_port = free_port()  # Portico must know the Google issuer when it starts
    landing = Landing()
    p = None
    try:
        p = Portico(env={"PORTICO_GOOGLE_ISSUER": f"http://127.0.0.1:{google_port}", "PORTICO_TENANT_NAME": ORG})
        app = p.create_app("Federation admin", *[a for perm in ADMIN_PERMISSIONS for a in ("--graph-permission", perm)])
        ctx = Context(p, Graph(p, app), landing, f"{p.url}/te/{p.tenant_id}/oauth2/authresp")
    except BaseException:
        for thing in (p, landing):
            if thing:
                thing.stop()
        raise
    ctx.google_port = google_port
    return ctx


def start_providers(ctx):
    """Both providers, each with the client Portico uses and Portico's redirect URI registered."""
    ctx.partner_client = {"client_id": "portico", "client_secret": secrets.token_urlsafe(32),
                          "redirect_uris": [ctx.redirect_uri]}
    ctx.google_client = {"client_id": "portico-e2e.apps.googleusercontent.com",
                         "client_secret": secrets.token_urlsafe(32), "redirect_uris": [ctx.redirect_uri]}
    ctx.partner = PartnerIdp("partner", {"alice": {"email": ALICE, "email_verified": True, "name": "Alice Partner"}},
                             [ctx.partner_client])
    ctx.google = PartnerIdp("google", {"bob": {"email": BOB, "email_verified": True, "name": "Bob Gmail"}},
                            [ctx.google_client], port=ctx.google_port, env={"TOKEN_AUTH": "client_secret_post"})
    assert ctx.google.issuer == f"http://127.0.0.1:{ctx.google_port}", ctx.google.issuer
    print(f"portico at {ctx.p.url}, tenant {ctx.p.tenant_id}; partner provider at {ctx.partner.issuer}, "
          f"'google' at {ctx.google.issuer}", flush=True)


def run_tests(ctx, only):
    passed = failed = 0
    for t in TESTS:
        if only and not any(o in t.__name__ for o in only):
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
        start_providers(ctx)
        passed, failed = run_tests(ctx, only)
    except Exception:
        failed += 1
        print(f"FAIL setup\n{traceback.format_exc()}", flush=True)
    finally:
        if ctx:
            for thing in [*ctx.started, ctx.browser, ctx.partner, ctx.google, ctx.graph, ctx.p, ctx.landing]:
                if thing:
                    try:
                        (thing.quit if isinstance(thing, Browser) else
                         thing.close if isinstance(thing, Graph) else thing.stop)()
                    except Exception as e:  # keep stopping the others
                        print(f"stopping {type(thing).__name__}: {e}", flush=True)
    print(f"federation: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
