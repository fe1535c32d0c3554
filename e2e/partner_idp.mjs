// A partner's OpenID Connect provider for the federation suite: node-oidc-provider 9 (a certified
// OP) with its development login and consent pages. Any password is accepted; the login typed is
// the account (and its `sub`).
//
//   PORT=0 CLIENTS='[...]' ACCOUNTS='{...}' node partner_idp.mjs
//
// Environment:
// - PORT: the port on 127.0.0.1 (default 0: any free one). Only 127.0.0.1 is bound.
// - ISSUER: the issuer (default http://127.0.0.1:PORT, with the port actually bound).
// - CLIENTS: JSON array of {client_id, client_secret, redirect_uris}; each is a confidential web
//   client of the code flow (PKCE required) authenticating at the token endpoint with
//   TOKEN_AUTH (default client_secret_basic; the only method the discovery document offers).
// - ACCOUNTS: JSON object login -> {email, email_verified, name}; a login not listed is an account
//   with only a `sub`.
// - EXIT_ON_STDIN_EOF=1: exit when standard input closes (the test that started it has gone).
//
// Scopes: openid -> sub; email -> email, email_verified; profile -> name. The claims of the granted
// scopes are in the id_token itself (conformIdTokenClaims off), as Google and Entra send them.
//
// Output, one line each: "listening on <issuer>" when ready; "auth {json}" for each
// authorization request (its parameters: no secrets travel there); "token {json}" for each token
// request (the client authentication scheme used, never the credentials); "request METHOD path
// status"; "error ..." for each error event of the provider.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const json = (name, fallback) => {
  const raw = process.env[name];
  if (!raw) return fallback;
  try {
    return JSON.parse(raw);
  } catch (e) {
    console.error(`partner_idp: ${name} is not JSON: ${e.message}`);
    process.exit(2);
  }
};
const TOKEN_AUTH = process.env.TOKEN_AUTH || 'client_secret_basic';
const CLIENTS = json('CLIENTS', []);
const ACCOUNTS = json('ACCOUNTS', {});
const log = (line) => process.stdout.write(`${line}\n`);

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject).listen(Number(process.env.PORT || 0), '127.0.0.1', resolve);
});
const ISSUER = process.env.ISSUER || `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `partner-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' };

const provider = new Provider(ISSUER, {
  clients: CLIENTS.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: TOKEN_AUTH,
    id_token_signed_response_alg: 'RS256',
    ...c,
  })),
  clientAuthMethods: [TOKEN_AUTH],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  responseTypes: ['code'],
  scopes: ['openid', 'email', 'profile'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false,
  ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
  async findAccount(ctx, sub) {
    const account = Object.hasOwn(ACCOUNTS, sub) ? ACCOUNTS[sub] : {};
    return {
      accountId: sub,
      async claims() {
        const claims = { sub };
        for (const name of ['email', 'email_verified', 'name']) {
          if (account[name] !== undefined) claims[name] = account[name];
        }
        return claims;
      },
    };
  },
});

for (const event of ['server_error', 'authorization.error', 'grant.error', 'interaction.error', 'userinfo.error']) {
  provider.on(event, (ctx, err) => log(`error ${event}: ${err?.name ?? ''} ${err?.message ?? err}${err?.error_description ? ` (${err.error_description})` : ''}`));
}

const handle = provider.callback();
server.on('request', (req, res) => {
  const url = new URL(req.url, ISSUER);
  if (url.pathname === '/auth') {
    log(`auth ${JSON.stringify(Object.fromEntries(url.searchParams))}`);
  } else if (url.pathname === '/token' && req.method === 'POST') {
    const scheme = (req.headers.authorization || '').split(' ')[0].toLowerCase();
    log(`token ${JSON.stringify({ authorization: scheme || null, content_type: req.headers['content-type'] ?? null })}`);
  }
  res.on('finish', () => log(`request ${req.method} ${url.pathname} ${res.statusCode}`));
  handle(req, res);
});

if (process.env.EXIT_ON_STDIN_EOF === '1') {
  process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();
}
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.exit(0));

log(`listening on ${ISSUER}`);
