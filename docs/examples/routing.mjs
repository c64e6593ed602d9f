// Routing with find-my-way (npm install find-my-way): routes to handlers, path parameters, 404 and 405.
import assert from 'node:assert/strict';
import FindMyWay from 'find-my-way';
import { runServer, asChannel } from '@http-kit/http1';
import { get, post } from '@http-kit/client';

const router = FindMyWay({ ignoreTrailingSlash: true });
const users = new Map([['1', { id: '1', name: 'ada' }]]);
const json = (status, value) => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

// Each route's handler gets the request and the path parameters, and answers as any handler does.
router.on('GET', '/users/:id', (req, params) =>
  users.has(params.id) ? json(200, users.get(params.id)) : json(404, { error: 'no such user' }),
);
router.on('POST', '/users', async (req) => {
  const user = { id: String(users.size + 1), ...JSON.parse(await req.body.text()) };
  users.set(user.id, user);
  return json(201, user);
});
// Channels route the same way: the route's handler returns what asChannel returns.
router.on('GET', '/stream/:count', (req, params) =>
  asChannel(req, {
    onOpen(channel) {
      for (let i = 1; i <= Number(params.count); i++) channel.send(`${i}\n`, false);
      channel.close();
    },
  }),
);

function handler(req) {
  const method = req.requestMethod.toUpperCase(); // our methods are lower-case, find-my-way's upper-case
  const route = router.find(method, req.uri);
  if (route !== null) return route.handler(req, route.params);
  const allowed = ['GET', 'POST', 'PUT', 'DELETE'].filter((other) => router.find(other, req.uri) !== null);
  if (allowed.length > 0) return { status: 405, headers: { allow: allowed.join(', ') }, body: '' };
  return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found\n' };
}

const server = await runServer(handler, { ip: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${server.port}`;

assert.deepEqual(JSON.parse((await get(`${base}/users/1`)).body), { id: '1', name: 'ada' });
const created = await post(`${base}/users`, { body: JSON.stringify({ name: 'grace' }) });
assert.equal(created.status, 201);
assert.equal(JSON.parse((await get(`${base}/users/2/`)).body).name, 'grace'); // trailing slash ignored
assert.equal((await get(`${base}/users/9`)).status, 404);
assert.equal((await get(`${base}/stream/3`)).body, '1\n2\n3\n'); // a string body is text/plain: read as a string
assert.equal((await get(`${base}/nowhere`)).status, 404);
const wrongMethod = await post(`${base}/users/1`);
assert.equal(wrongMethod.status, 405);
assert.equal(wrongMethod.headers.allow, 'GET');

await server.stop({ timeout: 1000 });
