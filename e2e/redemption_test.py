"""B2B invitation redemption end to end, with real parts only: the real portico binary, a real
SMTP server on loopback (aiosmtpd, in this process), headless Chromium (Debian's chromium and
chromedriver, driven by Selenium) and the official Microsoft Graph Python SDK (msgraph-sdk).

Run by e2e/run.sh with the e2e/.venv python: `python redemption_test.py [NAME...]` runs the
tests whose names contain NAME (all when none; a scenario's later tests need its earlier ones).
Needs PORTICO_BIN (default target/debug/portico); CHROMIUM and CHROMEDRIVER name the browser and
its driver (default /usr/bin/chromium, /usr/bin/chromedriver).

Scenarios (each Portico is `portico serve` on 127.0.0.1:0 with SMTP set by PORTICO_SMTP_HOST,
PORTICO_SMTP_PORT and PORTICO_SMTP_SECURITY=plain; its mail worker delivers every second):
- A: an app with User.Invite.All invites guest.one@fabrikam.example through the SDK; the
  invitation mail arrives; Chromium opens its link, asks for a passcode (mailed), refuses a wrong
  one, accepts the right one, shows "Review permissions", and Accept lands on the redirect URL
  (a listener of this test). Graph then shows externalUserState Accepted and the identity
  federated/mail/<address>; the link opened again says the invitation was already accepted.
- B: a member of a second tenant on the same instance (`portico tenant create`, `portico user
  create`) is invited; the link asks for the home tenant's password (a wrong one is refused);
  Accept lands; Graph shows the identity issued by the home tenant's initial domain.
- C: SMTP down (nothing listens on the port) while 20 guests are invited (201 each, every send
  attempt fails); the SMTP server starts on that port; all 20 mails arrive, each exactly once.
- D: 5 guests invited while SMTP is down (3 mails tried and failed, 2 committed just before the
  kill), then `kill -9` before any mail could be sent; the SMTP server starts, Portico restarts on
  the same data dir, and every mail arrives exactly once; the tried ones with the Message-ID
  (`<uuid@portico>`) the killed process had used for them.
"""

import asyncio
import html
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import httpx  # noqa: E402
from kiota_abstractions.base_request_configuration import RequestConfiguration  # noqa: E402
from msgraph.generated.models.invitation import Invitation  # noqa: E402
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from mailsink import MESSAGE_ID, MailSink  # noqa: E402
from portico import PASSWORD, TMP, Portico, free_port, wait_for  # noqa: E402
# How graph_sdk_test.py points the SDK at Portico: client credentials at Portico's token
# endpoint, kiota's provider with Graph's scope and 127.0.0.1 allowed, a status-code recorder.
from graph_sdk_test import PorticoClientSecretCredential, Recorder, graph_client  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or "/usr/bin/chromedriver"
# As e2e/lib/harness.mjs: no sandbox (root), nothing fetched from the internet by the browser itself.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1024,900"]
ORG = "Contoso E2E"  # the first tenant's name: in every mail's From and the invitation's subject
INVITER_PERMISSIONS = ["User.Invite.All", "User.Read.All"]  # invite; read the guests back
GUEST = "guest.one@fabrikam.example"
PAGE_WAIT = 20  # seconds for a page or an element
MAIL_WAIT = 30  # seconds for a mail the worker sends at once (it runs every second)
# Scenario C: the first attempt fails, the next comes 15 s later (then 30 s, 60 s...).
BACKOFF_WAIT = 60
# Scenario D: a mail claimed by the killed worker (leased for 2 minutes) waits out the lease.
RESTART_WAIT = 150
TEST_TIMEOUT = {"c_": 150, "d_": 240}  # by name prefix; others 90 s


def smtp_env(port):
    return {"PORTICO_SMTP_HOST": "127.0.0.1", "PORTICO_SMTP_PORT": str(port), "PORTICO_SMTP_SECURITY": "plain",
            "PORTICO_SMTP_TIMEOUT_SECONDS": "10", "PORTICO_TENANT_NAME": ORG}


def redeem_links(mail):
    """The redeem links in a mail's text and HTML parts (not the block link)."""
    found = re.findall(r"https?://[^\s\"'<>]+/redeem\?[^\s\"'<>]+", mail.text)
    found += [html.unescape(u) for u in re.findall(r"href=\"(https?://[^\"]+/redeem\?[^\"]+)\"", mail.html)]
    return found


