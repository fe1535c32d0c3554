// The same-run peer for bench/startup.sh: node-oidc-provider (a certified OpenID provider)
// with one client, in-memory adapter, listening on loopback. Prints nothing; the bench polls it.
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 3000);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{ client_id: 'bench', client_secret: 'bench-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }],
});
provider.listen(port, '127.0.0.1');
