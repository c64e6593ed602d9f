// The ws package's client as the command of `http-kit-conformance websocket-client`: connects to
// $CONFORMANCE_URL and echoes every message (Autobahn's client convention).
import WebSocket from 'ws';

const ws = new WebSocket(process.env.CONFORMANCE_URL, { perMessageDeflate: false });
ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
ws.on('error', () => {});
ws.on('close', () => process.exit(0));
