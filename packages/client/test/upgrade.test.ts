/**
 * Upgrades: a `101 Switching Protocols` to a request that asked for one (an `Upgrade` header)
 * hands the socket over — detached from the client, out of the pool — with the bytes already
 * read past the 101 as `head`. A 101 nobody asked for never hands anything over.
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { closeAfterEach, listen, selfSigned, sleep, type TestServer } from '@http-kit/test-support';

const SWITCH = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n';
const UPGRADE = { Connection: 'Upgrade', Upgrade: 'echo' };

/**
 * A raw server: a request with an Upgrade header gets what `onUpgrade` writes (the socket then
 * echoes what it receives, upper-cased); any other request gets `200 ok`.
 */
async function upgradeServer(onUpgrade: (socket: net.Socket) => void, secure?: { key: Buffer; cert: Buffer }): Promise<TestServer> {
  const onSocket = (socket: net.Socket): void => {
    socket.on('error', () => {});
    let buffered = '';
    let upgraded = false;
    socket.on('data', (data) => {
      if (upgraded) {
        socket.write(data.toString('latin1').toUpperCase());
        return;
      }
      buffered += data.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      if (/\r\nupgrade:/i.test(head)) {
        upgraded = true;
        onUpgrade(socket);
      } else {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
  };
  const server = secure === undefined ? net.createServer(onSocket) : tls.createServer(secure, onSocket);
  return listen(server, secure === undefined ? 'http' : 'https');
}

/** The next `length` bytes the socket delivers (through a 'data' listener, as a new owner reads it). */
function readBytes(socket: net.Socket, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (data: Buffer): void => {
      text += data.toString('latin1');
      if (text.length < length) return;
      socket.off('data', onData);
      socket.off('error', reject);
      resolve(text);
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

const servers = closeAfterEach();
const sockets: net.Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

describe('upgrades', () => {
  it('hands the socket over with the bytes sent in the same write as the 101, and later bytes readable from it', async () => {
    const server = await upgradeServer((socket) => {
      socket.write(SWITCH + 'hello');
      setTimeout(() => socket.write('later'), 150);
    });
    servers.push(server);
    const client = createClient();
    // A short idleTimeout: the handed-over socket must outlive it (the client's timer is cancelled).
    const res = (await client.get(server.url + '/chat', { headers: UPGRADE, timeout: 50 })) as HttpResponse;
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(101);
    expect(res.headers.upgrade).toBe('echo');
    expect(res.url).toBe(server.url + '/chat');
    const { socket, head } = res.upgrade!;
    sockets.push(socket);
    expect(Buffer.isBuffer(head)).toBe(true);
    expect(head.toString()).toBe('hello');
    // Out of the pool, and none of the client's listeners left on it.
    expect(client.connections).toBe(0);
    // ('end' keeps the one listener Node's net.Socket puts on itself.)
    for (const event of ['data', 'error', 'close']) expect(socket.listenerCount(event), event).toBe(0);
    // Nor a way back to the connection: a socket the caller keeps must not keep it alive.
    const ours = Object.getOwnPropertySymbols(socket).filter((key) => key.description === 'http-kit.client-connection');
    expect(ours.map((key) => (socket as unknown as Record<symbol, unknown>)[key])).toEqual(ours.map(() => undefined));
    expect(socket.destroyed).toBe(false);
    // Bytes that arrive before the new owner listens wait in the socket.
    expect(await readBytes(socket, 5)).toBe('later');
    // Both ways: the server echoes upper-cased.
    socket.write('ping');
    expect(await readBytes(socket, 4)).toBe('PING');
    client.close();
  });

  it('frees the pool slot: a request waiting for it connects, and the upgraded socket is never reused', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await upgradeServer((socket) => {
      void held.then(() => socket.write(SWITCH));
    });
    servers.push(server);
    const client = createClient({ maxConnectionsPerHost: 1 });
    const upgrading = client.get(server.url, { headers: UPGRADE });
    await sleep(30);
    // The one slot is taken: this request waits for it.
    const waiting = client.get(server.url + '/after');
    await sleep(30);
    expect(server.connections).toBe(1);
    release();
    const res = (await upgrading) as HttpResponse;
    sockets.push(res.upgrade!.socket);
    expect(res.upgrade!.head.length).toBe(0);
    expect(((await waiting) as HttpResponse).body).toEqual(Buffer.from('ok'));
    expect(server.connections).toBe(2);
    expect(client.connections).toBe(1);
    // The upgraded socket still belongs to its new owner.
    res.upgrade!.socket.write('abc');
    expect(await readBytes(res.upgrade!.socket, 3)).toBe('ABC');
    client.close();
  });

  it('gives an empty head when the 101 ends a read, then the bytes come from the socket', async () => {
    const server = await upgradeServer((socket) => {
      socket.write(SWITCH.slice(0, 20));
      setTimeout(() => socket.write(SWITCH.slice(20)), 20);
      setTimeout(() => socket.write('next'), 80);
    });
    servers.push(server);
    const client = createClient();
    const res = (await client.get(server.url, { headers: UPGRADE })) as HttpResponse;
    sockets.push(res.upgrade!.socket);
    expect(res.upgrade!.head).toEqual(Buffer.alloc(0));
    expect(await readBytes(res.upgrade!.socket, 4)).toBe('next');
    client.close();
  });

  it('hands over a callback the same result', async () => {
    const server = await upgradeServer((socket) => socket.write(SWITCH + 'x'));
    servers.push(server);
    const client = createClient();
    const head = await client.get(server.url, { headers: UPGRADE }, (res) => {
      sockets.push(res.upgrade!.socket);
      return res.upgrade!.head.toString();
    });
    expect(head).toBe('x');
    client.close();
  });

  it('never hands over the socket of a 101 to a request that did not ask for an upgrade', async () => {
    // This server answers 101 to anything.
    const rogue = await listen(
      net.createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => socket.write(SWITCH + 'not http'));
      }),
    );
    servers.push(rogue);
    const client = createClient();
    const res = (await client.get(`${rogue.url}/`)) as HttpResponse;
    // As before: the final response, with an empty body; its connection is closed, not handed over.
    expect(res.status).toBe(101);
    expect(res.upgrade).toBeUndefined();
    expect(res.body).toEqual(Buffer.alloc(0));
    expect(client.connections).toBe(0);
    client.close();
  });

  it('hands over a TLS socket', async () => {
    const pair = selfSigned();
    if (pair === null) return; // no openssl CLI here
    const server = await upgradeServer((socket) => socket.write(SWITCH + 'tls!'), pair);
    servers.push(server);
    const client = createClient({ tls: { ca: pair.cert } });
    const res = (await client.get(server.url.replace('127.0.0.1', 'localhost'), { headers: UPGRADE })) as HttpResponse;
    expect(res.error).toBeUndefined();
    const { socket, head } = res.upgrade!;
    sockets.push(socket);
    expect(socket).toBeInstanceOf(tls.TLSSocket);
    expect(head.toString()).toBe('tls!');
    expect(client.connections).toBe(0);
    socket.write('secure');
    expect(await readBytes(socket, 6)).toBe('SECURE');
    client.close();
  });
});
