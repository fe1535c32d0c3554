"""The official Microsoft Graph Python SDK (msgraph-sdk) against the real portico binary over http.

Run by e2e/run.sh with the e2e/.venv python: `python graph_sdk_test.py [NAME...]` runs the tests
whose names contain NAME (all when none). Needs PORTICO_BIN (default target/debug/portico).

How the SDK is pointed at Portico, the way a script written for Microsoft Graph would be:
- A client secret credential (an azure-core AsyncTokenCredential) that asks Portico's own token
  endpoint for a client-credentials token. azure-identity's ClientSecretCredential refuses http
  authorities, so it is not used.
- kiota's AzureIdentityAuthenticationProvider (the one GraphServiceClient(credentials=...) builds)
  with scopes=["https://graph.microsoft.com/.default"] and allowed_hosts=["127.0.0.1"]. Without
  scopes it would derive "http://127.0.0.1/.default" from the request URL; for a host outside
  allowed_hosts it silently sends no Authorization header (test_token_only_for_allowed_hosts shows
  Portico's 401); it accepts http only for localhost / 127.0.0.1 / ::1. msgraph-core's subclass of
  the same name is unusable with its default allowed_hosts in these versions (they carry an
  https:// prefix that kiota-abstractions 1.16 rejects with ValueError).
- GraphRequestAdapter (the SDK's default middleware: retry, redirect, /me url replacement) with
  base_url = http://127.0.0.1:PORT/v1.0, then GraphServiceClient(request_adapter=adapter).

Every response the SDK receives is recorded (an httpx response hook) so that status codes the
SDK hides (201 against 200, 204) can be asserted. The tests share one server and run in order;
later ones use the users and group that earlier ones created, and fail (not skip) without them.
"""

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Optional

import httpx
from azure.core.credentials import AccessToken
from azure.core.credentials_async import AsyncTokenCredential
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph import graph_request_adapter as sdk_adapter_module
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.social_identity_provider import SocialIdentityProvider
from msgraph.generated.models.user import User
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from msgraph_core import GraphClientFactory, PageIterator

BIN = os.environ.get("PORTICO_BIN") or os.path.join(os.path.dirname(__file__), "..", "target", "debug", "portico")
TMP = os.environ.get("E2E_TMP") or tempfile.mkdtemp(prefix="portico-e2e-")
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GRAPH_PERMISSIONS = ["User.ReadWrite.All", "Group.ReadWrite.All", "GroupMember.ReadWrite.All", "Directory.ReadWrite.All",
                     "IdentityProvider.ReadWrite.All"]
PASSWORD = "E2e-Passw0rd!"
EVENTUAL = {"ConsistencyLevel": "eventual"}
N_USERS = 6  # E2E users created through the SDK: with $top=2 that is 3 pages
TEST_TIMEOUT = 60  # seconds per test


def portico_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
    env.update(PORTICO_PASSWORD_HASHING__MEMORY_KIB="8192", PORTICO_PASSWORD_HASHING__ITERATIONS="1")
    return env


class Portico:
    """`portico serve` over plain http on 127.0.0.1:0 with a fresh data dir, plus its operator commands."""

    def __init__(self):
        self.data_dir = tempfile.mkdtemp(prefix="portico-data-", dir=TMP)
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0"],
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
        self.token_endpoint = f"{self.url}/{self.tenant_id}/oauth2/v2.0/token"

    def cli(self, *args, stdin=""):
        r = subprocess.run([BIN, *args, "--data-dir", self.data_dir], env=portico_env(), input=stdin,
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"portico {' '.join(args)} failed: {r.stderr.strip()}")
        return r.stdout

    def create_app(self, name, *args):
        return json.loads(self.cli("app", "create", "--tenant", self.tenant_id, "--name", name, *args))

    def create_user(self, alias, display_name):
        """A member user made by the operator CLI; returns (id, userPrincipalName)."""
        out = self.cli("user", "create", "--tenant", self.tenant_id, "--upn", f"{alias}@{self.domain}",
                       "--display-name", display_name, "--password-stdin", stdin=PASSWORD + "\n")
        user_id, upn = out.splitlines()[0].split("\t")[:2]  # id, upn, userType, state, displayName
        return user_id, upn

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


