// openid-client 6 (a certified OpenID Connect relying party) and headless Chromium against the
// real portico binary over plain http. Run by e2e/run.sh: `node --test openid-client.test.mjs`.
// Tests run in order and share one server; the browser context that signs in first is the SSO
// session later tests reuse. Each app's redirect URI is a loopback listener (callbackServer).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import {
  CHROMIUM, CHROMIUM_ARGS, callbackInput, callbackServer, decodeJwt, pageKind, signIn, startPortico, submit, verifyJwt,
} from './lib/harness.mjs';

const PASSWORD = 'E2e-Passw0rd!';
const SCOPES = 'openid profile email offline_access User.Read';
const T = { timeout: 60_000 };

let portico, jwks, alice, web, webCb, webConfig, sso, app2, app2Cb;
const callbacks = [];
let browser;
let first; // the first code-flow result: { tokens, claims }

const insecure = { execute: [client.allowInsecureRequests] }; // http issuer on loopback
const configFor = (app, auth) => client.discovery(new URL(portico.issuer), app.appId, app.password, auth, insecure);

async function newPage() {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return (await browser.newContext()).newPage();
}

async function authRequest(config, redirectUri, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri.uri, scope: SCOPES, state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
  });
  return { url: url.href, verifier, state, nonce };
}

const redeem = (config, callback, req) => client.authorizationCodeGrant(config, callbackInput(callback),
  { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce, idTokenExpected: true },
  { client_info: '1' });

const oauthError = (code) => (e) => {
  assert.equal(e.error, code, `expected ${code}, got ${e.code ?? ''} ${e.error ?? ''}: ${e.message}`);
  return true;
};

before(async () => {
  portico = await startPortico();
  alice = portico.createUser('alice', PASSWORD, { displayName: 'Alice Example' });
  webCb = await callbackServer('/cb');
  app2Cb = await callbackServer('/signin-oidc');
  callbacks.push(webCb, app2Cb);
  web = portico.createApp({ name: 'Web App', redirectUris: [webCb.uri] });
  app2 = portico.createApp({ name: 'Second App', redirectUris: [app2Cb.uri] });
  jwks = await (await fetch(`${portico.url}/${portico.tenantId}/discovery/v2.0/keys`)).json();
});

after(async () => {
  await browser?.close();
  await portico?.stop();
  for (const c of callbacks) c.close();
});

test('discovery: issuer, token endpoint and JWKS', T, async () => {
  webConfig = await configFor(web, client.ClientSecretBasic(web.password));
  const meta = webConfig.serverMetadata();
  assert.equal(meta.issuer, portico.issuer);
  assert.equal(meta.token_endpoint, `${portico.url}/${portico.tenantId}/oauth2/v2.0/token`);
  assert.ok(jwks.keys.length > 0 && jwks.keys.every((k) => k.kty === 'RSA' && k.kid && !k.d), 'public RSA keys only');
});

test('client credentials: app role token for an api:// resource (basic and post auth)', T, async () => {
  const api = portico.createApp({ name: 'Orders API', identifierUris: ['api://orders'], appRoles: ['Orders.Read'] });
  const daemon = portico.createApp({ name: 'Nightly job' });
  portico.grant(daemon.appId, api.appId, 'Orders.Read');

  for (const [auth, scope] of [
    [client.ClientSecretBasic(daemon.password), 'api://orders/.default'],
    [client.ClientSecretPost(daemon.password), `${api.appId}/.default`],
  ]) {
    const config = await configFor(daemon, auth);
    const cc = await client.clientCredentialsGrant(config, { scope, client_info: '1' }); // client_info is ignored app-only
    assert.equal(cc.token_type.toLowerCase(), 'bearer');
    assert.ok(cc.expires_in > 0);
    const { payload } = decodeJwt(cc.access_token);
    assert.equal(payload.aud, api.appId);
    assert.equal(payload.iss, portico.issuer);
    assert.equal(payload.tid, portico.tenantId);
    assert.deepEqual(payload.roles, ['Orders.Read']);
    assert.ok(verifyJwt(cc.access_token, jwks), 'access token signature verifies against JWKS');
  }
});

test('client credentials: a wrong secret is invalid_client', T, async () => {
  const config = await client.discovery(new URL(portico.issuer), web.appId, 'not-the-secret', undefined, insecure);
  await assert.rejects(client.clientCredentialsGrant(config, { scope: `${web.appId}/.default` }), oauthError('invalid_client'));
});

test('code flow + PKCE in Chromium: sign-in pages, id_token, client_info', T, async () => {
  const meta = webConfig.serverMetadata();
  for (const k of ['authorization_endpoint', 'userinfo_endpoint', 'end_session_endpoint']) assert.ok(meta[k], `discovery lists ${k}`);
  const req = await authRequest(webConfig, webCb);
  const page = await newPage();
  const { callback, seen } = await signIn(page, req.url, webCb, { username: alice, password: PASSWORD });
  assert.deepEqual(seen.filter((k) => k !== 'consent'), ['username', 'password']);
  assert.equal(callback.method, 'GET');
  assert.equal(new URL(callback.url).searchParams.get('state'), req.state);

  const tokens = await redeem(webConfig, callback, req);
  const claims = tokens.claims(); // openid-client checked iss, aud, exp, iat, nonce
  assert.equal(claims.aud, web.appId);
  assert.equal(claims.iss, portico.issuer);
  assert.equal(claims.tid, portico.tenantId);
  assert.equal(claims.nonce, req.nonce);
  assert.equal(claims.preferred_username, alice);
  assert.ok(claims.oid && claims.sub);
  assert.ok(verifyJwt(tokens.id_token, jwks), 'id_token signature verifies against JWKS');
  assert.ok(tokens.access_token && tokens.refresh_token, 'access and refresh tokens (offline_access)');
  const info = JSON.parse(Buffer.from(tokens.client_info, 'base64url').toString());
  assert.deepEqual(info, { uid: claims.oid, utid: portico.tenantId });
  first = { tokens, claims };
  sso = page;
});

