/**
 * Test helpers shared by the packages, imported as '@http-kit/test-support' (an alias in
 * vitest.config.ts and a path in tsconfig.json). One module a job:
 *
 * - wait.ts: sleep, tick, eventually, within (every wait bounded, named in its timeout error)
 * - listen.ts: TestServer on 127.0.0.1:0, closeAfterEach, freePort
 * - raw-client.ts: RawClient (bytes in, parsed responses out), exchange, requestOnce, parseResponses, tryConnect
 * - raw-server.ts: rawServer, cannedServer (servers that misbehave on purpose)
 * - http-servers.ts: useServers (ours, stopped after each test), httpServer, httpsServer (Node's), readBody
 * - certificates.ts: selfSigned, testPki (openssl, cached per process)
 * - peers.ts: peer (is curl, nc, wrk, nginx, chromium, openssl installed?), curl
 * - fuzz.ts: Rng, seedFor, trapProcessErrors, printableBytes, the statuses a fuzzed server may send
 * - heap.ts: fullGc
 * - nginx.ts, haproxy.ts, redis.ts: a private nginx, haproxy, redis-server (redis can be killed and started again on one port)
 * - proxy.ts: a CONNECT tunnel and proxy
 *
 * Helpers use the packages' public entries only.
 */
export * from './wait.js';
export * from './listen.js';
export * from './raw-client.js';
export * from './raw-server.js';
export * from './http-servers.js';
export * from './certificates.js';
export * from './peers.js';
export * from './fuzz.js';
export * from './heap.js';
export * from './nginx.js';
export * from './haproxy.js';
export * from './proxy.js';
export * from './redis.js';
