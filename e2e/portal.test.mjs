// The admin portal (/portal/{tenant}/) and My Apps (/myapps/{tenant}/) in headless Chromium
// (Debian's, driven by playwright-core) against the real portico binary over plain http.
// Run by e2e/run.sh: `node --test portal.test.mjs`. Tests run in order and build on each other:
//   1. an administrator (Global Administrator, made with the CLI) opens the portal, signs in
//      through the ordinary pages (username, password; no consent) and sees the overview;
//   2. the invitation form refuses a bad address next to the field (nothing created), then
//      invites guest1@partner.example without an email and shows the redeem link;
//   3. the guest is assigned a web app (Graph appRoleAssignments, app token), opens the link in
//      a fresh browser, verifies the address with a one-time passcode (read from Portico's file
//      outbox: no SMTP is configured), accepts and lands on the redirect URL;
//   4. the guest, still signed in, sees the app's tile and "(you are a guest here)" in My Apps;
//   5. a bulk invitation of a 10-row CSV with one bad row invites nine, lists the bad row with
//      its reason and offers the results as a CSV download;
//   6. Tab walks the invitation form in order, with a visible focus outline.
// Screenshots (1000x700 PNG) go to $E2E_ARTIFACTS (default e2e/artifacts/portal/); with
// E2E_UPDATE_SCREENSHOTS=1 the three shown in the docs are copied to docs/screenshots/ too
// (DOCS_SHOTS below: the overview after the invitation, the invitation done, the guest's My Apps).
// A failing test also leaves FAILED-*.png of the pages it had open.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

// harness.mjs reads E2E_TMP when loaded; standalone runs get a temp dir of their own here, so
// that the data dir (and its outbox) startPortico makes can be found in it.
process.env.E2E_TMP ||= mkdtempSync(join(tmpdir(), 'portico-e2e-'));
const TMP = process.env.E2E_TMP;
const { CHROMIUM, CHROMIUM_ARGS, callbackServer, pageKind, startPortico } = await import('./lib/harness.mjs');

const HERE = new URL('.', import.meta.url).pathname;
const ART = process.env.E2E_ARTIFACTS || join(HERE, 'artifacts', 'portal');
const DOCS_DIR = join(HERE, '..', 'docs', 'screenshots');
const DOCS_SHOTS = { // artifact -> docs/screenshots/ name
  'portal-overview-invited.png': 'portal-overview.png',
  'portal-invite-done.png': 'portal-invite-done.png',
  'myapps-guest.png': 'myapps-guest.png',
};
const PASSWORD = 'E2e-Passw0rd!';
const GUEST = 'guest1@partner.example';
const GUEST_NAME = 'Guest One';
const APP_NAME = 'Partner Web App';
const VIEWPORT = { width: 1000, height: 700 };
const PAGE_WAIT = 15_000; // ms for any page or element
const MAIL_WAIT = 30_000; // ms for the passcode mail (the mail worker runs every second)
const T = { timeout: 60_000 };

let portico, browser, landing, web, graphApp, dataDir, adminUpn;
let adminPage, guestPage; // two browser contexts: the administrator's and the guest's
let redeemLink, guestId;
const shots = [];

// ---- helpers ----

const portalUrl = () => `${portico.url}/portal/${portico.tenantId}/`;
const myAppsUrl = () => `${portico.url}/myapps/${portico.tenantId}/`;

async function newPage() {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: VIEWPORT });
  context.setDefaultTimeout(PAGE_WAIT);
  context.setDefaultNavigationTimeout(PAGE_WAIT);
  return context.newPage();
}

async function shot(page, name) {
  await page.screenshot({ path: join(ART, name) });
  shots.push(name);
}

/** Clicks and waits for the page the click loads (forms post to themselves or redirect). */
async function submit(page, selector) {
  await Promise.all([page.waitForNavigation({ timeout: PAGE_WAIT }), page.click(selector)]);
}

