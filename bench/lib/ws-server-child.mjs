// A WebSocket echo server in a child process, driven over IPC by bench/ws-bench.mjs.
//
//   node bench/lib/ws-server-child.mjs <ours|ws>
//
//   ours  runServer + asChannel from the built @http-kit packages, broadcast() to every open channel
//   ws    the `ws` package's WebSocketServer on node:http, broadcast as its README shows: a loop of send()
//
// Messages: child -> parent {type:'listening', port}, {type:'stats', rss, heap, connections} (after
// full GCs with --expose-gc), {type:'cpu', micros}, {type:'broadcasted'}; parent -> child {type:'stats'},
// {type:'cpu'}, {type:'broadcast', size}, {type:'stop'}.
const kind = process.argv[2];
if (typeof process.send !== 'function') {
  console.error('ws-server-child: run me from bench/ws-bench.mjs (needs an IPC channel)');
  process.exit(2);
}
setTimeout(() => process.exit(3), 600_000).unref();
process.on('disconnect', () => process.exit(0));

let count = () => 0;
let broadcastAll = (_message) => {};

if (kind === 'ours') {
  await import('@http-kit/websocket');
  const { broadcast } = await import('@http-kit/websocket');
  const { runServer, asChannel } = await import('@http-kit/http1');
  const open = new Set();
  const server = await runServer(
    (req) =>
      asChannel(req, { onOpen: (ch) => open.add(ch), onReceive: (ch, m) => ch.send(m), onClose: (ch) => open.delete(ch), pingInterval: 0 }),
    { port: 0, ip: '127.0.0.1', backlog: 8192, keepAliveTimeout: 60_000 },
  );
  count = () => open.size;
  broadcastAll = (message) => broadcast(open, message);
  process.send({ type: 'listening', port: server.port });
} else {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', backlog: 8192, perMessageDeflate: false, clientTracking: true });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise((resolve) => wss.once('listening', resolve));
  count = () => wss.clients.size;
  broadcastAll = (message) => {
    for (const client of wss.clients) client.send(message);
  };
  process.send({ type: 'listening', port: wss.address().port });
}

let cpuBase = process.cpuUsage();
process.on('message', (message) => {
  switch (message.type) {
    case 'stats': {
      if (typeof globalThis.gc === 'function') for (let i = 0; i < 3; i++) globalThis.gc();
      const memory = process.memoryUsage();
      process.send({ type: 'stats', rss: memory.rss, heap: memory.heapUsed, connections: count() });
      return;
    }
    case 'cpu': {
      const used = process.cpuUsage(cpuBase);
      cpuBase = process.cpuUsage();
      process.send({ type: 'cpu', micros: used.user + used.system });
      return;
    }
    case 'broadcast':
      broadcastAll(Buffer.alloc(message.size, 'b').toString());
      process.send({ type: 'broadcasted' });
      return;
    case 'stop':
      process.exit(0);
  }
});
