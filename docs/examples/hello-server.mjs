// A server that answers every request, and a client call to check it.
import assert from 'node:assert/strict';
import { runServer } from '@http-kit/http1';
import { get } from '@http-kit/client';

// A handler takes the request map and returns the response: { status, headers, body }.
function handler(req) {
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: `hello from ${req.uri}` };
}

const server = await runServer(handler, { ip: '127.0.0.1', port: 0 }); // port 0: any free port
const { status, body } = await get(`http://127.0.0.1:${server.port}/there`);
assert.equal(status, 200);
assert.equal(body, 'hello from /there');

await server.stop({ timeout: 1000 });
