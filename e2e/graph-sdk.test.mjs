// The official Microsoft Graph JavaScript SDK (@microsoft/microsoft-graph-client 3) against the real
// portico binary over TLS. Run by e2e/run.sh:
//   NODE_EXTRA_CA_CERTS=$E2E_CA node --test graph-sdk.test.mjs   (with E2E_CA, E2E_TLS_CERT, E2E_TLS_KEY)
//
// Why TLS, not http: the SDK adds the Authorization header only for https URLs of Graph's hosts or of
// `customHosts` (AuthenticationHandler, isGraphURL/isCustomHost match "https://" only), so over http
// it silently sends no token. Its GraphRequest also parses absolute URLs (PageIterator's
// @odata.nextLink) only when they start with https://; an http nextLink becomes
// "<baseUrl>/v1.0/http://...". So: Portico with the run's test certificate, the test CA through
// NODE_EXTRA_CA_CERTS (read by node at start-up), baseUrl https://127.0.0.1:PORT/ and
// customHosts {"127.0.0.1"}. The token is a client-credentials token from Portico's own token endpoint.
//
// Every fetch the SDK makes is recorded (global fetch wrapper) so that status codes the SDK hides
// (201 against 200, 204) can be asserted. The tests share one server and run in order; later ones use
// the users and group that earlier ones created, and fail (not skip) without them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, GraphError, PageIterator } from '@microsoft/microsoft-graph-client';
import { decodeJwt, startPortico } from './lib/harness.mjs';

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const GRAPH_PERMISSIONS = ['User.ReadWrite.All', 'Group.ReadWrite.All', 'GroupMember.ReadWrite.All', 'Directory.ReadWrite.All'];
const PASSWORD = 'E2e-Passw0rd!';
const EVENTUAL = { ConsistencyLevel: 'eventual' };
const N_USERS = 6; // E2E users created through the SDK: with $top=2 that is 3 pages
const T = { timeout: 60_000 };
const run = randomUUID().slice(0, 6); // keeps UPNs and nicknames unique

// ---- every response the SDK (and the token request) got: { method, url, status, headers } ----
const calls = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const res = await realFetch(input, init);
  calls.push({
    method: init.method ?? 'GET', url: typeof input === 'string' ? input : input.url, status: res.status,
    headers: new Headers(init.headers ?? {}),
  });
  return res;
};
const last = () => calls.at(-1);

let portico, app, token, client;
const seeded = new Map(); // CLI-made users: id -> upn
const users = []; // SDK-made users, in creation order
let group;

async function clientCredentialsToken() {
  const res = await fetch(`${portico.url}/${portico.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.appId, client_secret: app.password, scope: GRAPH_SCOPE }),
    signal: AbortSignal.timeout(20_000),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.access_token;
}

/** A Graph client for Portico; customHosts null leaves the SDK's default (Graph's hosts only). */
function graphClient(customHosts = new Set(['127.0.0.1'])) {
  return Client.init({
    authProvider: (done) => done(null, token),
    baseUrl: `${portico.url}/`,
    defaultVersion: 'v1.0',
    ...(customHosts ? { customHosts } : {}),
  });
}

/** Awaits a promise the SDK must reject with its GraphError of this status (and code). */
async function expectGraphError(promise, status, code) {
  let caught;
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof GraphError, `expected GraphError, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.statusCode, status, `status: ${e.statusCode} ${e.code}: ${e.message}`);
    if (code) assert.equal(e.code, code, `code: ${e.message}`);
    assert.ok(e.message, 'the error has a message');
    caught = e;
    return true;
  });
  return caught;
}

/** Every item of a collection through the SDK's PageIterator; returns { items, pages }. */
async function iterateAll(firstPage, headers) {
  const items = [];
  const before = calls.length;
  const it = new PageIterator(client, firstPage, (item) => { items.push(item); return true; }, headers ? { headers } : undefined);
  await it.iterate();
  assert.ok(it.isComplete(), 'the iterator reached the last page');
  for (const c of calls.slice(before)) { // the next pages: fetched, and with the headers asked for
    assert.equal(c.status, 200, c.url);
    for (const [k, v] of Object.entries(headers ?? {})) assert.equal(c.headers.get(k), v, `${k} on ${c.url}`);
  }
  return { items, pages: 1 + calls.length - before };
}

function need(value, what) {
  assert.ok(value && (!Array.isArray(value) || value.length), `needs ${what}, which an earlier test did not provide (see its failure)`);
  return value;
}

/** A test (in file order, 60 s) whose unexpected SDK errors name the request and status: a GraphError
 * for a response without a Graph error body (405 with no content, say) has an empty message. */
