/**
 * HTTPS: a self-signed key and certificate made with the openssl CLI at test time (selfSigned
 * from test/support/certificates.ts); curl -k and node:https as peers; request.scheme is "https".
 */
import { describe, expect, it } from 'vitest';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { connect as tlsConnect } from 'node:net';
import { curl, eventually, peer, selfSigned, useServers } from '@http-kit/test-support';

const servers = useServers();
const tls = selfSigned();
const HAS_CURL = peer('curl', "tls.test.ts 'curl -k'") !== null;

function get(
  port: number,
  path: string,
  agent?: HttpsAgent,
  method = 'GET',
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method, rejectUnauthorized: false, agent, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('https request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(tls === null)('TLS', () => {
  it('node:https (rejectUnauthorized false): scheme https and the answer', async () => {
    const { port } = await servers.start((req) => `${req.scheme} ${req.uri} ${req.protocol}`, { tls: tls! });
    const response = await get(port, '/secure');
    expect(response.status).toBe(200);
    expect(response.body).toBe('https /secure HTTP/1.1');
  });

  it('node:https keep-alive: two requests, one connection; a POST body', async () => {
    const { port, server } = await servers.start(async (req) => (req.body === null ? `get ${req.uri}` : `post ${await req.body.text()}`), {
      tls: tls!,
    });
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(port, '/1', agent);
      const second = await get(port, '/2', agent, 'POST', 'tls body');
      expect([first.body, second.body]).toEqual(['get /1', 'post tls body']);
      expect(server.connectionCount).toBe(1);
    } finally {
      agent.destroy();
    }
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
  });

  it.skipIf(!HAS_CURL)('curl -k', async () => {
    const { port } = await servers.start((req) => ({ status: 200, headers: { 'x-scheme': req.scheme }, body: 'secure hello' }), {
      tls: tls!,
    });
    const result = await curl(['-k', '-i', `https://127.0.0.1:${port}/`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(result.stdout).toContain('x-scheme: https\r\n');
    expect(result.stdout.endsWith('secure hello')).toBe(true);
  });

  it('a plain-text client on the TLS port is dropped and the server keeps serving', async () => {
    const { port, server } = await servers.start(() => 'ok', { tls: tls! });
    await new Promise<void>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port }, () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      socket.resume();
      setTimeout(() => socket.destroy(), 3_000);
    });
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
    const response = await get(port, '/');
    expect(response.body).toBe('ok');
  });
});
