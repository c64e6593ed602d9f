// A WebSocket echo server, and a client that talks to it.
import assert from 'node:assert/strict';
import { runServer, asChannel } from '@http-kit/http1';
import { connect } from '@http-kit/websocket'; // importing it lets asChannel accept WebSocket upgrades

const closed = []; // why each server-side channel ended

function handler(req) {
  if (!req.websocket) return { status: 426, headers: { upgrade: 'websocket' }, body: 'WebSocket only' };
  return asChannel(req, {
    onOpen: (channel) => channel.send('welcome'),
    onReceive: (channel, message) => channel.send(`echo: ${message}`), // string (text) or Buffer (binary)
    onClose: (channel, reason, { code }) => closed.push(`${reason} ${code}`), // who closed, and the close code
  });
}

const server = await runServer(handler, { ip: '127.0.0.1', port: 0 });

const received = [];
const { channel, error } = await connect(`ws://127.0.0.1:${server.port}/`, {
  onReceive: (ch, message) => received.push(message),
});
assert.equal(error, undefined);
channel.send('hi');
while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
assert.deepEqual(received, ['welcome', 'echo: hi']);

channel.close(1000, 'bye');
while (closed.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
assert.deepEqual(closed, ['client-closed 1000']);
await server.stop({ timeout: 1000 });
