// A second protocol plugged into the socket loop: a handler answers an upgrade request with 101
// and hands the connection to a line-echo protocol. Checked over real sockets: bytes sent with
// the request reach the new protocol, the loop's timer, backpressure, stop() and close reach it.
import { describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { ChannelMisuseError, switchProtocol, type CloseReason, type Protocol, type ProtocolHost, type Request } from '@http-kit/http1';
import { eventually, sleep, useServers } from '@http-kit/test-support';

const servers = useServers({ stopTimeout: 1_000 });

/** Echoes each line back upper-cased; "quit" closes. */
class ShoutProtocol implements Protocol {
  closed: CloseReason | null = null;
  timeouts = 0;
  stopped = false;
  private line = '';

  constructor(
    private readonly host: ProtocolHost,
    private readonly idleMs = 0,
  ) {
    if (idleMs > 0) host.armTimer(idleMs);
  }

  onData(chunk: Buffer): number {
    this.line += chunk.latin1Slice();
    let nl: number;
    while ((nl = this.line.indexOf('\n')) !== -1) {
      const text = this.line.slice(0, nl);
      this.line = this.line.slice(nl + 1);
      if (text === 'quit') {
        this.host.end();
        return chunk.length;
      }
      this.host.write(text.toUpperCase() + '\n');
    }
    if (this.idleMs > 0) this.host.armTimer(this.idleMs);
    return chunk.length;
  }
  onEnd(): void {
    this.host.end();
  }
  onDrain(): void {}
  onTimeout(): void {
    this.timeouts++;
    this.host.write('IDLE\n');
    this.host.end('timeout');
  }
  onShutdown(): void {
    this.stopped = true;
    this.host.write('BYE\n');
    this.host.end();
  }
  onClose(reason: CloseReason): void {
    this.closed = reason;
  }
}

const UPGRADE = 'GET /shout HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: shout\r\n\r\n';

async function open(port: number, first: string): Promise<{ socket: Socket; text: () => string; ended: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.latin1Slice()));
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(first);
  return { socket, text: () => received, ended };
}

describe('switchProtocol: a second protocol on the same socket loop', () => {
  it('answers 101 with Connection: Upgrade and hands over the bytes sent behind the request', async () => {
    const protocols: ShoutProtocol[] = [];
    const { port } = await servers.start((req: Request) =>
      switchProtocol(req, { upgrade: 'shout' }, (host) => {
        const p = new ShoutProtocol(host);
        protocols.push(p);
        return p;
      }),
    );
    // The first line travels in the same packet as the upgrade request.
    const peer = await open(port, UPGRADE + 'hello\nwor');
    await eventually(() => peer.text().includes('HELLO\n'), 2_000, 'the first echo');
    peer.socket.write('ld\n');
    await eventually(() => peer.text().includes('WORLD\n'), 2_000, 'the second echo');
    const head = peer.text().slice(0, peer.text().indexOf('\r\n\r\n'));
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
    expect(head).toMatch(/\r\nupgrade: shout/i);
    expect(head).toMatch(/\r\nConnection: Upgrade/);
    expect(head).not.toMatch(/content-length|transfer-encoding/i);
    peer.socket.write('quit\n');
    await peer.ended;
    await eventually(() => protocols[0].closed !== null, 2_000, 'onClose');
    expect(protocols[0].closed).toBe('server-closed');
  });

  it('a handler that switches later (after an await) still gets the bytes that waited', async () => {
    const { port } = await servers.start(async (req: Request) => {
      await sleep(50);
      return switchProtocol(req, { upgrade: 'shout' }, (host) => new ShoutProtocol(host));
    });
    const peer = await open(port, UPGRADE + 'early\n');
    await eventually(() => peer.text().includes('EARLY\n'), 2_000, 'the echo of bytes sent before the switch');
    peer.socket.destroy();
  });

  it('the new protocol gets the loop timer, and stop() reaches it', async () => {
    const protocols: ShoutProtocol[] = [];
    const { port, server } = await servers.start((req: Request) =>
      switchProtocol(req, { upgrade: 'shout' }, (host) => {
        const p = new ShoutProtocol(host, req.uri === '/idle' ? 150 : 0);
        protocols.push(p);
        return p;
      }),
    );
    const idle = await open(port, UPGRADE.replace('/shout', '/idle'));
    await idle.ended;
    expect(idle.text()).toMatch(/IDLE\n$/);
    await eventually(() => protocols[0]?.closed === 'timeout', 2_000, 'close after the timer');

    const busy = await open(port, UPGRADE + 'ping\n');
    await eventually(() => busy.text().includes('PING\n'), 2_000, 'echo');
    await server.stop({ timeout: 1_000 });
    await busy.ended;
    expect(protocols[1].stopped).toBe(true);
    expect(busy.text()).toMatch(/BYE\n$/);
    expect(server.connectionCount).toBe(0);
  });

  it('an upgrade request the handler does not switch is answered in HTTP and closed, as before', async () => {
    const { port } = await servers.start(() => ({ status: 200, body: 'plain' }));
    const peer = await open(port, UPGRADE + 'hello\n');
    await peer.ended;
    expect(peer.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(peer.text()).toMatch(/Connection: close/);
    expect(peer.text()).not.toContain('HELLO');
  });

  it('switching a request that asked for no upgrade is refused in words, and the client gets 500', async () => {
    const errors: unknown[] = [];
    const { port } = await servers.start(
      (req: Request) => {
        try {
          return switchProtocol(req, { upgrade: 'shout' }, (host) => new ShoutProtocol(host));
        } catch (error) {
          errors.push(error);
          throw error;
        }
      },
      { errorLogger: () => {} },
    );
    const peer = await open(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => peer.text().includes('\r\n\r\n'), 2_000, 'an answer');
    expect(peer.text()).toMatch(/^HTTP\/1\.1 500 /);
    expect(errors[0]).toBeInstanceOf(ChannelMisuseError);
    expect((errors[0] as ChannelMisuseError).code).toBe('HTTPKIT_CHANNEL_MISUSE');
    expect((errors[0] as Error).message).toMatch(/asked for no upgrade/);
    peer.socket.destroy();
  });
});
