// Source addresses: once a loopback target's ephemeral ports run out (a connect fails with
// EADDRNOTAVAIL), 'auto' dials from 127.0.0.2, then 127.0.0.3, ...; a non-loopback target or an
// explicit list is left alone. Running out of ~28,000 ports is too slow for a test, so the
// failure code is handed to the dialer as the run would, and the next real connect is checked.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Dialer, type SocketOwner } from '../src/dial.js';
import { resolveOptions } from '../src/options.js';
import { closeAfterEach, listen } from '@http-kit/test-support';

const servers = closeAfterEach();

/** Connects through `dialer` and resolves with the address the server saw. */
function remoteAddressOf(dialer: Dialer, server: net.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('connection', (socket) => {
      resolve(socket.remoteAddress as string);
      socket.destroy();
    });
    const owner: SocketOwner = { onConnect() {}, onData() {}, onSocketError: reject, onSocketClose() {}, onCloseTimeout() {} };
    const socket = dialer.dial(owner);
    socket.once('connect', () => socket.destroy());
  });
}

describe('Dialer', () => {
  it("'auto' moves to 127.0.0.2 and on after EADDRNOTAVAIL on a loopback target", async () => {
    const raw = net.createServer();
    const server = await listen(raw);
    servers.push(server);
    const dialer = new Dialer(resolveOptions({ url: `${server.url}/` }));
    expect(await remoteAddressOf(dialer, raw)).toBe('127.0.0.1');
    expect(dialer.exhausted('ECONNREFUSED')).toBe(false);
    expect(dialer.exhausted('EADDRNOTAVAIL')).toBe(true);
    expect(await remoteAddressOf(dialer, raw)).toBe('127.0.0.2');
    expect(dialer.exhausted('EADDRNOTAVAIL')).toBe(true);
    expect(await remoteAddressOf(dialer, raw)).toBe('127.0.0.3');
    expect([...dialer.used]).toEqual(['default', '127.0.0.2', '127.0.0.3']);
  });

  it('leaves a non-loopback target and an explicit list alone', () => {
    expect(new Dialer(resolveOptions({ url: 'http://10.1.2.3:80/' })).exhausted('EADDRNOTAVAIL')).toBe(false);
    expect(new Dialer(resolveOptions({ url: 'http://127.0.0.1:80/', localAddresses: ['127.0.0.5'] })).exhausted('EADDRNOTAVAIL')).toBe(
      false,
    );
  });
});