# ---- pointing the SDK at Portico ----

class PorticoClientSecretCredential(AsyncTokenCredential):
    """Client credentials at Portico's token endpoint (what azure-identity does, minus its https check).

    Caches the token until a minute before it expires; records the scopes it was asked for."""

    def __init__(self, token_endpoint, client_id, client_secret):
        self.token_endpoint, self.client_id, self.client_secret = token_endpoint, client_id, client_secret
        self.requested_scopes = []
        self._token: Optional[AccessToken] = None

    async def get_token(self, *scopes, **kwargs) -> AccessToken:  # kwargs: claims, enable_cae (unused here)
        self.requested_scopes.append(scopes)
        if self._token and self._token.expires_on - 60 > time.time():
            return self._token
        async with httpx.AsyncClient(timeout=httpx.Timeout(20, connect=10), trust_env=False) as http:
            r = await http.post(self.token_endpoint, data={
                "grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret, "scope": " ".join(scopes)})
        body = r.json()
        if r.status_code != 200 or "access_token" not in body:
            raise RuntimeError(f"token endpoint answered {r.status_code}: {body}")
        self._token = AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))
        return self._token

    async def close(self):
        pass

    async def __aexit__(self, *exc):
        pass


@dataclass
class Exchange:
    method: str
    url: str
    status: int
    request_headers: httpx.Headers


class Recorder:
    """httpx response hook: every response the SDK got (after its retry/redirect middleware)."""

    def __init__(self):
        self.exchanges: list[Exchange] = []

    async def __call__(self, response: httpx.Response):
        self.exchanges.append(Exchange(response.request.method, str(response.request.url), response.status_code,
                                       response.request.headers))

    def last(self) -> Exchange:
        assert self.exchanges, "the SDK sent no request"
        return self.exchanges[-1]


def graph_client(p: Portico, credential, recorder: Recorder, allowed_hosts=("127.0.0.1",)):
    """A GraphServiceClient talking to Portico with the SDK's default middleware and a response recorder.

    The token goes only to allowed_hosts (host names, no scheme or port)."""
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE], allowed_hosts=list(allowed_hosts))
    # What GraphRequestAdapter(auth) builds by itself (the default middleware with msgraph's own options,
    # e.g. the /me url replacement), plus the hook, shorter timeouts and no proxies from the environment.
    http = httpx.AsyncClient(timeout=httpx.Timeout(30, connect=10), trust_env=False,
                             event_hooks={"response": [recorder]})
    http = GraphClientFactory.create_with_default_middleware(client=http, options=sdk_adapter_module.options)
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = f"{p.url}/v1.0"
    return GraphServiceClient(request_adapter=adapter), adapter


def users_query(headers=None, **query):
    """RequestConfiguration for GET /users (filter=, select=[...], top=, count=True)."""
    conf = RequestConfiguration(query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(**query))
    for k, v in (headers or {}).items():
        conf.headers.add(k, v)
    return conf


def eventual():
    """RequestConfiguration with only ConsistencyLevel: eventual (for /users/$count)."""
    conf = RequestConfiguration()
    conf.headers.add("ConsistencyLevel", "eventual")
    return conf


async def iterate_all(ctx, first_page, headers=None):
    """Every item of a collection through msgraph-core's PageIterator; returns (items, pages fetched)."""
    before = len(ctx.rec.exchanges)
    it = PageIterator(first_page, ctx.adapter, error_mapping={"XXX": ODataError})
    if headers:  # the next pages need ConsistencyLevel too (Graph's rule for advanced queries)
        # Not it.set_headers(headers): in msgraph-core 1.5.2 it calls HeadersCollection.add_all(**headers), a TypeError.
        it.headers.add_all(headers)
    items = []
    await it.iterate(lambda item: items.append(item) or True)
    for e in ctx.rec.exchanges[before:]:
        assert e.status == 200, e
        for k, v in (headers or {}).items():
            assert e.request_headers.get(k) == v, (k, e.request_headers)
    return items, 1 + len(ctx.rec.exchanges) - before


