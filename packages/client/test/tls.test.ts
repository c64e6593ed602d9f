import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { httpsServer, selfSigned, type TestServer } from '@http-kit/test-support';

const credentials = selfSigned();
const client = createClient();
let server: TestServer;
let port = 0;
let connections = 0;
const servernames: Array<string | false> = [];

describe.skipIf(credentials === null)('HTTPS', () => {
  beforeAll(async () => {
    const secure = await httpsServer({ ...credentials! }, (req, res) => {
      servernames.push((req.socket as TLSSocket & { servername: string | false }).servername);
      res.setHeader('content-type', 'text/plain');
      res.end(`secure ${req.url}`);
    });
    secure.server.on('secureConnection', () => connections++);
    server = secure;
    port = secure.port;
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  it('rejects a self-signed certificate by default with HTTPKIT_TLS', async () => {
    const res = await client.get(`https://127.0.0.1:${port}/`);
    expect(res.error?.code).toBe('HTTPKIT_TLS');
    expect(res.error?.message).toMatch(/self[- ]signed/i);
  });

  it('skips verification with insecure, and keeps the connection alive', async () => {
    const before = connections;
    for (let i = 0; i < 3; i++) {
      const res = (await client.get(`https://127.0.0.1:${port}/${i}`, { insecure: true })) as HttpResponse;
      expect(res.error).toBeUndefined();
      expect(res.body).toBe(`secure /${i}`);
    }
    expect(connections - before).toBe(1);
  });

  it('sends SNI for a host name (also when insecure), none for an IP address', async () => {
    servernames.length = 0;
    await client.get(`https://localhost:${port}/sni`, { insecure: true });
    await client.get(`https://127.0.0.1:${port}/ip`, { insecure: true });
    expect(servernames).toEqual(['localhost', false]);
  });
});