function step(name, fn) {
  test(name, T, async () => {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof GraphError)) throw e;
      const { method, url } = last();
      const what = [e.statusCode, e.code, e.message || '(no Graph error body)'].filter(Boolean).join(' ');
      throw new Error(`${method} ${url} failed: GraphError ${what}`, { cause: e });
    }
  });
}

const directoryObject = (base, id) => ({ '@odata.id': `${base}/v1.0/directoryObjects/${id}` });

before(async () => {
  const { E2E_CA, E2E_TLS_CERT, E2E_TLS_KEY, NODE_EXTRA_CA_CERTS } = process.env;
  assert.ok(E2E_TLS_CERT && E2E_TLS_KEY && E2E_CA, 'needs E2E_CA, E2E_TLS_CERT and E2E_TLS_KEY (run.sh sets them)');
  assert.equal(NODE_EXTRA_CA_CERTS, E2E_CA, 'start node with NODE_EXTRA_CA_CERTS=$E2E_CA so fetch trusts the test CA');
  portico = await startPortico({ tls: { cert: E2E_TLS_CERT, key: E2E_TLS_KEY } });
  assert.ok(portico.url.startsWith('https://127.0.0.1:'), portico.url);
  app = portico.createApp({ name: 'Graph SDK (JS)', graphPermissions: GRAPH_PERMISSIONS });
  token = await clientCredentialsToken();
  client = graphClient();
});

after(async () => {
  await portico?.stop();
  globalThis.fetch = realFetch;
});

step('token and GET /organization', async () => {
  const { payload } = decodeJwt(token);
  assert.equal(payload.tid, portico.tenantId);
  assert.ok(['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'].includes(payload.aud), payload.aud);
  for (const p of GRAPH_PERMISSIONS) assert.ok(payload.roles?.includes(p), `${p} in ${payload.roles}`);

  const orgs = await client.api('/organization').get();
  assert.equal(last().status, 200);
  assert.equal(last().headers.get('authorization'), `Bearer ${token}`);
  assert.ok(last().headers.get('client-request-id'), 'the SDK sends client-request-id to custom hosts');
  assert.equal(orgs.value.length, 1);
  assert.equal(orgs.value[0].id, portico.tenantId);
  assert.deepEqual(orgs.value[0].verifiedDomains.filter((d) => d.isInitial).map((d) => d.name), [portico.domain]);
});

step('the SDK sends the token only to Graph hosts and customHosts', async () => {
  // Without customHosts, 127.0.0.1 gets no Authorization header (no error), and Portico answers 401.
  await expectGraphError(graphClient(null).api('/users').get(), 401, 'InvalidAuthenticationToken');
  assert.equal(last().headers.get('authorization'), null);
});

step('users made by the CLI: get by id and UPN, page, $select, $count', async () => {
  for (let i = 1; i <= 3; i++) {
    const upn = portico.createUser(`seed${i}-${run}`, PASSWORD, { displayName: `Seed ${i}` });
    const u = await client.api(`/users/${upn}`).get(); // the SDK leaves "@" as it is in the path
    assert.equal(u.userPrincipalName, upn);
    seeded.set(u.id, upn);
  }
  const [someId, someUpn] = [...seeded][0];
  const byId = await client.api(`/users/${someId}`).get();
  assert.deepEqual([byId.id, byId.userPrincipalName, byId.displayName], [someId, someUpn, 'Seed 1']);
  const byUpn = await client.api(`/users/${encodeURIComponent(someUpn.toUpperCase())}`).get(); // %40, any case
  assert.equal(byUpn.id, someId);

  const first = await client.api('/users').select(['id', 'userPrincipalName']).top(2).get();
  assert.equal(first.value.length, 2);
  assert.ok(first['@odata.nextLink']?.startsWith(`${portico.url}/v1.0/users?`), first['@odata.nextLink']);
  const { items, pages } = await iterateAll(first);
  const ids = items.map((u) => u.id);
  assert.equal(new Set(ids).size, ids.length, `a user seen twice: ${ids}`);
  for (const id of seeded.keys()) assert.ok(ids.includes(id), id);
  assert.equal(pages, Math.ceil(ids.length / 2));
  assert.ok(items.every((u) => !('displayName' in u)), '$select=id,userPrincipalName returns no displayName');

  const count = await client.api('/users/$count').headers(EVENTUAL).get(); // text/plain: the SDK returns a string
  assert.equal(Number(count), ids.length, `/users/$count = ${JSON.stringify(count)}`);
  const counted = await client.api('/users').headers(EVENTUAL).count(true).top(1).get();
  assert.equal(counted['@odata.count'], ids.length);
  await expectGraphError(client.api('/users/$count').get(), 400); // needs ConsistencyLevel: eventual
});

step('/me with an app-only token is 400 BadRequest', async () => {
  await expectGraphError(client.api('/me').get(), 400, 'BadRequest');
});