async def expect_error(awaitable, status, code=None) -> ODataError:
    """Awaits something the SDK must refuse with its typed ODataError of this status (and error.code)."""
    try:
        result = await awaitable
    except ODataError as e:
        got = (e.response_status_code, e.error.code if e.error else None)
        assert e.response_status_code == status and (code is None or got[1] == code), \
            f"expected {status} {code or ''}, got {got}: {e.error.message if e.error else e}"
        assert e.error.message, "the error has a message"
        return e
    except APIError as e:  # an error the SDK could not read as a Graph error body
        raise AssertionError(f"expected ODataError {status} {code or ''}, got a bare {type(e).__name__} "
                             f"{e.response_status_code}: {e}") from e
    raise AssertionError(f"expected ODataError {status} {code or ''}, got success: {result!r}")


def need(value, what):
    assert value, f"needs {what}, which an earlier test did not provide (see its failure)"
    return value


# ---- the tests: each gets the shared context; they run in order and report one line each ----

@dataclass
class Context:
    p: Portico
    app: dict
    cred: PorticoClientSecretCredential
    rec: Recorder
    client: GraphServiceClient
    adapter: GraphRequestAdapter
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])  # keeps UPNs and nicknames unique
    seeded: dict = field(default_factory=dict)  # CLI-made users: id -> upn
    users: list = field(default_factory=list)  # SDK-made users (msgraph User), in creation order
    group: Optional[Group] = None


async def test_token_and_organization(ctx):
    token = await ctx.cred.get_token(GRAPH_SCOPE)
    c = claims(token.token)
    assert c["tid"] == ctx.p.tenant_id, c
    assert c["aud"] in ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"), c
    assert set(GRAPH_PERMISSIONS) <= set(c.get("roles", [])), c

    orgs = await ctx.client.organization.get()
    assert ctx.rec.last().status == 200
    assert ctx.rec.last().request_headers.get("authorization") == f"Bearer {token.token}"
    assert len(orgs.value) == 1, orgs.value
    org = orgs.value[0]
    assert org.id == ctx.p.tenant_id, org.id
    initial = [d for d in org.verified_domains if d.is_initial]
    assert [d.name for d in initial] == [ctx.p.domain], org.verified_domains
    # The provider asked for Graph's .default scope, not one derived from the 127.0.0.1 host.
    assert ctx.cred.requested_scopes and all(s == (GRAPH_SCOPE,) for s in ctx.cred.requested_scopes), \
        ctx.cred.requested_scopes


async def test_token_only_for_allowed_hosts(ctx):
    # With Graph's host as the only allowed host, the provider adds no Authorization header for
    # 127.0.0.1 (it does not fail), and Portico answers 401 InvalidAuthenticationToken as Graph does.
    rec = Recorder()
    client, _ = graph_client(ctx.p, ctx.cred, rec, allowed_hosts=["graph.microsoft.com"])
    await expect_error(client.users.get(), 401, "InvalidAuthenticationToken")
    assert "authorization" not in rec.last().request_headers, rec.last().request_headers


