// wss:// with the HTTP client's TLS: a `ws` server over node:https with a self-signed
// certificate (accepted with `insecure`, or trusted with `tls.ca`, refused otherwise with
// HTTPKIT_TLS), a private CA with `tls.servername` (sent as SNI), and a CONNECT tunnel through an
// http proxy.
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { connectProxy, eventually, listen, selfSigned, testPki, type TestServer } from '@http-kit/test-support';
import { connect, type ConnectOptions } from '../src/client/connect.js';

const certificate = selfSigned();
const pki = testPki();

const running: TestServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

/** A `ws` echo server over node:https; `servernames` collects the SNI name of each connection. */
async function secureEcho(options: https.ServerOptions): Promise<{ url: string; servernames: Array<string | false> }> {
  const server = https.createServer(options);
  const servernames: Array<string | false> = [];
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    servernames.push((req.socket as TLSSocket & { servername: string | false }).servername);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  const listening = await listen(server, 'https');
  running.push({
    ...listening,
    close: () => {
      for (const c of wss.clients) c.terminate();
      return listening.close();
    },
  });
  return { url: `wss://127.0.0.1:${listening.port}`, servernames };
}

/** Opens, sends one text message and returns its echo. */
async function echoOnce(url: string, options: ConnectOptions): Promise<string> {
  let received: string | null = null;
  const result = await connect(url, { ...options, onReceive: (_ch, message) => (received = String(message)) });
  if (result.error) throw result.error;
  result.channel.send('over TLS');
  await eventually(() => received !== null, 3_000, 'the echo');
  result.channel.close();
  return received!;
}

describe.skipIf(certificate === null)('wss:// with a self-signed certificate', () => {
  it('connects with insecure: true', async () => {
    const { url } = await secureEcho(certificate!);
    expect(await echoOnce(`${url}/`, { insecure: true })).toBe('over TLS');
  });

  it('connects when the certificate is trusted with tls.ca', async () => {
    const { url } = await secureEcho(certificate!);
    expect(await echoOnce(`${url}/`, { tls: { ca: certificate!.cert } })).toBe('over TLS');
  });

  it('refuses an untrusted certificate with HTTPKIT_TLS', async () => {
    const { url } = await secureEcho(certificate!);
    const result = await connect(`${url}/`);
    expect(result.error?.code).toBe('HTTPKIT_TLS');
    expect(result.channel).toBeUndefined();
  });

  it('goes through an http proxy with a CONNECT tunnel', async () => {
    const { url } = await secureEcho(certificate!);
    const listening = await connectProxy();
    running.push(listening);
    expect(await echoOnce(`${url}/`, { insecure: true, proxy: listening.url })).toBe('over TLS');
    expect(listening.tunnels).toEqual([url.slice('wss://'.length)]);
  });
});

describe.skipIf(pki === null)('wss:// with a private CA', () => {
  it('checks the name given as tls.servername, sent as SNI', async () => {
    const { url, servernames } = await secureEcho({ key: pki!.serverKey, cert: pki!.serverCert });
    expect(await echoOnce(`${url}/`, { tls: { ca: pki!.ca, servername: 'localhost' } })).toBe('over TLS');
    expect(servernames).toEqual(['localhost']);
    // The certificate names localhost only: by address it does not match.
    const mismatch = await connect(`${url}/`, { tls: { ca: pki!.ca } });
    expect(mismatch.error?.code).toBe('HTTPKIT_TLS');
  });
});
