// The ws package's client with permessage-deflate offered, as the command of
// `http-kit-conformance websocket-client`: connects to $CONFORMANCE_URL and echoes every message.
// Usage: node ws-deflate-echo-client.mjs ['{"clientNoContextTakeover":true}'] (ws's perMessageDeflate
// options as JSON; default true, which offers "permessage-deflate; client_max_window_bits").
import WebSocket from 'ws';

const ws = new WebSocket(process.env.CONFORMANCE_URL, { perMessageDeflate: JSON.parse(process.argv[2] ?? 'true') });
ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
ws.on('error', () => {});
ws.on('close', () => process.exit(0));
