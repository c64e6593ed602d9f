// http-kit's Clojure API in TypeScript: each form of the Clojure side, next to ours, in one running program.
import assert from 'node:assert/strict';
import { runServer, asChannel, asyncResponse } from '@http-kit/http1';
import { connect } from '@http-kit/websocket';
import { get } from '@http-kit/client';

const clients = new Set();

function handler(req) {
  switch (req.uri) {
    // (defn handler [req] {:status 200 :headers {"Content-Type" "text/plain"} :body "hello"})
    case '/':
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' };
    // (async-response respond (future (respond {:status 200 :body "async hello world"})))
    case '/async':
      return asyncResponse(req, (respond) =>
        setTimeout(() => respond({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'async hello world' }), 10),
      );
    // (with-channel req ch (swap! clients conj ch) (on-close ch (fn [status] (swap! clients disj ch))))
    case '/poll':
      return asChannel(req, {
        onOpen: (ch) => clients.add(ch),
        onClose: (ch, status) => clients.delete(ch),
      });
    // (as-channel req {:on-open (fn [ch] (send! ch "hi" false)) :on-receive (fn [ch msg] (send! ch msg)) :on-close (fn [ch status] ...)})
    case '/ws':
      return asChannel(req, {
        onOpen: (ch) => ch.send('hi', false),
        onReceive: (ch, message) => ch.send(message),
        onClose: (ch, status) => {},
      });
    default:
      return null; // nil: 404
  }
}

// (def stop (run-server handler {:port 8080}))
const server = await runServer(handler, { ip: '127.0.0.1', port: 0 });
const url = `http://127.0.0.1:${server.port}`;

// @(http/get url {:timeout 2000 :query-params {:q "x"} :headers {"X-Header" "Value"}})
const { status, body, error } = await get(`${url}/`, { timeout: 2000, queryParams: { q: 'x' }, headers: { 'x-header': 'Value' } });
assert.equal(error, undefined);
assert.equal(status, 200);
assert.equal(body, 'hello');

// (http/get url (fn [{:keys [status body error]}] ...)): the callback's value is the promise's
assert.equal(await get(`${url}/async`, {}, ({ body }) => body), 'async hello world');

// send! to a parked long poll: the first send! answers it and ends it
const poll = get(`${url}/poll`);
while (clients.size < 1) await new Promise((resolve) => setTimeout(resolve, 10));
for (const ch of clients) ch.send({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'news' });
assert.equal((await poll).body, 'news');

// a WebSocket through as-channel
const heard = [];
const { channel } = await connect(`ws://127.0.0.1:${server.port}/ws`, { onReceive: (ch, message) => heard.push(message) });
channel.send('ping');
while (heard.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
assert.deepEqual(heard, ['hi', 'ping']);
channel.close();

// (stop :timeout 1000)
await server.stop({ timeout: 1000 });
