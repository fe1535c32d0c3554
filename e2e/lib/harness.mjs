// Shared by the Node suites: run the real portico binary (server and operator commands),
// decode and verify JWTs, and drive Portico's sign-in pages in headless Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, createWriteStream, mkdtempSync } from 'node:fs';
import { createPublicKey, verify } from 'node:crypto';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = process.env.PORTICO_BIN || new URL('../../target/debug/portico', import.meta.url).pathname;
let tmp = process.env.E2E_TMP; // run.sh's temp dir; else one of our own, made on first use
const TMP = () => (tmp ??= mkdtempSync(join(tmpdir(), 'portico-e2e-')));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// §7 of the client recipes: Debian's chromium under playwright-core, no downloaded browser.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// A suite stopped by its timeout (SIGTERM) still stops its servers.
const children = new Set();
process.once('SIGTERM', () => { for (const c of children) c.kill('SIGKILL'); process.exit(143); });

// A Portico environment: none of the caller's PORTICO_* settings, cheap password hashing.
function porticoEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTICO_')));
  return { ...env, PORTICO_PASSWORD_HASHING__MEMORY_KIB: '8192', PORTICO_PASSWORD_HASHING__ITERATIONS: '1' };
}

/** A free loopback port (nothing listens on it afterwards: redirect URIs are caught in the browser). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `portico serve` on 127.0.0.1:0 with a fresh data dir and waits for "listening on".
 * Returns { url, tenantId, domain, cli(), stop(), logs() }.
 */
