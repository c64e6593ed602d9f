// The ws package's WebSocketServer as an echo server with permessage-deflate on, for
// `http-kit-conformance websocket-server` (README results). Usage: node ws-echo.mjs 9101
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] ?? 9101), perMessageDeflate: true });
wss.on('connection', (ws) => {
  // ws reports a peer's protocol errors as 'error' events (then closes): a listener is required.
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`ws echo on ${wss.address().port}`));