def passcode(mail):
    codes = re.findall(r"\b(\d{8})\b", mail.text)
    assert len(set(codes)) == 1, f"one 8-digit code in the passcode mail: {codes!r}\n{mail.text}"
    return codes[0]


def invitation_subject(org):
    return f"{org} invited you to access applications within their organization"


def message_uuid(mail):
    m = MESSAGE_ID.match(mail.message_id)
    assert m, f"Message-ID <uuid@portico>: {mail.message_id!r}"
    return m.group(1)


def retried_mail_ids(p):
    """Outbox mail ids that p's worker tried to send and will retry (from its log)."""
    return {m.group(1) for line in p.logged("will retry") for m in [re.search(r"mail=([0-9a-f-]{36})", line)] if m}


# ---- the redirect target: a real loopback listener the browser lands on ----

class Landing:
    """http://127.0.0.1:PORT/landed (or another path); records each request for it (path and
    query)."""

    def __init__(self, path="/landed"):
        self.paths = []
        landing = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.path.startswith(path):  # not the browser's /favicon.ico
                    landing.paths.append(self.path)
                body = b"<!doctype html><title>Landed</title><h1 id=landed>Landed</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ---- the browser ----

class Browser:
    """Headless Debian Chromium through the system chromedriver (no Selenium Manager, no downloads)."""

    def __init__(self):
        for path in (CHROMIUM, CHROMEDRIVER):
            if not os.access(path, os.X_OK):
                raise RuntimeError(f"{path} is missing: apt-get install chromium chromium-driver")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in CHROMIUM_ARGS:
            opts.add_argument(a)
        service = Service(executable_path=CHROMEDRIVER, log_output=os.path.join(TMP, "chromedriver.log"))
        self.driver = webdriver.Chrome(service=service, options=opts)
        self.driver.set_page_load_timeout(PAGE_WAIT)

    def open(self, url):
        self.driver.delete_all_cookies()  # each redemption starts as a browser that never saw Portico
        self.driver.get(url)

    def has(self, element_id):
        return bool(self.driver.find_elements(By.ID, element_id))

    def wait_for(self, element_id):
        try:
            return WebDriverWait(self.driver, PAGE_WAIT).until(EC.presence_of_element_located((By.ID, element_id)))
        except TimeoutException:
            raise AssertionError(f"no #{element_id} within {PAGE_WAIT} s on {self.driver.current_url}:\n"
                                 f"{self.text()[:1500]}") from None

    def click(self, element_id):
        """Clicks a submit button and waits until the next page has replaced this one and loaded.

        The old page is marked with a window property, which a new document does not have (the
        next page may have the same URL: forms post to themselves)."""
        button = self.wait_for(element_id)
        self.driver.execute_script("window.__e2eOld = true")
        button.click()

        def next_page_loaded(d):
            try:
                return d.execute_script("return window.__e2eOld !== true && document.readyState === 'complete'")
            except WebDriverException:  # between documents
                return False

        try:
            WebDriverWait(self.driver, PAGE_WAIT).until(next_page_loaded)
        except TimeoutException:
            raise AssertionError(f"no new page within {PAGE_WAIT} s after #{element_id} on "
                                 f"{self.driver.current_url}:\n{self.text()[:1500]}") from None

    def type(self, element_id, text):
        el = self.wait_for(element_id)
        el.clear()
        el.send_keys(text)

    def title(self):
        h1 = self.driver.find_elements(By.TAG_NAME, "h1")
        return h1[0].text if h1 else ""

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def quit(self):
        self.driver.quit()


# ---- shared state ----

@dataclass
class Inviter:
    """An app with User.Invite.All in a server's first tenant, and an SDK client acting as it."""
    p: Portico
    client: object
    rec: Recorder

    @classmethod
    def make(cls, p, name):
        app = p.create_app(name, *[a for perm in INVITER_PERMISSIONS for a in ("--graph-permission", perm)])
        cred = PorticoClientSecretCredential(p.token_endpoint, app["appId"], app["password"])
        rec = Recorder()
        client, _ = graph_client(p, cred, rec)
        return cls(p, client, rec)

    async def invite(self, address, redirect_url, send=True):
        inv = await self.client.invitations.post(Invitation(
            invited_user_email_address=address, invite_redirect_url=redirect_url, send_invitation_message=send))
        assert self.rec.last().status == 201, self.rec.last()
        assert inv.invited_user and inv.invited_user.id, inv
        assert inv.invite_redeem_url and inv.invite_redeem_url.startswith(f"{self.p.url}/redeem?"), \
            inv.invite_redeem_url
        assert inv.status == "PendingAcceptance", inv.status
        return inv

    async def guest(self, user_id):
        conf = RequestConfiguration(query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["externalUserState", "identities"]))
        return await self.client.users.by_user_id(user_id).get(conf)