/** A test whose failure message carries the open pages' address and text (and screenshots them). */
function step(name, fn) {
  test(name, T, async (t) => {
    try {
      await fn(t);
    } catch (e) {
      const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40).replace(/-$/, '');
      let extra = '';
      for (const [who, page] of [['admin', adminPage], ['guest', guestPage]]) {
        if (!page || page.isClosed()) continue;
        try {
          await page.screenshot({ path: join(ART, `FAILED-${slug}-${who}.png`) });
          const text = (await page.innerText('body', { timeout: 2_000 })).replace(/\s+/g, ' ').slice(0, 700);
          extra += `\n  the ${who}'s page (FAILED-${slug}-${who}.png): ${page.url()}\n    ${text}`;
        } catch { /* the page is gone */ }
      }
      if (extra && e instanceof Error) {
        e.message += extra;
        // The reporter prints the stack, made with the first message.
        if (typeof e.stack === 'string') e.stack = e.stack.replace(/\n {4}at |$/, (m) => `${extra}${m}`);
      }
      throw e;
    }
  });
}

function need(value, what) {
  assert.ok(value, `needs ${what} (an earlier test failed)`);
  return value;
}

async function waitUntil(predicate, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Microsoft Graph with an app token (client credentials of an app made by the CLI).
let graphToken;
async function graph(method, path, body) {
  if (!graphToken) {
    const res = await fetch(`${portico.url}/${portico.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials', client_id: graphApp.appId, client_secret: graphApp.password,
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
    const json = await res.json();
    assert.equal(res.status, 200, `app token: ${JSON.stringify(json)}`);
    graphToken = json.access_token;
  }
  const res = await fetch(`${portico.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${graphToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function guests() {
  const filter = encodeURIComponent("userType eq 'Guest'");
  const { status, json } = await graph('GET', `/v1.0/users?$filter=${filter}&$select=id,mail,displayName,externalUserState`);
  assert.equal(status, 200, JSON.stringify(json));
  return json.value;
}

// Portico's file outbox (no SMTP configured): each mail is <data_dir>/outbox/<id>.eml, RFC 5322
// as an SMTP server would receive it, multipart/alternative, parts in 7bit, quoted-printable or
// base64.
function splitHead(raw) {
  const i = raw.search(/\r?\n\r?\n/);
  const head = i < 0 ? raw : raw.slice(0, i);
  const body = i < 0 ? '' : raw.slice(i).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = line.match(/^([^:]+):\s*(.*)$/);
    if (m) headers[m[1].toLowerCase()] ??= m[2];
  }
  return { headers, body };
}

function decodeBody(body, encoding = '') {
  switch (encoding.toLowerCase()) {
    case 'base64': return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => `%${h}`).replace(/%(?![0-9A-F]{2})/gi, '%25');
      try { return decodeURIComponent(bytes); } catch { return bytes; }
    }
    default: return body;
  }
}

function parseEml(raw) {
  const { headers, body } = splitHead(raw);
  const parts = { 'text/plain': '', 'text/html': '' };
  const walk = (h, b) => {
    const ctype = h['content-type'] || 'text/plain';
    const boundary = ctype.match(/boundary="?([^";]+)"?/i)?.[1];
    if (/^multipart\//i.test(ctype) && boundary) {
      for (const chunk of b.split(`--${boundary}`).slice(1)) {
        if (chunk.startsWith('--')) break;
        const p = splitHead(chunk.replace(/^\r?\n/, ''));
        walk(p.headers, p.body);
      }
    } else {
      const type = ctype.split(';')[0].trim().toLowerCase();
      if (type in parts && !parts[type]) parts[type] = decodeBody(b, h['content-transfer-encoding']);
    }
  };
  walk(headers, body);
  return { headers, text: parts['text/plain'], html: parts['text/html'] };
}

function outbox() {
  const dir = join(dataDir, 'outbox');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n.endsWith('.eml'))
    .map((name) => ({ name, ...parseEml(readFileSync(join(dir, name), 'utf8')) }));
}

const mailsTo = (address) => outbox().filter((m) => (m.headers.to || '').toLowerCase().includes(address));

/** The overview's figures: { members, guests, 'pending invitations' } as numbers. */
async function figures(page) {
  const items = await page.$$eval('ul.figures li', (lis) => lis.map((li) => [
    li.querySelector('strong')?.textContent.trim() ?? '',
    li.textContent.replace(li.querySelector('strong')?.textContent ?? '', '').trim(),
  ]));
  return Object.fromEntries(items.map(([n, label]) => [label, Number(n)]));
}

/** What has keyboard focus: id, else name, else the text of a button or link. */
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { key: 'body' };
  const style = getComputedStyle(el);
  return {
    key: el.id || el.getAttribute('name') || el.textContent.trim(),
    tag: el.tagName.toLowerCase(),
    type: el.getAttribute('type') || '',
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
  };
});