test('userinfo answers for the signed-in user', T, async () => {
  const info = await client.fetchUserInfo(webConfig, first.tokens.access_token, first.claims.sub);
  assert.equal(info.sub, first.claims.sub);
  assert.equal(info.name, 'Alice Example');
});

test('refresh tokens rotate; replaying a used one fails and revokes the family', T, async () => {
  const rt0 = first.tokens.refresh_token;
  const r1 = await client.refreshTokenGrant(webConfig, rt0);
  assert.ok(r1.access_token && r1.refresh_token && r1.refresh_token !== rt0);
  const r2 = await client.refreshTokenGrant(webConfig, r1.refresh_token);
  assert.ok(r2.access_token && r2.refresh_token && r2.refresh_token !== r1.refresh_token);
  await assert.rejects(client.refreshTokenGrant(webConfig, rt0), oauthError('invalid_grant'));
  await assert.rejects(client.refreshTokenGrant(webConfig, r2.refresh_token), oauthError('invalid_grant'));
});

test('a wrong PKCE verifier is invalid_grant', T, async () => {
  const req = await authRequest(webConfig, webCb);
  const { callback } = await signIn(sso, req.url, webCb); // SSO: no credentials asked
  await assert.rejects(redeem(webConfig, callback, { ...req, verifier: client.randomPKCECodeVerifier() }), oauthError('invalid_grant'));
});

test('an unregistered redirect_uri gets an HTML error page, no redirect', T, async () => {
  const evil = await callbackServer('/evil');
  callbacks.push(evil);
  const page = await newPage();
  const req = await authRequest(webConfig, evil);
  const res = await page.goto(req.url);
  assert.equal(res.status(), 400);
  assert.match(res.headers()['content-type'] ?? '', /text\/html/);
  assert.equal(evil.requests.length, 0, 'the browser was not sent to the unregistered URI');
  assert.ok(page.url().startsWith(portico.url), page.url());
  await page.context().close();
});

test('a wrong password shows the password page again with an error', T, async () => {
  const page = await newPage();
  const req = await authRequest(webConfig, webCb);
  await page.goto(req.url);
  assert.equal(await pageKind(page), 'username');
  await page.fill('input[name=username]', alice);
  await submit(page);
  assert.equal(await pageKind(page), 'password');
  await page.fill('input[name=password]', 'Wrong-Passw0rd!');
  await submit(page);
  assert.equal(await pageKind(page), 'password');
  const marked = await page.$('[role=alert], .error, #error, [aria-invalid=true]');
  assert.ok(marked || /incorrect|invalid|wrong/i.test(await page.innerText('body')), 'an error is shown');
  const { seen } = await signIn(page, null, webCb, { password: PASSWORD }); // the right one still works
  assert.equal(seen[0], 'password');
  await page.context().close();
});

test('SSO: a second app signs in without username/password pages (form_post)', T, async () => {
  const config = await configFor(app2);
  const req = await authRequest(config, app2Cb, { response_mode: 'form_post' });
  const { callback, seen } = await signIn(sso, req.url, app2Cb);
  assert.ok(!seen.includes('username') && !seen.includes('password'), `pages: ${seen}`);
  assert.equal(callback.method, 'POST');
  const claims = (await redeem(config, callback, req)).claims();
  assert.equal(claims.aud, app2.appId);
  assert.equal(claims.oid, first.claims.oid);
});

test('forced password change at first sign-in', T, async () => {
  const bob = portico.createUser('bob', 'Temp-Passw0rd!', { forceChange: true });
  const page = await newPage();
  const req = await authRequest(webConfig, webCb);
  const { callback, seen } = await signIn(page, req.url, webCb, { username: bob, password: 'Temp-Passw0rd!', newPassword: 'Fresh-Passw0rd!' });
  assert.ok(seen.includes('change-password'), `pages: ${seen}`);
  assert.equal((await redeem(webConfig, callback, req)).claims().preferred_username, bob);
  await page.context().close();
});

test('prompt=none without a session answers login_required', T, async () => {
  const page = await newPage();
  const req = await authRequest(webConfig, webCb, { prompt: 'none' });
  const { callback, seen } = await signIn(page, req.url, webCb);
  const params = new URL(callback.url).searchParams;
  assert.deepEqual(seen, []);
  assert.equal(params.get('error'), 'login_required');
  assert.equal(params.get('state'), req.state);
  await page.context().close();
});

test('prompt=login asks for credentials despite the session', T, async () => {
  const req = await authRequest(webConfig, webCb, { prompt: 'login' });
  const { seen } = await signIn(sso, req.url, webCb, { username: alice, password: PASSWORD });
  assert.ok(seen.includes('password'), `pages: ${seen}`);
});

test('logout at end_session_endpoint ends the SSO session', T, async () => {
  const res = await sso.goto(client.buildEndSessionUrl(webConfig, { id_token_hint: first.tokens.id_token }).href);
  assert.ok(res.status() < 400, `logout answered ${res.status()}`);
  const req = await authRequest(webConfig, webCb);
  const { seen } = await signIn(sso, req.url, webCb, { username: alice, password: PASSWORD });
  assert.ok(seen.includes('username') || seen.includes('password'), `pages after logout: ${seen}`);
});
