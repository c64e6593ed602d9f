// WebSocket clients in a child process (the `ws` package, so both servers face the same client).
//
//   node bench/lib/ws-clients-child.mjs <port> echo <connections> <bytes> <seconds>
//     each connection sends a message and waits for its echo, again and again: {type:'echo', messages}
//   node bench/lib/ws-clients-child.mjs <port> idle <connections>
//     opens them ({type:'ready', open}), then waits; on {type:'expect'} from the parent it reports
//     {type:'received'} once every connection has got one message
import WebSocket from 'ws';

const [port, mode, connections, bytes, seconds] = process.argv.slice(2).map((v, i) => (i === 1 ? v : Number(v)));
setTimeout(() => process.exit(3), 600_000).unref();
process.on('disconnect', () => process.exit(0));
const url = `ws://127.0.0.1:${port}/`;

function openOne() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function openMany(n) {
  const sockets = [];
  for (let i = 0; i < n; i += 500) sockets.push(...(await Promise.all(Array.from({ length: Math.min(500, n - i) }, openOne))));
  return sockets;
}

if (mode === 'echo') {
  const sockets = await openMany(connections);
  const payload = Buffer.alloc(bytes, 'e');
  let messages = 0;
  let running = true;
  for (const ws of sockets) {
    ws.on('message', () => {
      messages++;
      if (running) ws.send(payload);
    });
  }
  // Warm up for half a second, then count.
  for (const ws of sockets) ws.send(payload);
  await new Promise((resolve) => setTimeout(resolve, 500));
  messages = 0;
  process.send({ type: 'started' });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  process.send({ type: 'echo', messages });
} else {
  const sockets = await openMany(connections);
  process.send({ type: 'ready', open: sockets.length });
  process.on('message', (message) => {
    if (message.type !== 'expect') return;
    let left = sockets.length;
    for (const ws of sockets)
      ws.once('message', () => {
        if (--left === 0) process.send({ type: 'received' });
      });
    process.send({ type: 'expecting' });
  });
}
