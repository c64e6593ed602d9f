// One hello-world server for bench/bun-bench.mjs, run by Bun:
//
//   bun bench/lib/bun-server.mjs <ours|bun|node-http>
//
//   ours       runServer from @http-kit/http1 (the built JS in packages/http1/dist)
//   bun        Bun.serve, Bun's own server (the bar to measure against)
//   node-http  node:http's createServer as Bun implements it
//
// Prints "listening <port>" once it listens; exits when stdin closes (the bench went away) or
// after 120 s.
const kind = process.argv[2];
const BODY = 'hello world';
const HEADERS = { 'content-type': 'text/plain' };

async function start() {
  if (kind === 'ours') {
    const { runServer } = await import('@http-kit/http1');
    const server = await runServer(() => ({ status: 200, headers: HEADERS, body: BODY }), { ip: '127.0.0.1', port: 0 });
    return server.port;
  }
  if (kind === 'bun') {
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(BODY, { headers: HEADERS }) });
    return server.port;
  }
  if (kind === 'node-http') {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => res.writeHead(200, HEADERS).end(BODY));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server.address().port;
  }
  throw new Error(`bun-server: unknown kind ${JSON.stringify(kind)}; the kinds are ours, bun, node-http`);
}

if (typeof Bun === 'undefined') {
  console.error('bun-server: run me with Bun (bench/bun-bench.mjs does)');
  process.exit(2);
}
const port = await start();
console.log(`listening ${port}`);
process.stdin.on('end', () => process.exit(0)).resume();
setTimeout(() => process.exit(3), 120_000).unref();
