// Bun.serve as a WebSocket echo server (permessage-deflate on) and an HTTP echo server (h1spec's
// convention) on one port, for http-kit-conformance (README results).
// Usage: bun bun-echo.js 9105   (bun from `npm i --prefix /tmp/peers bun`)
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.argv[2] ?? 9105),
  async fetch(req, srv) {
    if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      if (srv.upgrade(req)) return undefined;
      // Bun leaves a failed upgrade to the program: a WebSocket endpoint refuses it.
      return new Response('not a valid WebSocket handshake', { status: 400 });
    }
    return new Response(await req.arrayBuffer());
  },
  websocket: {
    perMessageDeflate: true,
    message(ws, message) {
      ws.send(message);
    },
  },
});
console.log(`bun echo on ${server.port}`);