@dataclass
class Context:
    p: Portico  # scenarios A and B
    sink: MailSink
    inviter: Inviter
    landing: Landing
    browser: Optional[Browser] = None
    a_invitation: Optional[Invitation] = None
    a_mail: object = None
    started: list = field(default_factory=list)  # more servers and sinks to stop at the end

    def need_browser(self):
        if not self.browser:
            self.browser = Browser()
        return self.browser


def identity_tuples(user):
    return [(i.sign_in_type, i.issuer, i.issuer_assigned_id) for i in (user.identities or [])]


# ---- A: email one-time passcode ----

async def test_a_invitation_mail(ctx):
    inv = await ctx.inviter.invite(GUEST, ctx.landing.url)
    ctx.a_invitation = inv
    mails = ctx.sink.wait(lambda m: m.to == [GUEST], timeout=MAIL_WAIT, what=f"the invitation mail to {GUEST}")
    assert len(mails) == 1, [m.subject for m in mails]
    mail = ctx.a_mail = mails[0]
    assert mail.subject == invitation_subject(ORG), mail.subject
    assert ORG in mail.from_header, mail.from_header
    assert GUEST in mail.to_header, mail.to_header
    message_uuid(mail)
    links = redeem_links(mail)
    assert links and set(links) == {inv.invite_redeem_url}, (links, inv.invite_redeem_url)

    guest = await ctx.inviter.guest(inv.invited_user.id)
    assert guest.external_user_state == "PendingAcceptance", guest.external_user_state


async def test_a_redeem_with_passcode(ctx):
    inv = ctx.a_invitation
    assert inv and ctx.a_mail, "needs the invitation of test_a_invitation_mail"
    b = ctx.need_browser()
    b.open(redeem_links(ctx.a_mail)[0])
    b.wait_for("send-code")
    assert GUEST in b.text(), b.text()
    sent_before = len(ctx.sink.mails)
    b.click("send-code")
    b.wait_for("code")

    code_mails = ctx.sink.wait(lambda m: m.to == [GUEST] and m is not ctx.a_mail, timeout=MAIL_WAIT,
                               what="the passcode mail")
    assert len(code_mails) == 1 and len(ctx.sink.mails) == sent_before + 1, [m.subject for m in code_mails]
    code_mail = code_mails[0]
    assert ORG in code_mail.subject and ORG in code_mail.from_header, (code_mail.subject, code_mail.from_header)
    code = passcode(code_mail)

    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    b.type("code", wrong)
    b.click("verify")
    b.wait_for("code")
    assert "Check the code and try again" in b.text(), b.text()
    assert not ctx.landing.paths

    b.type("code", code)
    b.click("verify")
    b.wait_for("accept")
    assert b.title() == "Review permissions", b.title()
    assert ORG in b.text() and GUEST in b.text(), b.text()
    b.click("accept")
    wait_for(lambda: b.driver.current_url.startswith(ctx.landing.url), PAGE_WAIT,
             f"the browser at {ctx.landing.url} (it is at {b.driver.current_url})")
    assert b.has("landed") and ctx.landing.paths and ctx.landing.paths[-1].startswith("/landed"), ctx.landing.paths


async def test_a_guest_accepted_in_graph(ctx):
    inv = ctx.a_invitation
    assert inv and ctx.landing.paths, "needs the redemption of test_a_redeem_with_passcode"
    guest = await ctx.inviter.guest(inv.invited_user.id)
    assert ctx.inviter.rec.last().status == 200
    assert guest.external_user_state == "Accepted", guest.external_user_state
    assert ("federated", "mail", GUEST) in identity_tuples(guest), identity_tuples(guest)