// ---- setup ----

before(async () => {
  rmSync(ART, { recursive: true, force: true });
  mkdirSync(ART, { recursive: true });
  const seen = new Set(readdirSync(TMP));
  portico = await startPortico();
  const made = readdirSync(TMP).filter((n) => n.startsWith('portico-data-') && !seen.has(n));
  assert.equal(made.length, 1, `one new data dir in ${TMP}: ${made}`);
  dataDir = join(TMP, made[0]);

  adminUpn = portico.createUser('ada.admin', PASSWORD, { displayName: 'Ada Admin' });
  portico.cli(['role', 'assign', '--tenant', portico.tenantId, adminUpn, 'Global Administrator']);
  // The redirect URL after redemption, and the web app's site: a loopback listener the browser
  // really reaches (the tile leads to the origin of the app's first web redirect URI).
  landing = await callbackServer('/landed');
  const origin = new URL(landing.uri).origin;
  web = portico.createApp({ name: APP_NAME, redirectUris: [`${origin}/signin-oidc`] });
  graphApp = portico.createApp({
    name: 'Portal e2e Graph client',
    graphPermissions: ['User.Read.All', 'Application.Read.All', 'AppRoleAssignment.ReadWrite.All'],
  });
});

after(async () => {
  await browser?.close();
  await portico?.stop();
  landing?.close();
  if (shots.length) console.log(`screenshots in ${ART}: ${shots.join(', ')}`);
  if (process.env.E2E_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_DIR, { recursive: true });
    for (const [name, docs] of Object.entries(DOCS_SHOTS)) {
      if (shots.includes(name)) copyFileSync(join(ART, name), join(DOCS_DIR, docs));
    }
    console.log(`copied to ${DOCS_DIR}: ${Object.values(DOCS_SHOTS).join(', ')}`);
  }
});

// ---- the scenario ----

step('the administrator signs in at /portal/{tenant}/ and sees the overview', async () => {
  adminPage = await newPage();
  const page = adminPage;
  const res = await page.goto(portalUrl());
  assert.equal(res.status(), 200);
  const seen = [];
  for (let i = 0; i < 6 && !(await page.$('ul.figures')); i++) {
    const kind = await pageKind(page);
    seen.push(kind);
    if (kind === 'username') {
      await page.fill('input[name=username]', adminUpn);
      await submit(page, 'button[type=submit]');
    } else if (kind === 'password') {
      await page.fill('input[name=password]', PASSWORD);
      await submit(page, 'button[type=submit]');
    } else {
      assert.fail(`unexpected ${kind} page after ${seen.join(' > ')} (no consent for Portico itself)`);
    }
  }
  assert.deepEqual(seen, ['username', 'password'], 'the ordinary sign-in pages, nothing more');
  assert.equal(page.url(), portalUrl(), 'back on the page the sign-in started from');
  assert.equal((await page.innerText('h1')).trim(), 'Overview');
  assert.equal(await page.getAttribute('nav a[aria-current=page]', 'href'), `/portal/${portico.tenantId}/`);
  assert.ok((await page.innerText('header')).includes('Ada Admin'), 'the signed-in name in the header');

  const f = await figures(page);
  assert.ok(f.members >= 1, `members: ${JSON.stringify(f)}`);
  assert.equal(f.guests, 0, JSON.stringify(f));
  assert.equal(f['pending invitations'], 0, JSON.stringify(f));
  assert.ok((await page.innerText('main')).includes(portico.domain), 'the initial domain is listed');
  await shot(page, 'portal-overview.png');
});

