/**
 * A WebSocket upgrade to a handler that calls asChannel while @http-kit/websocket was never
 * imported: refused 501 with an errorLogger line naming the import, never parked as a long poll
 * (the browser would wait, nothing would be logged). A real `ws` client sees the 501.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { asChannel } from '@http-kit/http1';
import { useServers, within } from '@http-kit/test-support';

const servers = useServers();
// The registry @http-kit/websocket fills when imported: emptied here, whatever else this process loaded.
const kAcceptor = Symbol.for('http-kit.websocket-acceptor');
const registry = globalThis as unknown as Record<symbol, unknown>;
let saved: unknown;
beforeEach(() => {
  saved = registry[kAcceptor];
  delete registry[kAcceptor];
});
afterEach(() => {
  if (saved !== undefined) registry[kAcceptor] = saved;
});

/** A `ws` client's upgrade to `url`, which must not open: the status and body it was answered with. */
function refusal(url: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url);
  return within(
    3_000,
    'the upgrade to be answered',
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => reject(new Error('the WebSocket opened')));
      ws.on('error', () => {});
    }),
  );
}

describe('WebSocket without @http-kit/websocket imported', () => {
  it('is refused 501, and errorLogger names the import', async () => {
    let opened = false;
    const { port, errors, server } = await servers.start((req) =>
      asChannel(req, {
        onOpen: () => {
          opened = true;
        },
      }),
    );
    const answer = await refusal(`ws://127.0.0.1:${port}/chat`);
    expect(answer.status).toBe(501);
    expect(answer.body).toContain('@http-kit/websocket');
    expect(opened).toBe(false);
    expect(server.pendingCount).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toContain('/chat is a WebSocket request but @http-kit/websocket was never imported');
    expect(errors[0].message).toContain("import '@http-kit/websocket';");
  });

  it('tells errorLogger once per server, however many connections ask; each is still refused 501', async () => {
    const { port, errors } = await servers.start((req) => asChannel(req));
    for (const path of ['/a', '/b', '/c']) expect((await refusal(`ws://127.0.0.1:${port}${path}`)).status).toBe(501);
    expect(errors).toHaveLength(1);
    // Another server is told for itself.
    const other = await servers.start((req) => asChannel(req));
    expect((await refusal(`ws://127.0.0.1:${other.port}/d`)).status).toBe(501);
    expect(other.errors).toHaveLength(1);
  });
});