async def test_a_link_already_accepted(ctx):
    assert ctx.a_mail and ctx.landing.paths, "needs the redemption of test_a_redeem_with_passcode"
    landed = len(ctx.landing.paths)
    b = ctx.need_browser()
    b.open(redeem_links(ctx.a_mail)[0])
    wait_for(lambda: "already accepted" in b.text(), PAGE_WAIT, "the 'already accepted' page")
    assert not b.has("send-code") and not b.has("code") and not b.has("accept"), b.text()
    assert len(ctx.landing.paths) == landed


# ---- B: a member of another tenant on this instance ----

async def test_b_member_of_another_tenant(ctx):
    home_name = "Fabrikam Partners E2E"
    home_id, home_domain = ctx.p.create_tenant(home_name)
    address = f"partner.one@{home_domain}"
    member_id, upn = ctx.p.create_user(address, "Partner One", tenant=home_id)
    assert upn == address, upn

    inv = await ctx.inviter.invite(address, ctx.landing.url)
    mail = ctx.sink.wait(lambda m: m.to == [address], timeout=MAIL_WAIT, what=f"the invitation mail to {address}")[0]
    assert mail.subject == invitation_subject(ORG) and ORG in mail.from_header, (mail.subject, mail.from_header)
    assert set(redeem_links(mail)) == {inv.invite_redeem_url}, (redeem_links(mail), inv.invite_redeem_url)

    b = ctx.need_browser()
    b.open(inv.invite_redeem_url)
    b.wait_for("signin")
    assert b.driver.find_elements(By.CSS_SELECTOR, "input[name=password]"), b.text()
    assert home_name in b.text() and address in b.text(), b.text()
    assert not b.has("send-code"), "a member elsewhere on this instance gets no passcode"

    b.type("password", "not-" + PASSWORD)
    b.click("signin")
    b.wait_for("signin")
    assert "incorrect" in b.text(), b.text()

    b.type("password", PASSWORD)
    b.click("signin")
    b.wait_for("accept")
    assert b.title() == "Review permissions", b.title()
    landed = len(ctx.landing.paths)
    b.click("accept")
    wait_for(lambda: b.driver.current_url.startswith(ctx.landing.url), PAGE_WAIT,
             f"the browser at {ctx.landing.url} (it is at {b.driver.current_url})")
    assert len(ctx.landing.paths) == landed + 1, ctx.landing.paths

    guest = await ctx.inviter.guest(inv.invited_user.id)
    assert guest.external_user_state == "Accepted", guest.external_user_state
    federated = [i for i in identity_tuples(guest) if i[0] == "federated"]
    assert federated == [("federated", home_domain, member_id)], identity_tuples(guest)
    # No passcode went to the member: the only mail to it is the invitation.
    assert [m.subject for m in ctx.sink.mails if address in m.to] == [invitation_subject(ORG)]


# ---- C: SMTP down, then back ----

async def test_c_smtp_down_then_back(ctx):
    port = free_port()  # nothing listens here until the sink starts
    p = Portico(env=smtp_env(port))
    ctx.started.append(p)
    inviter = Inviter.make(p, "Inviter C")
    run = uuid.uuid4().hex[:6]
    invitations = {}
    for i in range(1, 21):
        address = f"visitor{i:02d}.{run}@northwind.example"
        invitations[address] = await inviter.invite(address, ctx.landing.url)
    # Every mail was tried and failed (connection refused) before the SMTP server comes up.
    wait_for(lambda: len(retried_mail_ids(p)) >= 20, 20, "20 failed send attempts in portico's log")

    sink = MailSink(port=port).start()
    ctx.started.append(sink)
    up = time.monotonic()
    mails = sink.wait(lambda m: True, count=20, timeout=BACKOFF_WAIT, what="the 20 invitation mails")
    took = time.monotonic() - up
    time.sleep(3)  # three more worker rounds: nothing is sent twice
    mails = list(sink.mails)
    ids = [message_uuid(m) for m in mails]
    assert len(ids) == 20 and len(set(ids)) == 20, f"20 mails, each once: {sorted(ids)}"
    assert sorted(m.to[0] for m in mails) == sorted(invitations), [m.to for m in mails]
    for m in mails:
        assert m.subject == invitation_subject(ORG), m.subject
        assert set(redeem_links(m)) == {invitations[m.to[0]].invite_redeem_url}, (m.to, redeem_links(m))
    assert set(ids) == retried_mail_ids(p), "the Message-IDs are the outbox ids the failed attempts used"
    print(f"     20 mails arrived {took:.1f} s after the SMTP server came up", flush=True)