export async function startPortico({ tls = null } = {}) {
  const dataDir = mkdtempSync(join(TMP(), 'portico-data-'));
  const args = ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'];
  if (tls) args.push('--tls-cert', tls.cert, '--tls-key', tls.key);
  const child = spawn(BIN, args, { env: porticoEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  appendFileSync(join(TMP(), 'pids'), `${child.pid}\n`); // run.sh kills leftovers by id
  const log = createWriteStream(join(TMP(), `portico-${child.pid}.log`)); // run.sh shows it when a suite fails
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`portico did not listen within 30 s:\n${out}`)), 30_000);
    const onData = (chunk) => {
      out += chunk;
      const m = out.match(/listening on (https?:\/\/[^\s"]+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`portico exited (${code}):\n${out}`)); });
  });
  child.removeAllListeners('exit');
  const cli = (cmdArgs, input) => {
    try {
      return execFileSync(BIN, [...cmdArgs, '--data-dir', dataDir], { env: porticoEnv(), input: input ?? '', timeout: 30_000, encoding: 'utf8' });
    } catch (e) {
      throw new Error(`portico ${cmdArgs.join(' ')} failed: ${e.stderr || e.message}`);
    }
  };
  const [tenantId, domain] = cli(['tenant', 'list']).trim().split('\n')[0].split('\t');
  const server = {
    url, tenantId, domain, cli,
    issuer: `${url}/${tenantId}/v2.0`,
    logs: () => out,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
    /** A member user with a password; returns its UPN. */
    createUser(alias, password, { displayName = alias, forceChange = false } = {}) {
      const upn = `${alias}@${domain}`;
      const a = ['user', 'create', '--tenant', tenantId, '--upn', upn, '--display-name', displayName, '--password-stdin'];
      if (forceChange) a.push('--force-change');
      cli(a, `${password}\n`);
      return upn;
    },
    /** `portico app create`; returns its JSON ({appId, password, ...}). */
    createApp({ name, redirectUris = [], identifierUris = [], appRoles = [], publicClient = false, graphPermissions = [] }) {
      const a = ['app', 'create', '--tenant', tenantId, '--name', name];
      for (const u of redirectUris) a.push('--redirect-uri', u);
      for (const u of identifierUris) a.push('--identifier-uri', u);
      for (const r of appRoles) a.push('--app-role', r);
      for (const p of graphPermissions) a.push('--graph-permission', p);
      if (publicClient) a.push('--public-client');
      return JSON.parse(cli(a));
    },
    /** Grants the client an application permission (app role) of the resource. */
    grant(clientAppId, resourceAppId, role) {
      const named = cli(['app', 'grant', '--help']).includes('--client');
      cli(named
        ? ['app', 'grant', '--tenant', tenantId, '--client', clientAppId, '--resource', resourceAppId, '--role', role]
        : ['app', 'grant', '--tenant', tenantId, clientAppId, resourceAppId, role]);
    },
  };
  children.add(child);
  child.once('exit', () => children.delete(child));
  return server;
}

const b64json = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** The header and payload of a compact JWS, unverified. */
export function decodeJwt(jwt) {
  const [h, p] = jwt.split('.');
  return { header: b64json(h), payload: b64json(p) };
}

/** True when the RS256 signature verifies with the JWKS key named by the token's kid. */
export function verifyJwt(jwt, jwks) {
  const [h, p, s] = jwt.split('.');
  const { alg, kid } = b64json(h);
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (alg !== 'RS256' || !jwk) return false;
  return verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
}

// ---- the sign-in pages, identified by their inputs (never by text) ----

/** Which Portico page the browser shows: username, password, change-password, consent, form_post, or other. */
export async function pageKind(page, redirectUri) {
  for (let attempt = 0; ; attempt++) {
    try {
      await page.waitForLoadState('load');
      if (await page.$('input[name=new_password]')) return 'change-password';
      if (await page.$('input[name=password]')) return 'password';
      if (await page.$('input[name=username]')) return 'username';
      if (await page.$('button[name=consent][value=accept]')) return 'consent';
      if (redirectUri && await page.$(`form[action^="${redirectUri}"]`)) return 'form_post';
      return 'other';
    } catch (e) { // the page navigated while we looked at it
      if (attempt >= 3) throw e;
      await page.waitForTimeout(200);
    }
  }
}

/** Clicks and waits for the navigation the click starts. */
export async function submit(page, selector = 'button[type=submit]') {
  await Promise.all([page.waitForNavigation({ timeout: 15_000 }), page.click(selector)]);
}

/**
 * A loopback listener standing in for an app's redirect URI (Playwright's page.route does not
 * see server-side redirect targets, so the browser really lands here). Records each request
 * to its path as { url, method, body }; answers 200 text/plain.
 */
export async function callbackServer(path = '/cb') {
  const requests = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.url.split(/[?#]/)[0] === path) requests.push({ url: `${origin}${req.url}`, method: req.method, body });
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end('callback reached');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { uri: `${origin}${path}`, requests, close: () => { server.closeAllConnections(); server.close(); } };
}

/**
 * Opens authUrl (or goes on from the page shown when it is null) and answers each page
 * (username, password, forced password change, consent) until the browser reaches the app's
 * callback server. Returns { callback: { url, method, body }, seen } where seen lists the page
 * kinds shown.
 */
export async function signIn(page, authUrl, app, { username, password, newPassword, consent = 'accept' } = {}) {
  const redirectUri = app.uri;
  const before = app.requests.length;
  const callback = () => app.requests[before] ?? null;
  const seen = [];
  if (authUrl) await page.goto(authUrl);
  for (let step = 0; step < 10 && !callback(); step++) {
    const kind = await pageKind(page, redirectUri);
    if (callback()) break;
    seen.push(kind);
    if (kind === 'username' && username) {
      await page.fill('input[name=username]', username);
      await submit(page);
    } else if (kind === 'password' && password) {
      await page.fill('input[name=password]', password);
      await submit(page);
    } else if (kind === 'change-password' && newPassword) {
      await page.fill('input[name=new_password]', newPassword);
      await page.fill('input[name=confirm_password]', newPassword);
      await submit(page);
    } else if (kind === 'consent') {
      await submit(page, `button[name=consent][value=${consent}]`);
    } else if (kind === 'form_post') { // auto-submitting form: give it a moment, then submit it ourselves
      for (let i = 0; i < 20 && !callback(); i++) await page.waitForTimeout(100);
      if (!callback()) await page.$eval(`form[action^="${redirectUri}"]`, (f) => f.submit());
      for (let i = 0; i < 50 && !callback(); i++) await page.waitForTimeout(100);
    } else {
      throw new Error(`unexpected ${kind} page at ${page.url()} after ${seen.join(' > ')}:\n${(await page.content()).slice(0, 1500)}`);
    }
  }
  if (!callback()) throw new Error(`never reached ${redirectUri}; pages: ${seen.join(' > ')}`);
  return { callback: callback(), seen };
}

/** The callback as something openid-client's authorizationCodeGrant takes (URL, or Request for form_post). */
export function callbackInput({ url, method, body }) {
  if (method === 'GET') return new URL(url);
  return new Request(url, { method, body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}
