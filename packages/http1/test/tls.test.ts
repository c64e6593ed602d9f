/**
 * HTTPS: a self-signed key and certificate made with the openssl CLI at test time; curl -k and
 * node:https as peers; request.scheme is "https".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { connect as tlsConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServers, eventually } from './helpers/servers.js';

const servers = useServers();

function has(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    try {
      execFileSync(command, ['version'], { stdio: 'ignore', timeout: 5_000 });
      return true;
    } catch {
      return false;
    }
  }
}
const HAS_OPENSSL = has('openssl');
const HAS_CURL = has('curl');

let dir = '';
let tls: { key: Buffer; cert: Buffer } = { key: Buffer.alloc(0), cert: Buffer.alloc(0) };

beforeAll(() => {
  if (!HAS_OPENSSL) return;
  dir = mkdtempSync(join(tmpdir(), 'http1-tls-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '1', '-subj', '/CN=localhost'],
    { stdio: 'ignore', timeout: 15_000 },
  );
  tls = { key: readFileSync(join(dir, 'k')), cert: readFileSync(join(dir, 'c')) };
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function get(port: number, path: string, agent?: HttpsAgent, method = 'GET', body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
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

describe.skipIf(!HAS_OPENSSL)('TLS', () => {
  it('node:https (rejectUnauthorized false): scheme https and the answer', async () => {
    const { port } = await servers.start((req) => `${req.scheme} ${req.uri} ${req.protocol}`, { tls });
    const response = await get(port, '/secure');
    expect(response.status).toBe(200);
    expect(response.body).toBe('https /secure HTTP/1.1');
  });

  it('node:https keep-alive: two requests, one connection; a POST body', async () => {
    const { port, server } = await servers.start(async (req) => (req.body === null ? `get ${req.uri}` : `post ${await req.body.text()}`), { tls });
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
    const { port } = await servers.start((req) => ({ status: 200, headers: { 'x-scheme': req.scheme }, body: 'secure hello' }), { tls });
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('curl', ['-sS', '-k', '-i', '--max-time', '8', `https://127.0.0.1:${port}/`], { timeout: 10_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? 1 : 0, stdout, stderr }),
      );
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(result.stdout).toContain('x-scheme: https\r\n');
    expect(result.stdout.endsWith('secure hello')).toBe(true);
  });

  it('a plain-text client on the TLS port is dropped and the server keeps serving', async () => {
    const { port, server } = await servers.start(() => 'ok', { tls });
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