async def test_read_users_seeded_by_cli(ctx):
    # Users made by the operator CLI, read back through the SDK: by id, by UPN, paged, counted.
    for i in range(1, 4):
        user_id, upn = ctx.p.create_user(f"seed{i}-{ctx.run}", f"Seed {i}")
        ctx.seeded[user_id] = upn
    some_id, some_upn = next(iter(ctx.seeded.items()))

    by_id = await ctx.client.users.by_user_id(some_id).get()
    assert (by_id.id, by_id.user_principal_name, by_id.display_name) == (some_id, some_upn, "Seed 1"), by_id
    by_upn = await ctx.client.users.by_user_id(some_upn.upper()).get()  # sent as SEED1-...%40DOMAIN; case-insensitive
    assert by_upn.id == some_id, by_upn

    first = await ctx.client.users.get(users_query(top=2, select=["id", "userPrincipalName"]))
    assert len(first.value) == 2 and first.odata_next_link, (len(first.value), first.odata_next_link)
    assert first.odata_next_link.startswith(f"{ctx.p.url}/v1.0/users?"), first.odata_next_link
    items, pages = await iterate_all(ctx, first)
    ids = [u.id for u in items]
    assert len(ids) == len(set(ids)), f"a user seen twice: {ids}"
    assert set(ctx.seeded) <= set(ids), (ctx.seeded, ids)
    assert pages == -(-len(ids) // 2), (pages, len(ids))  # ceil(n / 2): every page full but the last
    assert all(u.display_name is None for u in items), "$select=id,userPrincipalName returns no displayName"

    count = await ctx.client.users.count.get(eventual())
    assert count == len(ids), (count, len(ids))
    counted = await ctx.client.users.get(users_query(EVENTUAL, count=True, top=1))
    assert counted.odata_count == len(ids), counted.odata_count
    await expect_error(ctx.client.users.count.get(), 400)  # $count needs ConsistencyLevel: eventual


async def test_me_with_an_app_token(ctx):
    # The SDK's /me (UrlReplaceHandler turns /users/me-token-to-replace into /me): 400 app-only, as Graph does.
    await expect_error(ctx.client.me.get(), 400, "BadRequest")
    assert ctx.rec.last().url == f"{ctx.p.url}/v1.0/me", ctx.rec.last().url


async def test_errors_not_found_and_bad_filter(ctx):
    e = await expect_error(ctx.client.users.by_user_id(str(uuid.uuid4())).get(), 404, "Request_ResourceNotFound")
    assert e.error.inner_error and e.error.inner_error.request_id, "innerError.request-id"
    await expect_error(ctx.client.users.get(users_query(filter="startswith(displayName,")), 400)
    await expect_error(ctx.client.users.get(users_query(filter="noSuchProperty eq 'x'")), 400)


async def test_create_users(ctx):
    for i in range(1, N_USERS + 1):
        alias = f"e2e{i}-{ctx.run}"
        body = User(
            account_enabled=True, display_name=f"E2E User {i}", mail_nickname=alias,
            user_principal_name=f"{alias}@{ctx.p.domain}",
            password_profile=PasswordProfile(password=PASSWORD, force_change_password_next_sign_in=False))
        created = await ctx.client.users.post(body)
        assert ctx.rec.last().status == 201, ctx.rec.last()
        assert created and created.id, created
        assert created.user_principal_name == body.user_principal_name, created.user_principal_name
        assert created.display_name == body.display_name, created.display_name
        assert created.password_profile is None or created.password_profile.password is None, "no password echoed"
        ctx.users.append(created)


async def test_get_and_update_user(ctx):
    user = need(ctx.users, "the users of test_create_users")[0]
    by_id = await ctx.client.users.by_user_id(user.id).get()
    by_upn = await ctx.client.users.by_user_id(user.user_principal_name).get()
    assert by_id.id == by_upn.id == user.id, (by_id.id, by_upn.id)

    patch = User(display_name="E2E User 1 renamed", job_title="Tester", account_enabled=False)
    result = await ctx.client.users.by_user_id(user.id).patch(patch)
    assert ctx.rec.last().status == 204 and result is None, (ctx.rec.last(), result)

    conf = RequestConfiguration(query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
        select=["id", "displayName", "jobTitle", "accountEnabled"]))
    got = await ctx.client.users.by_user_id(user.id).get(conf)
    assert (got.display_name, got.job_title, got.account_enabled) == ("E2E User 1 renamed", "Tester", False), got
    ctx.users[0] = got


