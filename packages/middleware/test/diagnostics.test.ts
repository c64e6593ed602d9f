/**
 * The server's diagnostics_channel events and counters, seen from outside as a metrics library
 * would: request start, response finish (with status), handler error, upgrade, WebSocket close;
 * connections, requests in flight, parked channels, WebSockets, bytes in and out.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { asChannel, DiagnosticsChannels, serverCounters, type Channel, type Request } from '@http-kit/http1';
import { connect } from '@http-kit/websocket';
import { get } from '@http-kit/client';
import { eventually, useServers } from '@http-kit/test-support';

const servers = useServers();
const events: string[] = [];
const listeners = Object.values(DiagnosticsChannels).map((name) => {
  const listener = (message: unknown) => {
    const m = message as { request: Request | null; status?: number; reason?: string; code?: number; error?: Error };
    const what = m.request === null ? '?' : m.request.uri;
    events.push(
      `${name.split(':').slice(-2).join(':')} ${what}${m.status !== undefined ? ` ${m.status}` : ''}${m.reason !== undefined ? ` ${m.reason}` : ''}${m.code !== undefined ? ` ${m.code}` : ''}${m.error !== undefined ? ` ${m.error.message}` : ''}`,
    );
  };
  diagnostics_channel.subscribe(name, listener);
  return { name, listener };
});
afterEach(() => {
  events.length = 0;
});
// Left subscribed for the file: the process ends with it.
void listeners;

describe('diagnostics_channel events', () => {
  it('publishes start and finish (with the status), errors, upgrades and WebSocket closes', async () => {
    const { port } = await servers.start((req) => {
      if (req.websocket) return asChannel(req, {});
      if (req.uri === '/boom') throw new Error('boom');
      return req.uri === '/missing' ? null : 'ok';
    });
    await get(`http://127.0.0.1:${port}/a`);
    await get(`http://127.0.0.1:${port}/missing`);
    await get(`http://127.0.0.1:${port}/boom`);
    const ws = await connect(`ws://127.0.0.1:${port}/ws`, {});
    ws.channel!.close(1000);
    await eventually(() => events.some((e) => e.startsWith('websocket:close')));
    expect(events).toEqual([
      'request:start /a',
      'response:finish /a 200 server-closed',
      'request:start /missing',
      'response:finish /missing 404 server-closed',
      'request:start /boom',
      'server:error /boom boom',
      'response:finish /boom 500 server-closed',
      'request:start /ws',
      'server:upgrade /ws',
      'websocket:close /ws client-closed 1000',
    ]);
  });
});

describe('serverCounters', () => {
  it('counts connections, requests in flight, parked channels, WebSockets and bytes', async () => {
    const parked: Channel[] = [];
    const { server, port } = await servers.start((req) => {
      if (req.websocket) return asChannel(req, {});
      if (req.uri === '/park') return asChannel(req, { onOpen: (ch) => parked.push(ch) });
      return 'x'.repeat(1000);
    });
    expect(serverCounters(server)).toEqual({
      connections: 0,
      requestsInFlight: 0,
      parkedChannels: 0,
      webSockets: 0,
      bytesIn: 0,
      bytesOut: 0,
    });
    await get(`http://127.0.0.1:${port}/`);
    const poll = get(`http://127.0.0.1:${port}/park`);
    const ws = await connect(`ws://127.0.0.1:${port}/ws`, {});
    await eventually(() => parked.length === 1);
    const during = serverCounters(server);
    expect(during).toMatchObject({ requestsInFlight: 1, parkedChannels: 1, webSockets: 1 });
    expect(during.connections).toBeGreaterThanOrEqual(2);
    expect(during.bytesOut).toBeGreaterThan(1000);
    expect(during.bytesIn).toBeGreaterThan(100);
    parked[0].send('done');
    await poll;
    ws.channel!.close(1000);
    await eventually(() => serverCounters(server).webSockets === 0);
    expect(serverCounters(server)).toMatchObject({ requestsInFlight: 0, parkedChannels: 0 });
    expect(() => serverCounters({})).toThrow(/serverCounters: .* is not a server runServer resolved to/);
  });
});
