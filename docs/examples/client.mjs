// The client: errors are values, the promise never rejects.
import assert from 'node:assert/strict';
import { runServer } from '@http-kit/http1';
import { get, post, createClient } from '@http-kit/client';

const server = await runServer(
  async (req) => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: req.requestMethod, query: req.queryString, body: req.body ? await req.body.text() : null }),
  }),
  { ip: '127.0.0.1', port: 0 },
);
const base = `http://127.0.0.1:${server.port}`;

// GET with query parameters and a timeout (ms).
const res = await get(`${base}/items`, { queryParams: { page: 2 }, timeout: 2000 });
assert.equal(res.status, 200);
assert.deepEqual(JSON.parse(res.body), { method: 'get', query: 'page=2', body: null });

// POST a form, with a callback: the promise resolves to what the callback returns.
const sent = await post(`${base}/form`, { formParams: { name: 'x' } }, ({ body }) => JSON.parse(body).body);
assert.equal(sent, 'name=x');

// A failure is a value with a stable code: nothing listens on port 1.
const failed = await get('http://127.0.0.1:1/', { timeout: 2000 });
assert.equal(failed.error.code, 'HTTPKIT_CONNECT_FAILED');

// A client of your own: its own keep-alive pool and defaults.
const client = createClient({ maxConnectionsPerHost: 4, timeout: 5000 });
assert.equal((await client.get(`${base}/`)).status, 200);
client.close();

await server.stop({ timeout: 1000 });