step('invite: a bad address is refused next to the email field and nothing is created', async () => {
  const page = need(adminPage, 'the signed-in administrator');
  await page.goto(`${portalUrl()}invite`);
  assert.equal(await page.inputValue('#redirect_url'), myAppsUrl(), 'the redirect URL defaults to My Apps');
  assert.ok(await page.isChecked('input[name=send_email]'), '"Send the invitation email" is ticked by default');
  await page.fill('#email', 'not-an-address');
  await page.fill('#display_name', GUEST_NAME);
  await submit(page, 'form button[type=submit]');

  const error = await page.waitForSelector('#email-error');
  assert.ok(await error.isVisible(), '#email-error is shown');
  assert.ok((await error.innerText()).trim().length > 0, '#email-error says something');
  const email = await page.$('#email');
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.equal(await email.getAttribute('aria-describedby'), 'email-error');
  assert.equal(await page.inputValue('#email'), 'not-an-address', 'the typed address is kept');
  assert.equal(await page.inputValue('#display_name'), GUEST_NAME, 'the typed name is kept');
  // Next to the field: the element right after the input, just below it.
  assert.equal(await page.$eval('#email', (el) => el.nextElementSibling?.id), 'email-error');
  const [box, errBox] = [await email.boundingBox(), await error.boundingBox()];
  assert.ok(errBox.y >= box.y + box.height - 1 && errBox.y - (box.y + box.height) < 40,
    `the error sits under the field: field ${JSON.stringify(box)}, error ${JSON.stringify(errBox)}`);
  for (const id of ['name-error', 'message-error', 'redirect-error']) assert.equal(await page.$(`#${id}`), null, `no #${id}`);
  assert.equal(await page.$('#redeem-link'), null);
  await shot(page, 'portal-invite-error.png');

  assert.deepEqual(await guests(), [], 'no guest was created');
});