# ---- D: SIGKILL after the commit, before the send ----

async def test_d_sigkill_before_send(ctx):
    port = free_port()
    p = Portico(env=smtp_env(port))
    ctx.started.append(p)
    inviter = Inviter.make(p, "Inviter D")
    run = uuid.uuid4().hex[:6]
    invitations = {}
    addresses = [f"crash{i}.{run}@tailspin.example" for i in range(1, 6)]
    # Three mails the worker has tried (and failed) to send before the crash, so their
    # Message-IDs are known; two committed just before the kill, most likely never tried.
    for address in addresses[:3]:
        invitations[address] = await inviter.invite(address, ctx.landing.url)
    wait_for(lambda: len(retried_mail_ids(p)) >= 3, 20, "3 failed send attempts in portico's log")
    for address in addresses[3:]:
        invitations[address] = await inviter.invite(address, ctx.landing.url)
    p.kill()  # right after the fifth commit; nothing could be sent (nothing listens on the port)
    tried = retried_mail_ids(p)  # the outbox ids of every attempt the killed worker made
    assert len(tried) >= 3, tried

    sink = MailSink(port=port).start()
    ctx.started.append(sink)
    again = p.restart()
    ctx.started.append(again)
    up = time.monotonic()
    sink.wait(lambda m: True, count=5, timeout=RESTART_WAIT, what="the 5 invitation mails after the restart")
    took = time.monotonic() - up
    time.sleep(3)
    mails = list(sink.mails)
    ids = [message_uuid(m) for m in mails]
    assert len(ids) == 5 and len(set(ids)) == 5, f"5 mails, each once: {sorted(ids)}"
    assert sorted(m.to[0] for m in mails) == sorted(invitations), [m.to for m in mails]
    assert tried <= set(ids), f"Message-IDs kept across the crash: tried {sorted(tried)}, got {sorted(ids)}"
    for m in mails:
        assert set(redeem_links(m)) == {invitations[m.to[0]].invite_redeem_url}, (m.to, redeem_links(m))

    # The ticket in a mail written before the crash works against the restarted server (the
    # link names the killed server's port: with port 0 the public URL changes on restart).
    link = redeem_links(mails[0])[0]
    parts = urlsplit(link)
    async with httpx.AsyncClient(timeout=20, trust_env=False) as http:
        r = await http.get(f"{again.url}{parts.path}?{parts.query}")
    assert r.status_code == 200 and 'id="send-code"' in r.text, (r.status_code, r.text[:800])
    print(f"     5 mails arrived within {took:.1f} s of the restart ({len(tried)} had been tried before the kill)",
          flush=True)


TESTS = [test_a_invitation_mail, test_a_redeem_with_passcode, test_a_guest_accepted_in_graph,
         test_a_link_already_accepted, test_b_member_of_another_tenant, test_c_smtp_down_then_back,
         test_d_sigkill_before_send]


async def run_tests(ctx, only):
    passed = failed = 0
    for t in TESTS:
        if only and not any(o in t.__name__ for o in only):
            continue
        limit = next((s for prefix, s in TEST_TIMEOUT.items() if t.__name__.startswith(f"test_{prefix}")), 90)
        start = time.monotonic()
        try:
            await asyncio.wait_for(t(ctx), limit)
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
    sink = p = landing = None
    try:
        sink = MailSink().start()
        landing = Landing()
        p = Portico(env=smtp_env(sink.port))
        print(f"portico at {p.url}, tenant {p.tenant_id}, SMTP sink at 127.0.0.1:{sink.port}", flush=True)
        ctx = Context(p, sink, Inviter.make(p, "Inviter"), landing)
        passed, failed = asyncio.run(run_tests(ctx, only))
    except Exception:
        failed += 1
        print(f"FAIL setup\n{traceback.format_exc()}", flush=True)
    finally:
        for thing in [*(ctx.started if ctx else []), p, sink, landing, ctx and ctx.browser]:
            if thing:
                try:
                    (thing.quit if isinstance(thing, Browser) else thing.stop)()
                except Exception as e:  # keep stopping the others
                    print(f"stopping {type(thing).__name__}: {e}", flush=True)
    print(f"redemption: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