async def test_list_filter_select_and_page(ctx):
    users = need(ctx.users, "the users of test_create_users")
    want = {u.id for u in users}
    first = await ctx.client.users.get(users_query(
        filter="startswith(displayName,'E2E')", select=["id", "displayName"], top=2))
    items, pages = await iterate_all(ctx, first)
    ids = [u.id for u in items]
    assert sorted(ids) == sorted(want), f"each created user exactly once: {ids} vs {want}"
    assert pages >= 3, pages
    assert all(u.display_name.startswith("E2E") and u.user_principal_name is None for u in items), \
        "$select=id,displayName"

    members = await ctx.client.users.get(users_query(filter="userType eq 'Member'", select=["id", "userType"], top=999))
    items, _ = await iterate_all(ctx, members)
    assert want <= {u.id for u in items}, "the created users are members"
    assert all(u.user_type == "Member" for u in items), [u.user_type for u in items]

    counted = await ctx.client.users.get(users_query(EVENTUAL, filter="startswith(displayName,'E2E')", count=True, top=2))
    assert counted.odata_count == len(want), counted.odata_count
    items, _ = await iterate_all(ctx, counted, EVENTUAL)
    assert sorted(u.id for u in items) == sorted(want)
    total = await ctx.client.users.count.get(eventual())
    assert total == 1 + len(ctx.seeded) + len(want), total  # the bootstrap admin, the seeded and the created


async def test_duplicate_user_principal_name(ctx):
    user = need(ctx.users, "the users of test_create_users")[1]
    duplicate = User(account_enabled=True, display_name="E2E duplicate", mail_nickname=f"dup{ctx.run}",
                     user_principal_name=user.user_principal_name,
                     password_profile=PasswordProfile(password=PASSWORD, force_change_password_next_sign_in=False))
    await expect_error(ctx.client.users.post(duplicate), 400, "Request_BadRequest")


async def test_delete_restore_and_purge_user(ctx):
    user = need(ctx.users, "the users of test_create_users")[-1]
    deleted_items = ctx.client.directory.deleted_items
    await ctx.client.users.by_user_id(user.id).delete()
    assert ctx.rec.last().status == 204, ctx.rec.last()
    await expect_error(ctx.client.users.by_user_id(user.id).get(), 404, "Request_ResourceNotFound")

    # The SDK's cast segment is /directory/deletedItems/graph.user (the short alias of microsoft.graph.user).
    deleted = await deleted_items.graph_user.get()
    assert deleted_items.graph_user.url_template.startswith("{+baseurl}/directory/deletedItems/graph.user")
    found = [u for u in deleted.value if u.id == user.id]
    assert len(found) == 1 and isinstance(found[0], User), [(type(u).__name__, u.id) for u in deleted.value]
    assert found[0].deleted_date_time is not None, "deletedDateTime"

    restored = await deleted_items.by_directory_object_id(user.id).restore.post()
    assert ctx.rec.last().status == 200, ctx.rec.last()
    assert restored and restored.id == user.id and isinstance(restored, User), restored
    again = await ctx.client.users.by_user_id(user.id).get()
    assert again.user_principal_name == user.user_principal_name

    await ctx.client.users.by_user_id(user.id).delete()
    await deleted_items.by_directory_object_id(user.id).delete()  # permanent
    assert ctx.rec.last().status == 204, ctx.rec.last()
    await expect_error(deleted_items.by_directory_object_id(user.id).get(), 404, "Request_ResourceNotFound")
    deleted = await deleted_items.graph_user.get()
    assert user.id not in {u.id for u in deleted.value}
    ctx.users.pop()


