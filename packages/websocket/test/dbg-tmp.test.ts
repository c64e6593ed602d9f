import { it } from 'vitest';
import WebSocket from 'ws';
import '@http-kit/websocket';
import { asChannel, runServer } from '@http-kit/http1';
it('dbg', async () => {
  const server = await runServer((req) => asChannel(req, { onReceive: (ch, m) => { console.log('server got', String(m).length); console.log('send ok', ch.send(m)); } }), { port: 0, ip: '127.0.0.1', perMessageDeflate: { threshold: 16 }, errorLogger: (m, e) => console.log('ERR', m, e), warnLogger: (m) => console.log('WARN', m) });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: true });
  ws.on('upgrade', (res) => console.log('ext', res.headers['sec-websocket-extensions']));
  await new Promise((r) => ws.once('open', r));
  ws.on('message', (d) => console.log('client got', d.length));
  ws.on('error', (e) => console.log('client error', e.message));
  ws.on('close', (c) => console.log('client close', c));
  ws.send('compress me '.repeat(1000));
  await new Promise((r) => setTimeout(r, 500));
  await server.stop({ timeout: 100 });
});