step('errors: unknown id 404, bad $filter 400', async () => {
  const e = await expectGraphError(client.api(`/users/${randomUUID()}`).get(), 404, 'Request_ResourceNotFound');
  assert.ok(e.requestId, 'innerError.request-id');
  await expectGraphError(client.api('/users').filter('startswith(displayName,').get(), 400);
  await expectGraphError(client.api('/users').filter("noSuchProperty eq 'x'").get(), 400);
});

step('create users (POST /users: 201)', async () => {
  for (let i = 1; i <= N_USERS; i++) {
    const alias = `e2e${i}-${run}`;
    const body = {
      accountEnabled: true, displayName: `E2E User ${i}`, mailNickname: alias, userPrincipalName: `${alias}@${portico.domain}`,
      passwordProfile: { password: PASSWORD, forceChangePasswordNextSignIn: false },
    };
    const created = await client.api('/users').post(body);
    assert.equal(last().status, 201);
    assert.ok(created?.id, JSON.stringify(created));
    assert.equal(created.userPrincipalName, body.userPrincipalName);
    assert.equal(created.displayName, body.displayName);
    assert.equal(created.passwordProfile?.password ?? null, null, 'no password echoed');
    users.push(created);
  }
});

step('get and update a user (PATCH: 204)', async () => {
  const user = need(users, 'the users of "create users"')[0];
  const byId = await client.api(`/users/${user.id}`).get();
  const byUpn = await client.api(`/users/${user.userPrincipalName}`).get();
  assert.equal(byId.id, user.id);
  assert.equal(byUpn.id, user.id);

  const result = await client.api(`/users/${user.id}`).patch({ displayName: 'E2E User 1 renamed', jobTitle: 'Tester', accountEnabled: false });
  assert.equal(last().status, 204);
  assert.equal(result, undefined);
  const got = await client.api(`/users/${user.id}`).select('id,displayName,jobTitle,accountEnabled').get();
  assert.deepEqual([got.displayName, got.jobTitle, got.accountEnabled], ['E2E User 1 renamed', 'Tester', false]);
});

step('list users: $filter, $select, $top with the PageIterator, $count', async () => {
  const want = new Set(need(users, 'the users of "create users"').map((u) => u.id));
  const first = await client.api('/users').filter("startswith(displayName,'E2E')").select(['id', 'displayName']).top(2).get();
  const { items, pages } = await iterateAll(first);
  assert.deepEqual(items.map((u) => u.id).sort(), [...want].sort(), 'each created user exactly once');
  assert.ok(pages >= 3, `pages: ${pages}`);
  assert.ok(items.every((u) => u.displayName.startsWith('E2E') && !('userPrincipalName' in u)), '$select=id,displayName');

  const members = await iterateAll(await client.api('/users').filter("userType eq 'Member'").select('id,userType').top(999).get());
  const memberIds = new Set(members.items.map((u) => u.id));
  for (const id of want) assert.ok(memberIds.has(id), `${id} is a member`);
  assert.ok(members.items.every((u) => u.userType === 'Member'));

  const counted = await client.api('/users').headers(EVENTUAL).filter("startswith(displayName,'E2E')").count(true).top(2).get();
  assert.equal(counted['@odata.count'], want.size);
  const again = await iterateAll(counted, EVENTUAL); // the next pages carry ConsistencyLevel too
  assert.deepEqual(again.items.map((u) => u.id).sort(), [...want].sort());
  const total = await client.api('/users/$count').headers(EVENTUAL).get();
  assert.equal(Number(total), 1 + seeded.size + want.size, 'the bootstrap admin, the seeded and the created');
});

step('duplicate userPrincipalName: 400 Request_BadRequest', async () => {
  const user = need(users, 'the users of "create users"')[1];
  await expectGraphError(client.api('/users').post({
    accountEnabled: true, displayName: 'E2E duplicate', mailNickname: `dup${run}`, userPrincipalName: user.userPrincipalName,
    passwordProfile: { password: PASSWORD, forceChangePasswordNextSignIn: false },
  }), 400, 'Request_BadRequest');
});

