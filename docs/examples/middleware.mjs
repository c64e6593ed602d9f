// A complete app with every middleware: logs, request ids, CORS, compression, forms, uploads,
// an error page, Server-Sent Events, one middleware of its own and the server's diagnostics;
// driven by the client, then stopped.
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { readFile } from 'node:fs/promises';
import { runServer, asEventStream, isHandedOff, DiagnosticsChannels, serverCounters } from '@http-kit/http1';
import { compose, requestLogger, requestId, trustProxy, cors, errorHandler, compress, formParams, multipart } from '@http-kit/middleware';
import { get, post, options } from '@http-kit/client';

const logLines = []; // a real app logs to stdout: requestLogger() with no options

async function handler(req) {
  if (req.uri === '/items') {
    const items = Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}` })); // ~5 KB: compressed
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(items) };
  }
  if (req.uri === '/signup' && req.requestMethod === 'post') {
    return `welcome ${req.formParams.name}`; // an HTML form's default encoding
  }
  if (req.uri === '/upload' && req.requestMethod === 'post') {
    const { title, photo } = req.multipartParams; // the file is on disk until the answer is sent
    const bytes = await readFile(photo.tempfile);
    return `${title}: ${photo.filename}, ${bytes.length} bytes, ${photo.contentType}`;
  }
  if (req.uri === '/events') {
    return asEventStream(req, {
      onOpen(stream) {
        stream.send({ event: 'hello', data: { id: req.id } }); // compressed and flushed per event
        stream.close();
      },
    });
  }
  if (req.uri === '/fail') throw new Error('database is down');
  return null;
}

// A middleware of your own: a function from a handler to a handler. Channels hand their answer
// off (isHandedOff): pass that on untouched.
const poweredBy = (handler) => async (req) => {
  const res = await handler(req);
  if (res === null || typeof res !== 'object' || isHandedOff(res)) return res;
  return { ...res, headers: { ...res.headers, 'x-powered-by': 'http-kit' } };
};

// What a metrics library would do: count answers by status as the server publishes them.
const statuses = {};
diagnostics_channel.subscribe(DiagnosticsChannels.responseFinish, ({ status }) => {
  statuses[status] = (statuses[status] ?? 0) + 1;
});

const withMiddleware = compose(
  requestLogger({ log: (line) => logLines.push(line), format: 'json' }), // first: sees every answer
  requestId(), // req.id, and x-request-id on the answer
  trustProxy({ trusted: ['127.0.0.1'] }), // behind nginx on this machine
  cors({ origins: ['https://app.example'], maxAge: 600 }),
  errorHandler((error, req) => ({
    status: 500,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: 'internal', requestId: req.id }), // log `error` here in a real app
  })),
  compress(), // br or gzip, by Accept-Encoding
  formParams(),
  multipart({ maxFileSize: 10 * 1024 * 1024 }),
  poweredBy,
);

const server = await runServer(withMiddleware(handler), { ip: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${server.port}`;

// Compression: the client asks for gzip and decodes it.
const items = await get(`${base}/items`, { headers: { 'accept-encoding': 'gzip' }, as: 'json' });
assert.equal(items.headers['content-encoding'], 'gzip');
assert.equal(items.body.length, 200);
assert.equal(items.headers['x-powered-by'], 'http-kit');

// Request ids: a valid incoming one is kept.
const tagged = await get(`${base}/items`, { headers: { 'x-request-id': 'trace-42' } });
assert.equal(tagged.headers['x-request-id'], 'trace-42');

// CORS: a preflight from an allowed origin is answered 204.
const preflight = await options(`${base}/items`, {
  headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' },
});
assert.equal(preflight.status, 204);
assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');

// A form, and an upload.
assert.equal((await post(`${base}/signup`, { formParams: { name: 'Ada' } })).body, 'welcome Ada');
const upload = await post(`${base}/upload`, {
  multipart: [
    { name: 'title', content: 'holiday' },
    { name: 'photo', content: Buffer.alloc(2048, 7), filename: 'beach.png', contentType: 'image/png' },
  ],
});
assert.equal(upload.body, 'holiday: beach.png, 2048 bytes, image/png');

// Server-Sent Events through the whole chain.
const events = await get(`${base}/events`, { headers: { 'accept-encoding': 'br', 'x-request-id': 'sse-1' } });
assert.equal(events.body, 'event: hello\ndata: {"id":"sse-1"}\n\n');

// The error page.
const failed = await get(`${base}/fail`, { headers: { 'x-request-id': 'bad-1' }, as: 'json' });
assert.equal(failed.status, 500);
assert.deepEqual(failed.body, { error: 'internal', requestId: 'bad-1' });

// One log line per request, written when its answer was done.
await new Promise((resolve) => setTimeout(resolve, 50));
const logged = logLines.map((line) => JSON.parse(line));
assert.deepEqual(
  logged.map((entry) => `${entry.method} ${entry.target} ${entry.status}`),
  ['GET /items 200', 'GET /items 200', 'OPTIONS /items 204', 'POST /signup 200', 'POST /upload 200', 'GET /events 200', 'GET /fail 500'],
);

// The diagnostics saw every answer, and the counters say nothing is in flight.
assert.deepEqual(statuses, { 200: 5, 204: 1, 500: 1 });
assert.equal(serverCounters(server).requestsInFlight, 0);

await server.stop({ timeout: 1000 });