step(`invite: ${GUEST} without the email shows the redeem link`, async () => {
  const page = need(adminPage, 'the signed-in administrator');
  assert.ok(await page.$('#email-error'), 'still on the form with the error (previous test)');
  await page.fill('#email', GUEST);
  await page.fill('#display_name', GUEST_NAME);
  await page.fill('#message', 'Welcome to the partner workspace.');
  await page.fill('#redirect_url', landing.uri);
  await page.setChecked('input[name=send_email]', false);
  await submit(page, 'form button[type=submit]');

  const status = (await page.innerText('[role=status]')).trim();
  assert.ok(status.includes(`${GUEST_NAME} is invited`), status);
  redeemLink = (await page.innerText('#redeem-link')).trim();
  assert.ok(redeemLink.startsWith(`${portico.url}/redeem?`), redeemLink);
  assert.equal(await page.$('#email-error'), null);
  await shot(page, 'portal-invite-done.png');

  const [guest, ...others] = await guests();
  assert.deepEqual(others, [], 'one guest');
  assert.equal(guest?.mail, GUEST);
  assert.equal(guest.displayName, GUEST_NAME);
  assert.equal(guest.externalUserState, 'PendingAcceptance');
  guestId = guest.id;

  // The overview counts the guest as pending, and the audit shows who invited.
  await page.goto(portalUrl());
  const f = await figures(page);
  assert.equal(f.guests, 1, JSON.stringify(f));
  assert.equal(f['pending invitations'], 1, JSON.stringify(f));
  const rows = await page.$$eval('table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
  assert.ok(rows.some((r) => r[1] === 'Invite external user' && r[2] === adminUpn),
    `an "Invite external user" event by ${adminUpn}: ${JSON.stringify(rows)}`);
  await shot(page, 'portal-overview-invited.png');
});

step('the guest is assigned the web app (Graph appRoleAssignments, default access)', async () => {
  need(guestId, 'the invited guest');
  const filter = encodeURIComponent(`appId eq '${web.appId}'`);
  const sps = await graph('GET', `/v1.0/servicePrincipals?$filter=${filter}`);
  assert.equal(sps.status, 200, JSON.stringify(sps.json));
  const sp = sps.json.value?.[0]?.id;
  assert.ok(sp, `the web app's service principal: ${JSON.stringify(sps.json)}`);
  const { status, json } = await graph('POST', `/v1.0/users/${guestId}/appRoleAssignments`,
    { principalId: guestId, resourceId: sp, appRoleId: '00000000-0000-0000-0000-000000000000' });
  assert.equal(status, 201, JSON.stringify(json));
  assert.equal(json.principalId, guestId, JSON.stringify(json));
  assert.equal(json.resourceId, sp, JSON.stringify(json));
});

step('the guest redeems the link with a one-time passcode and lands on the redirect URL', async () => {
  need(redeemLink, 'the redeem link');
  guestPage = await newPage(); // a browser that never saw Portico
  const page = guestPage;
  await page.goto(redeemLink);
  await page.waitForSelector('#send-code');
  assert.ok((await page.innerText('body')).includes(GUEST), 'the page names the invited address');
  assert.deepEqual(mailsTo(GUEST), [], 'no invitation mail was sent (the box was unticked)');
  await submit(page, '#send-code');
  await page.waitForSelector('#code');

  const mail = await waitUntil(() => mailsTo(GUEST)[0], MAIL_WAIT, `the passcode mail in ${join(dataDir, 'outbox')}`);
  const codes = [...new Set(mail.text.match(/\b\d{8}\b/g) ?? [])];
  assert.equal(codes.length, 1, `one 8-digit code in the passcode mail:\n${mail.text}`);
  await page.fill('#code', codes[0]);
  await submit(page, '#verify');
  await page.waitForSelector('#accept');
  assert.equal((await page.innerText('h1')).trim(), 'Review permissions');
  await Promise.all([page.waitForURL((u) => u.href.startsWith(landing.uri), { timeout: PAGE_WAIT }), page.click('#accept')]);
  assert.equal(landing.requests.length, 1, 'the browser reached the redirect URL once');

  const { json } = await graph('GET', `/v1.0/users/${guestId}?$select=externalUserState`);
  assert.equal(json.externalUserState, 'Accepted', JSON.stringify(json));
});

step('the guest, signed in already, sees the app tile in My Apps and is told they are a guest', async () => {
  const page = need(guestPage, 'the guest who redeemed');
  need(landing.requests.length, 'the redemption');
  const res = await page.goto(myAppsUrl());
  assert.equal(res.status(), 200);
  assert.equal(await page.$('input[name=username]'), null, 'no sign-in: the redemption left a session');
  assert.equal(page.url(), myAppsUrl());
  assert.equal((await page.innerText('h1')).trim(), 'My Apps');

  const tiles = await page.$$eval('ul.tiles li a', (as) => as.map((a) => ({ name: a.textContent.trim(), href: a.href })));
  assert.deepEqual(tiles, [{ name: APP_NAME, href: `${new URL(landing.uri).origin}/` }]);
  const main = await page.innerText('main');
  assert.ok(main.includes('(you are a guest here)'), main);
  assert.ok(main.includes(GUEST), `the guest's email in the profile: ${main}`);
  assert.equal(await page.$('nav a[href$="/invite"]'), null, 'no portal links for a guest');
  await shot(page, 'myapps-guest.png');

  // The tile leads to the app's site.
  await Promise.all([page.waitForURL(`${new URL(landing.uri).origin}/`), page.click(`ul.tiles a:text-is("${APP_NAME}")`)]);
  // The tenant's initial domain names the same My Apps; the portal is not for a guest.
  await page.goto(`${portico.url}/myapps/${portico.domain}/`);
  assert.ok((await page.innerText('main')).includes('(you are a guest here)'), 'My Apps by domain');
  const portal = await page.goto(portalUrl());
  assert.equal(portal.status(), 403);
  assert.ok((await page.innerText('body')).includes('My Apps'), 'the refusal points to My Apps');
});

step('bulk invite: a 10-row CSV with one bad row invites nine and names the bad one', async () => {
  const page = need(adminPage, 'the signed-in administrator');
  await page.goto(`${portalUrl()}bulk-invite`);
  assert.equal((await page.innerText('h1')).trim(), 'Bulk invite guests');
  const rows = ['email,displayName'];
  for (let i = 1; i <= 10; i++) rows.push(i === 4 ? 'bad-row-without-at,Bad Row' : `bulk${i}@partner.example,Bulk ${i}`);
  await page.setInputFiles('#file', { name: 'guests.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n') + '\n') });
  await page.uncheck('input[name=send_email]');
  await submit(page, 'form button[type=submit]');
  const status = (await page.innerText('[role=status]')).trim();
  assert.equal(status, 'Invited 9 of 10 rows; 1 failed.');
  const bad = await page.innerText('td.error');
  assert.ok(bad.length > 0, 'the bad row says why');
  assert.ok((await page.innerText('table')).includes('bad-row-without-at'), 'the bad row is listed');
  const href = await page.getAttribute('a[download]', 'href');
  const csv = Buffer.from(href.split(',')[1], 'base64').toString('utf8');
  assert.equal(csv.trim().split('\n').length, 11, csv);
  assert.equal(csv.split('\n').filter((l) => l.includes(',invited,')).length, 9, csv);
  await shot(page, 'portal-bulk-invite.png');
});