step('delete a user, find it in deletedItems, restore, delete again and purge', async () => {
  const user = need(users, 'the users of "create users"').at(-1);
  assert.equal(await client.api(`/users/${user.id}`).delete(), undefined);
  assert.equal(last().status, 204);
  await expectGraphError(client.api(`/users/${user.id}`).get(), 404, 'Request_ResourceNotFound');

  const deleted = await client.api('/directory/deletedItems/microsoft.graph.user').get();
  const found = deleted.value.filter((u) => u.id === user.id);
  assert.equal(found.length, 1, JSON.stringify(deleted.value));
  assert.ok(found[0].deletedDateTime, 'deletedDateTime');

  // .post() without a body: the SDK still sends Content-Type: application/json, with Content-Length: 0.
  const restored = await client.api(`/directory/deletedItems/${user.id}/restore`).post();
  assert.equal(last().status, 200);
  assert.equal(restored?.id, user.id);
  assert.equal((await client.api(`/users/${user.id}`).get()).userPrincipalName, user.userPrincipalName);

  await client.api(`/users/${user.id}`).delete();
  assert.equal(await client.api(`/directory/deletedItems/${user.id}`).delete(), undefined); // permanent
  assert.equal(last().status, 204);
  await expectGraphError(client.api(`/directory/deletedItems/${user.id}`).get(), 404, 'Request_ResourceNotFound');
  const remaining = await client.api('/directory/deletedItems/microsoft.graph.user').get();
  assert.ok(!remaining.value.some((u) => u.id === user.id));
  users.pop();
});

step('groups: create (201), get, update (204), list with $filter', async () => {
  const mailNickname = `e2e-group-${run}`;
  group = await client.api('/groups').post({ displayName: `E2E Group ${run}`, mailEnabled: false, mailNickname, securityEnabled: true });
  assert.equal(last().status, 201);
  assert.ok(group?.id, JSON.stringify(group));
  assert.deepEqual([group.mailNickname, group.securityEnabled, group.mailEnabled], [mailNickname, true, false]);

  assert.equal((await client.api(`/groups/${group.id}`).get()).displayName, group.displayName);
  assert.equal(await client.api(`/groups/${group.id}`).patch({ description: 'made by graph-sdk.test.mjs' }), undefined);
  assert.equal(last().status, 204);
  assert.equal((await client.api(`/groups/${group.id}`).get()).description, 'made by graph-sdk.test.mjs');

  const listed = await client.api('/groups').filter("startswith(displayName,'E2E')").get();
  assert.ok(listed.value.some((g) => g.id === group.id), JSON.stringify(listed.value.map((g) => g.displayName)));
});

step('group members and owners through $ref; memberOf', async () => {
  need(group, 'the group of "groups: create"');
  const [a, b] = need(users, 'the users of "create users"');
  const g = `/groups/${group.id}`;

  // Portico's own URL for one member, Graph's public one for the other: Graph accepts any host.
  assert.equal(await client.api(`${g}/members/$ref`).post(directoryObject(portico.url, a.id)), undefined);
  assert.equal(last().status, 204);
  await client.api(`${g}/members/$ref`).post(directoryObject('https://graph.microsoft.com', b.id));
  assert.equal(last().status, 204);
  const members = (await client.api(`${g}/members`).get()).value;
  assert.deepEqual(members.map((m) => m.id).sort(), [a.id, b.id].sort());
  assert.ok(members.every((m) => m['@odata.type'] === '#microsoft.graph.user'), JSON.stringify(members));

  const e = await expectGraphError(client.api(`${g}/members/$ref`).post(directoryObject(portico.url, a.id)), 400, 'Request_BadRequest');
  assert.match(e.message, /already exist/);

  const memberOf = (await client.api(`/users/${a.id}/memberOf`).get()).value;
  assert.deepEqual(memberOf.map((x) => [x.id, x['@odata.type']]), [[group.id, '#microsoft.graph.group']]);

  assert.equal(await client.api(`${g}/members/${b.id}/$ref`).delete(), undefined);
  assert.equal(last().status, 204);
  assert.deepEqual((await client.api(`${g}/members`).get()).value.map((m) => m.id), [a.id]);

  await client.api(`${g}/owners/$ref`).post(directoryObject(portico.url, b.id));
  assert.equal(last().status, 204);
  const owners = (await client.api(`${g}/owners`).get()).value;
  assert.deepEqual(owners.map((o) => [o.id, o['@odata.type']]), [[b.id, '#microsoft.graph.user']]);
  await expectGraphError(client.api(`${g}/owners/$ref`).post(directoryObject(portico.url, b.id)), 400, 'Request_BadRequest');
  await client.api(`${g}/owners/${b.id}/$ref`).delete();
  assert.equal(last().status, 204);
  assert.deepEqual((await client.api(`${g}/owners`).get()).value, []);
});

step('delete the group (204), then 404', async () => {
  need(group, 'the group of "groups: create"');
  assert.equal(await client.api(`/groups/${group.id}`).delete(), undefined);
  assert.equal(last().status, 204);
  await expectGraphError(client.api(`/groups/${group.id}`).get(), 404, 'Request_ResourceNotFound');
  group = undefined;
});

step('only Portico was contacted', () => {
  const stray = calls.filter((c) => !c.url.startsWith(`${portico.url}/`)).map((c) => c.url);
  assert.deepEqual(stray, []);
});
