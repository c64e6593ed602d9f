/**
 * runServer's own failures (issue 9): a listen that fails (EADDRINUSE, ENOTFOUND, EADDRNOTAVAIL)
 * rejects once with a ListenError naming the address, and logs nothing itself (it used to log
 * and then throw the same error again, uncaught); options it would misread are refused up front:
 * a port that is no port, an unknown option name (`prot`), TLS with no certificate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, type HttpServer, ListenError, runServer, type ServerOptions } from '@http-kit/http1';
import { listen, trapProcessErrors, sleep, exchange } from '@http-kit/test-support';
import net from 'node:net';

const processErrors = trapProcessErrors();
const started: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop({ timeout: 100 })));
});

/** runServer with loggers that record what they get. */
function run(options: ServerOptions) {
  const logged: string[] = [];
  const result = runServer(() => 'ok', {
    errorLogger: (message) => logged.push(message),
    warnLogger: (message) => logged.push(message),
    ...options,
  });
  result.then(
    (server) => started.push(server),
    () => {},
  );
  return { result, logged };
}

describe('listen failures', () => {
  it('EADDRINUSE: rejects once with a ListenError naming address and port; logs nothing; nothing uncaught', async () => {
    const occupant = await listen(net.createServer());
    try {
      const { result, logged } = run({ ip: '127.0.0.1', port: occupant.port });
      const error = await result.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ListenError);
      expect((error as ListenError).code).toBe('HTTPKIT_LISTEN');
      expect((error as ListenError).systemCode).toBe('EADDRINUSE');
      expect((error as Error).message).toBe(
        `runServer: cannot listen on 127.0.0.1:${occupant.port}: the address is already in use (another server on that port?) (EADDRINUSE)`,
      );
      expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
      await sleep(50);
      expect(logged).toEqual([]);
      expect(processErrors).toEqual({ uncaught: [], unhandled: [] });
      // The occupant still serves; a server on another port starts as usual.
      const { result: second } = run({ ip: '127.0.0.1', port: 0 });
      const server = await second;
      expect((await exchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).responses[0].status).toBe(200);
    } finally {
      await occupant.close();
    }
  });

  it('ENOTFOUND: a host name that does not resolve', async () => {
    const { result, logged } = run({ ip: 'no-such-host.invalid', port: 0 });
    const error = await result.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ListenError);
    expect((error as Error).message).toMatch(
      /^runServer: cannot listen on no-such-host\.invalid:0: the host name does not resolve \((ENOTFOUND|EAI_AGAIN)\)$/,
    );
    expect(logged).toEqual([]);
  });

  it("EADDRNOTAVAIL: an address that is not this machine's", async () => {
    const { result, logged } = run({ ip: '192.0.2.1', port: 0 }); // TEST-NET-1, assigned to no one
    const error = await result.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ListenError);
    expect((error as Error).message).toBe(
      "runServer: cannot listen on 192.0.2.1:0: the address is not one of this machine's (EADDRNOTAVAIL)",
    );
    expect(logged).toEqual([]);
  });
});

describe('options', () => {
  it('a bad WebSocket default is refused by runServer, not at the first upgrade', async () => {
    const bad: Array<[ServerOptions, string]> = [
      [{ maxMessageSize: -5 }, 'runServer: maxMessageSize must be a positive number, got -5'],
      [{ maxBufferedAmount: 0 }, 'runServer: maxBufferedAmount must be a positive number, got 0'],
      [{ maxFragments: 1.5 }, 'runServer: maxFragments must be a whole number of 1 or more, got 1.5'],
      [{ pingInterval: -1 }, 'runServer: pingInterval'],
      [{ pongTimeout: '5s' as never }, 'runServer: pongTimeout must be a positive number'],
      [{ closeTimeout: Number.NaN }, 'runServer: closeTimeout must be a positive number'],
      [{ perMessageDeflate: 'yes' as never }, 'runServer: perMessageDeflate must be true, false or an object'],
      [{ protocols: 'chat' as never }, 'runServer: protocols must be an array'],
      [{ origins: 'https://a.example' as never }, 'runServer: origins must be an array'],
    ];
    for (const [options, message] of bad) {
      await expect(
        runServer(() => 'x', { port: 0, ...options }),
        JSON.stringify(options),
      ).rejects.toThrow(message);
    }
  });

  it("port: '8080' (a string) is refused, naming it", async () => {
    await expect(runServer(() => 'x', { port: '8080' as never })).rejects.toThrow(InvalidArgumentError);
    await expect(runServer(() => 'x', { port: '8080' as never })).rejects.toThrow(
      'runServer: port must be an integer from 0 to 65535, got the string "8080"',
    );
    await expect(runServer(() => 'x', { port: 70000 })).rejects.toThrow('got 70000');
    await expect(runServer(() => 'x', { port: 80.5 })).rejects.toThrow('got 80.5');
  });

  it('an unknown option ({ prot: 8080 }) is refused with a did-you-mean and the list of the known ones', async () => {
    const error = await runServer(() => 'x', { prot: 8080 } as never).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    const message = (error as Error).message;
    expect(message).toMatch(/^runServer: unknown option "prot" \(did you mean "port"\?\); the options are ip, port, path, tls, /);
    // Its own options and the WebSocket defaults alike.
    for (const name of [
      'maxBody',
      'requestTimeout',
      'bodyTimeout',
      'serverHeader',
      'errorLogger',
      'maxMessageSize',
      'perMessageDeflate',
      'pingInterval',
      'closeTimeout',
      'origins',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('every WebSocket option is accepted by runServer', async () => {
    const server = await runServer(() => 'x', {
      port: 0,
      ip: '127.0.0.1',
      maxMessageSize: 1024,
      maxBufferedAmount: 1024,
      pingInterval: 0,
      pongTimeout: 100,
      perMessageDeflate: false,
      protocols: ['chat'],
      origins: ['http://a'],
      closeTimeout: 100,
      requestTimeout: 1000,
    });
    started.push(server);
    expect(server.port).toBeGreaterThan(0);
  });

  it('tls: {} (no key, no cert) is refused before anything listens', async () => {
    await expect(runServer(() => 'x', { port: 0, tls: {} })).rejects.toThrow(
      'runServer: tls needs a certificate: key and cert (PEM), or pfx',
    );
    await expect(runServer(() => 'x', { port: 0, tls: { key: 'k' } })).rejects.toThrow('(got a key without a cert)');
  });
});