step('keyboard: Tab walks the invitation form in order, with a visible focus', async (t) => {
  const page = need(adminPage, 'the signed-in administrator');
  await page.goto(`${portalUrl()}invite`);
  // From the top of the page: the header's links come first, then the form.
  const before = [];
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f.key === 'email') break;
    before.push(f.key);
  }
  assert.equal((await focused(page)).key, 'email', `Tab reaches #email (passed: ${before.join(', ')})`);
  t.diagnostic(`before the form: ${before.join(', ')}`);
  const order = [await focused(page)];
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Tab');
    order.push(await focused(page));
  }
  assert.deepEqual(order.map((f) => f.key), ['email', 'display_name', 'message', 'redirect_url', 'send_email', 'Invite']);
  assert.deepEqual(order.slice(4).map((f) => [f.tag, f.type]), [['input', 'checkbox'], ['button', 'submit']]);
  const unmarked = order.filter((f) => !f.outline).map((f) => f.key);
  assert.deepEqual(unmarked, [], 'every field shows a focus outline');

  // Shift+Tab goes back to the checkbox; Space unticks it.
  await page.keyboard.press('Shift+Tab');
  assert.equal((await focused(page)).key, 'send_email');
  await page.keyboard.press('Space');
  assert.equal(await page.isChecked('input[name=send_email]'), false);
  // Every field has a label.
  const unlabelled = await page.$$eval('form input:not([type=hidden]), form textarea',
    (els) => els.filter((el) => el.labels.length === 0).map((el) => el.id || el.name));
  assert.deepEqual(unlabelled, []);
});
