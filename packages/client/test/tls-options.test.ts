import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse, type TlsOptions } from '@http-kit/client';
import { httpsServer, testPki, type TestServer } from '@http-kit/test-support';

const pki = testPki();
const otherPki = pki === null ? null : testPki('other');
let server: TestServer;
let port = 0;
let connections = 0;

interface Seen {
  servername: string | false;
  authorized: boolean;
  peer: string;
  protocol: string | null;
}

describe.skipIf(pki === null || otherPki === null)('tls options', () => {
  beforeAll(async () => {
    const secure = await httpsServer(
      {
        key: pki!.serverKey,
        cert: pki!.serverCert,
        // Asks for a client certificate but serves clients without one (the handler reports which).
        ca: pki!.ca,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const socket = req.socket as TLSSocket & { servername: string | false };
        const seen: Seen = {
          servername: socket.servername,
          authorized: socket.authorized,
          peer: socket.getPeerCertificate().subject?.CN ?? '',
          protocol: socket.getProtocol(),
        };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(seen));
      },
    );
    secure.server.on('secureConnection', () => connections++);
    server = secure;
    port = secure.port;
  });
  afterAll(async () => {
    await server.close();
  });

  const seen = (res: unknown): Seen => {
    const response = res as HttpResponse;
    expect(response.error).toBeUndefined();
    expect(response.status).toBe(200);
    return JSON.parse(response.body as string) as Seen;
  };

  it('rejects a certificate from a CA it does not know with HTTPKIT_TLS', async () => {
    const client = createClient();
    const res = await client.get(`https://localhost:${port}/`);
    expect(res.error?.code).toBe('HTTPKIT_TLS');
    // The server sends its chain with the CA in it (its `ca` option), so Node names the root it does not trust.
    expect((res.error as { reason?: string }).reason).toMatch(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    client.close();
  });

  it('verifies the certificate against tls.ca set on the client, and keeps the connection alive', async () => {
    const client = createClient({ tls: { ca: pki!.ca } });
    const before = connections;
    for (let i = 0; i < 3; i++) expect(seen(await client.get(`https://localhost:${port}/${i}`)).servername).toBe('localhost');
    expect(connections - before).toBe(1);
    client.close();
  });

  it('does not hand a connection opened with one set of tls options to a request with another', async () => {
    const client = createClient();
    const trusted: TlsOptions = { ca: pki!.ca };
    seen(await client.get(`https://localhost:${port}/`, { tls: trusted }));
    expect(client.connections).toBe(1);
    // Same origin, a verified connection idle in the pool: none of these may use it.
    const without = await client.get(`https://localhost:${port}/`);
    expect(without.error?.code).toBe('HTTPKIT_TLS');
    const otherCa = await client.get(`https://localhost:${port}/`, { tls: { ca: otherPki!.ca } });
    expect(otherCa.error?.code).toBe('HTTPKIT_TLS');
    // The same object again reuses it.
    const before = connections;
    seen(await client.get(`https://localhost:${port}/`, { tls: trusted }));
    expect(connections).toBe(before);
    // An equal but distinct object gets a connection of its own (options are compared by identity).
    seen(await client.get(`https://localhost:${port}/`, { tls: { ca: pki!.ca } }));
    expect(connections).toBe(before + 1);
    client.close();
  });

  it('tls.servername overrides the name sent (SNI) and checked against the certificate', async () => {
    const client = createClient();
    // The certificate names localhost only, not 127.0.0.1.
    const byAddress = await client.get(`https://127.0.0.1:${port}/`, { tls: { ca: pki!.ca } });
    expect(byAddress.error?.code).toBe('HTTPKIT_TLS');
    expect((byAddress.error as { reason?: string }).reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const named = seen(await client.get(`https://127.0.0.1:${port}/`, { tls: { ca: pki!.ca, servername: 'localhost' } }));
    expect(named.servername).toBe('localhost');
    client.close();
  });

  it('sends a client certificate (tls.cert, tls.key) when the server asks for one', async () => {
    const client = createClient();
    const anonymous = seen(await client.get(`https://localhost:${port}/`, { tls: { ca: pki!.ca } }));
    expect(anonymous.authorized).toBe(false);
    const identified = seen(
      await client.get(`https://localhost:${port}/`, { tls: { ca: pki!.ca, cert: pki!.clientCert, key: pki!.clientKey } }),
    );
    expect(identified.authorized).toBe(true);
    expect(identified.peer).toBe('http-kit test client');
    client.close();
  });

  it('passes protocol versions through (maxVersion, minVersion)', async () => {
    const client = createClient();
    expect(seen(await client.get(`https://localhost:${port}/`, { tls: { ca: pki!.ca, maxVersion: 'TLSv1.2' } })).protocol).toBe('TLSv1.2');
    expect(seen(await client.get(`https://localhost:${port}/`, { tls: { ca: pki!.ca, minVersion: 'TLSv1.3' } })).protocol).toBe('TLSv1.3');
    client.close();
  });

  it('insecure still skips verification, with or without tls options', async () => {
    const client = createClient();
    seen(await client.get(`https://localhost:${port}/`, { insecure: true }));
    seen(await client.get(`https://localhost:${port}/`, { insecure: true, tls: { ca: otherPki!.ca } }));
    client.close();
  });

  it('refuses tls options that are not an object with HTTPKIT_INVALID_REQUEST', async () => {
    const client = createClient();
    const res = await client.get(`https://localhost:${port}/`, { tls: 'ca.pem' as unknown as TlsOptions });
    expect(res.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
    client.close();
  });
});