async def test_group_create_get_update_list(ctx):
    nickname = f"e2e-group-{ctx.run}"
    group = await ctx.client.groups.post(Group(display_name=f"E2E Group {ctx.run}", mail_enabled=False,
                                               mail_nickname=nickname, security_enabled=True))
    assert ctx.rec.last().status == 201, ctx.rec.last()
    assert group and group.id and group.mail_nickname == nickname, group
    assert (group.security_enabled, group.mail_enabled) == (True, False), group
    ctx.group = group

    got = await ctx.client.groups.by_group_id(group.id).get()
    assert got.display_name == group.display_name, got
    assert await ctx.client.groups.by_group_id(group.id).patch(Group(description="made by graph_sdk_test.py")) is None
    assert ctx.rec.last().status == 204, ctx.rec.last()
    got = await ctx.client.groups.by_group_id(group.id).get()
    assert got.description == "made by graph_sdk_test.py", got.description

    conf = RequestConfiguration(query_parameters=GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
        filter="startswith(displayName,'E2E')"))
    listed = await ctx.client.groups.get(conf)
    assert group.id in {g.id for g in listed.value}, [g.display_name for g in listed.value]


async def test_group_members_and_owners(ctx):
    group = need(ctx.group, "the group of test_group_create_get_update_list")
    users = need(ctx.users, "the users of test_create_users")
    a, b = users[0], users[1]
    g = ctx.client.groups.by_group_id(group.id)

    # Portico's own URL for one member, Graph's public one for the other: Graph accepts any host.
    await g.members.ref.post(ReferenceCreate(odata_id=f"{ctx.p.url}/v1.0/directoryObjects/{a.id}"))
    assert ctx.rec.last().status == 204, ctx.rec.last()
    await g.members.ref.post(ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{b.id}"))
    assert ctx.rec.last().status == 204, ctx.rec.last()
    members = (await g.members.get()).value
    assert {m.id for m in members} == {a.id, b.id}, [m.id for m in members]
    # The SDK picks the model class from @odata.type: without it these would be bare DirectoryObjects.
    assert all(isinstance(m, User) and m.odata_type == "#microsoft.graph.user" for m in members), \
        [(type(m).__name__, m.odata_type) for m in members]

    e = await expect_error(g.members.ref.post(ReferenceCreate(
        odata_id=f"{ctx.p.url}/v1.0/directoryObjects/{a.id}")), 400, "Request_BadRequest")
    assert "already exist" in e.error.message, e.error.message

    member_of = (await ctx.client.users.by_user_id(a.id).member_of.get()).value
    assert [(type(x).__name__, x.id, x.odata_type) for x in member_of] == [("Group", group.id, "#microsoft.graph.group")]

    assert await g.members.by_directory_object_id(b.id).ref.delete() is None
    assert ctx.rec.last().status == 204, ctx.rec.last()
    assert {m.id for m in (await g.members.get()).value} == {a.id}

    await g.owners.ref.post(ReferenceCreate(odata_id=f"{ctx.p.url}/v1.0/directoryObjects/{b.id}"))
    assert ctx.rec.last().status == 204, ctx.rec.last()
    owners = (await g.owners.get()).value
    assert [(type(o).__name__, o.id) for o in owners] == [("User", b.id)], owners
    await expect_error(g.owners.ref.post(ReferenceCreate(odata_id=f"{ctx.p.url}/v1.0/directoryObjects/{b.id}")),
                       400, "Request_BadRequest")
    await g.owners.by_directory_object_id(b.id).ref.delete()
    assert ctx.rec.last().status == 204, ctx.rec.last()
    assert (await g.owners.get()).value == []


async def test_delete_group(ctx):
    group = need(ctx.group, "the group of test_group_create_get_update_list")
    await ctx.client.groups.by_group_id(group.id).delete()
    assert ctx.rec.last().status == 204, ctx.rec.last()
    await expect_error(ctx.client.groups.by_group_id(group.id).get(), 404, "Request_ResourceNotFound")
    ctx.group = None


async def test_social_identity_provider(ctx):
    # The SDK's identityProviderBase collection: it must pick SocialIdentityProvider from @odata.type.
    idps = ctx.client.identity.identity_providers
    created = await idps.post(SocialIdentityProvider(
        odata_type="#microsoft.graph.socialIdentityProvider", display_name="Gmail",
        identity_provider_type="Google", client_id="e2e-client", client_secret="e2e-secret"))
    assert ctx.rec.last().status == 201, ctx.rec.last()
    assert isinstance(created, SocialIdentityProvider), type(created).__name__
    assert (created.id, created.identity_provider_type, created.client_secret) == ("Google-OAUTH", "Google", "******")
    listed = (await idps.get()).value
    assert [(type(p).__name__, p.id, p.client_id) for p in listed] == [("SocialIdentityProvider", "Google-OAUTH", "e2e-client")]
    types = (await idps.available_provider_types.get()).value
    assert types == ["Google", "Facebook", "MicrosoftAccount", "OpenIDConnect"], types
    item = idps.by_identity_provider_base_id("Google-OAUTH")
    assert await item.patch(SocialIdentityProvider(odata_type="#microsoft.graph.socialIdentityProvider",
                                                   display_name="Google accounts")) is None
    assert ctx.rec.last().status == 204, ctx.rec.last()
    got = await item.get()
    assert (type(got).__name__, got.display_name, got.client_secret) == ("SocialIdentityProvider", "Google accounts", "******")
    e = await expect_error(idps.post(SocialIdentityProvider(
        odata_type="#microsoft.graph.socialIdentityProvider", identity_provider_type="Google",
        client_id="again", client_secret="again")), 400, "Request_BadRequest")
    assert "already has a Google identity provider" in e.error.message, e.error.message
    await item.delete()
    assert ctx.rec.last().status == 204, ctx.rec.last()
    await expect_error(item.get(), 404, "Request_ResourceNotFound")


async def test_only_portico_was_contacted(ctx):
    # Nothing leaked to graph.microsoft.com: every request of the suite went to this server.
    assert ctx.rec.exchanges
    stray = {e.url for e in ctx.rec.exchanges if not e.url.startswith(f"{ctx.p.url}/v1.0/")}
    assert not stray, stray


TESTS = [test_token_and_organization, test_token_only_for_allowed_hosts, test_read_users_seeded_by_cli,
         test_me_with_an_app_token, test_errors_not_found_and_bad_filter, test_create_users,
         test_get_and_update_user, test_list_filter_select_and_page, test_duplicate_user_principal_name,
         test_delete_restore_and_purge_user, test_group_create_get_update_list, test_group_members_and_owners,
         test_delete_group, test_social_identity_provider, test_only_portico_was_contacted]


async def run_tests(p, only):
    app = p.create_app("Graph SDK (Python)", *[a for perm in GRAPH_PERMISSIONS for a in ("--graph-permission", perm)])
    cred = PorticoClientSecretCredential(p.token_endpoint, app["appId"], app["password"])
    rec = Recorder()
    client, adapter = graph_client(p, cred, rec)
    ctx = Context(p, app, cred, rec, client, adapter)
    passed = failed = 0
    for t in TESTS:
        if only and not any(o in t.__name__ for o in only):
            continue
        start = time.monotonic()
        try:
            await asyncio.wait_for(t(ctx), TEST_TIMEOUT)
            passed += 1
            print(f"ok   {t.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__} ({time.monotonic() - start:.1f}s)\n{traceback.format_exc()}", flush=True)
    return passed, failed


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # timed out: still stop the server
    only = sys.argv[1:]
    passed = failed = 0
    p = None
    try:
        p = Portico()
        print(f"portico at {p.url}, tenant {p.tenant_id}", flush=True)
        passed, failed = asyncio.run(run_tests(p, only))
    except Exception:
        failed += 1
        print(f"FAIL setup\n{traceback.format_exc()}", flush=True)
    finally:
        if p:
            p.stop()
    print(f"graph-sdk-python: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
