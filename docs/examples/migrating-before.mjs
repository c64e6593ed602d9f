// Before: node:http for the server, ws for WebSocket, undici for requests.
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { request } from 'undici';

const waiting = new Set(); // long polls: parked `res` objects

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/hello') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`hello ${url.searchParams.get('name')}`);
  } else if (url.pathname === '/echo' && req.method === 'POST') {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(Buffer.concat(chunks));
  } else if (url.pathname === '/wait') {
    waiting.add(res);
    res.on('close', () => waiting.delete(res));
  } else {
    res.writeHead(404).end();
  }
});
const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(isBinary ? data : `echo: ${data}`)));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

// Requests: undici throws on network errors, and the body must be read or dumped.
const hello = await request(`${base}/hello?name=ada`);
assert.equal(await hello.body.text(), 'hello ada');
const echoed = await request(`${base}/echo`, { method: 'POST', body: JSON.stringify({ a: 1 }) });
assert.deepEqual(await echoed.body.json(), { a: 1 });
const poll = request(`${base}/wait`);
while (waiting.size < 1) await new Promise((resolve) => setTimeout(resolve, 10));
for (const res of waiting) res.writeHead(200, { 'content-type': 'text/plain' }).end('news');
assert.equal(await (await poll).body.text(), 'news');
await assert.rejects(request('http://127.0.0.1:1/'), { code: 'ECONNREFUSED' });

// A WebSocket client.
const socket = new WebSocket(`ws://127.0.0.1:${server.address().port}/ws`);
await new Promise((resolve) => socket.once('open', resolve));
socket.send('hi');
const [reply] = await new Promise((resolve) => socket.once('message', (...args) => resolve(args)));
assert.equal(String(reply), 'echo: hi');
socket.close();

wss.close();
server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
