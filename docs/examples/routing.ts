// Routing with find-my-way, in TypeScript: the same routes, typed (npm install find-my-way).
import assert from 'node:assert/strict';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { asChannel, readJson, runServer, type HandlerResult, type Request, type Response } from '@http-kit/http1';
import { get, post } from '@http-kit/client';

interface User {
  id: string;
  name: string;
}
type Params = Record<string, string | undefined>;
/** A route's handler: the request and its path parameters; it answers as any handler does. */
type Route = (req: Request, params: Params) => HandlerResult | Promise<HandlerResult>;

const router = FindMyWay({ ignoreTrailingSlash: true });
const users = new Map<string, User>([['1', { id: '1', name: 'ada' }]]);
const json = (status: number, value: unknown): Response => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

// find-my-way types its handlers for node:http's (req, res); ours travel as the route's store.
function route(method: HTTPMethod, path: string, handle: Route): void {
  router.on(method, path, () => undefined, handle);
}

route('GET', '/users/:id', (_req, params) => {
  const user = users.get(params.id ?? '');
  return user !== undefined ? json(200, user) : json(404, { error: 'no such user' });
});
route('POST', '/users', async (req) => {
  const input = await readJson<{ name?: unknown }>(req); // undefined when there is no body
  if (typeof input?.name !== 'string') return json(400, { error: 'a JSON body with a name is required' });
  const user: User = { id: String(users.size + 1), name: input.name };
  users.set(user.id, user);
  return json(201, user);
});
// Channels route the same way: the route's handler returns what asChannel returns.
route('GET', '/stream/:count', (req, params) =>
  asChannel(req, {
    onOpen(channel) {
      for (let i = 1; i <= Number(params.count); i++) channel.send(`${i}\n`, false);
      channel.close();
    },
  }),
);

const METHODS: HTTPMethod[] = ['GET', 'POST', 'PUT', 'DELETE'];

function handler(req: Request): HandlerResult | Promise<HandlerResult> {
  const method = req.requestMethod.toUpperCase() as HTTPMethod; // ours lower-case, find-my-way's upper-case
  const found = router.find(method, req.uri);
  if (found !== null) return (found.store as Route)(req, found.params);
  const allowed = METHODS.filter((other) => router.find(other, req.uri) !== null);
  if (allowed.length > 0) return { status: 405, headers: { allow: allowed.join(', ') }, body: '' };
  return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found\n' };
}

const server = await runServer(handler, { ip: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${server.port}`;

const ada = await get(`${base}/users/1`, { as: 'json' }); // body: unknown, as JSON.parse gives it
assert.deepEqual(ada.body, { id: '1', name: 'ada' });
const created = await post(`${base}/users`, { json: { name: 'grace' }, as: 'json' });
assert.equal(created.status, 201);
const grace = await get(`${base}/users/2/`, { as: 'json' }); // trailing slash ignored
assert.equal((grace.body as User).name, 'grace');
assert.equal((await get(`${base}/users/9`)).status, 404);
assert.equal((await post(`${base}/users`, { json: { nom: 'x' } })).status, 400);
assert.equal((await get(`${base}/stream/3`)).body, '1\n2\n3\n'); // a string body is text/plain: read as a string
assert.equal((await get(`${base}/nowhere`)).status, 404);
const wrongMethod = await post(`${base}/users/1`);
assert.equal(wrongMethod.status, 405);
assert.equal(wrongMethod.headers?.allow, 'GET');

await server.stop({ timeout: 1000 });
