/**
 * Channels subscribed to a hub, over real sockets: a parked long poll, a stream, an event stream
 * and a WebSocket each get a published message; each is dropped from the hub when it closes
 * (answered, client gone, timed out), so a topic holds only live channels; `closed` resolves
 * with the reason.
 */
import { describe, expect, it } from 'vitest';
import { createHub, type CloseReason } from '@http-kit/core';
import { asChannel, asEventStream, type Channel } from '@http-kit/http1';
import { connect } from '@http-kit/websocket';
import { eventually, RawClient, useServers } from '@http-kit/test-support';

const servers = useServers();
let names = 0;
const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

describe('channels on a hub', () => {
  it('answers parked long polls with a published message (as format makes it) and drops them once answered', async () => {
    const hub = createHub({ name: `poll-${++names}` });
    const { port } = await servers.start((req) =>
      asChannel(req, {
        onOpen: (channel) =>
          hub.subscribe('room', channel, {
            format: (message) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) }),
          }),
      }),
    );
    const clients = await Promise.all([1, 2, 3].map(() => RawClient.connect(port)));
    for (const client of clients) client.write(GET('/poll'));
    await eventually(() => hub.subscriberCount('room') === 3, 3_000, 'three parked polls subscribed');
    expect(await hub.publish('room', { text: 'hi' })).toBe(true);
    for (const client of clients) {
      const [response] = await client.waitForResponses(1);
      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe('{"text":"hi"}');
    }
    await eventually(() => hub.subscriberCount('room') === 0, 3_000, 'answered polls dropped');
    for (const client of clients) client.destroy();
  });

  it('answers two long polls pipelined on one connection with two messages, not both with the first', async () => {
    const hub = createHub({ name: `pipelined-${++names}` });
    const { port } = await servers.start((req) => asChannel(req, { onOpen: (channel) => hub.subscribe('room', channel) }));
    const client = await RawClient.connect(port);
    await client.write(GET('/poll') + GET('/poll'));
    await eventually(() => hub.subscriberCount('room') === 1, 3_000, 'the first poll subscribed');
    await hub.publish('room', 'one');
    const [first] = await client.waitForResponses(1);
    expect(first.body.toString()).toBe('one');
    // The second request is read once the first is answered; it parks for the next message.
    await eventually(() => hub.subscriberCount('room') === 1, 3_000, 'the second poll subscribed');
    expect(client.responses().responses).toHaveLength(1);
    await hub.publish('room', 'two');
    const responses = await client.waitForResponses(2);
    expect(responses.map((r) => r.body.toString())).toEqual(['one', 'two']);
    client.destroy();
  });

  it('drops a parked channel whose client went away, and one that timed out; closed resolves with the reason', async () => {
    const hub = createHub({ name: `gone-${++names}` });
    const reasons: CloseReason[] = [];
    const { port } = await servers.start((req) =>
      asChannel(req, {
        timeout: req.uri === '/short' ? 100 : 0,
        onOpen(channel) {
          hub.subscribe('room', channel);
          void channel.closed.then((reason) => reasons.push(reason));
        },
      }),
    );
    const leaving = await RawClient.connect(port);
    leaving.write(GET('/poll'));
    const waiting = await RawClient.connect(port);
    waiting.write(GET('/short'));
    await eventually(() => hub.subscriberCount('room') === 2, 3_000, 'two subscribed');
    leaving.destroy();
    await eventually(() => hub.subscriberCount('room') === 0, 3_000, 'both dropped');
    expect(reasons.sort()).toEqual(['client-closed', 'timeout']);
    waiting.destroy();
  });

  it('sends each message as one chunk of a stream, and as one event of an event stream', async () => {
    const hub = createHub({ name: `stream-${++names}` });
    const { port } = await servers.start((req) => {
      if (req.uri === '/events') return asEventStream(req, { onOpen: (stream) => hub.subscribe('feed', stream) });
      return asChannel(req, {
        onOpen(channel: Channel) {
          channel.send({ status: 200, headers: { 'content-type': 'text/plain' } }, false);
          hub.subscribe('feed', channel, { format: (message) => `${JSON.stringify(message)}\n` });
        },
      });
    });
    const stream = await RawClient.connect(port);
    stream.write(GET('/stream'));
    const events = await RawClient.connect(port);
    events.write(GET('/events'));
    await eventually(() => hub.subscriberCount('feed') === 2, 3_000, 'both subscribed');
    hub.publish('feed', { n: 1 });
    hub.publish('feed', 'two');
    await eventually(() => stream.text.includes('"two"\n') && events.text.includes('data: two\n\n'), 3_000, 'both messages');
    expect(stream.text).toContain('{"n":1}\n');
    expect(events.text).toContain('data: {"n":1}\n\n');
    stream.destroy();
    events.destroy();
    await eventually(() => hub.subscriberCount('feed') === 0, 3_000, 'closed streams dropped');
  });

  it('sends each message to a subscribed WebSocket, and drops it when it closes', async () => {
    const hub = createHub({ name: `ws-${++names}` });
    const { port } = await servers.start((req) => asChannel(req, { onOpen: (channel) => hub.subscribe('room', channel) }));
    const got: string[] = [];
    const connected = await connect(`ws://127.0.0.1:${port}/room`, { onReceive: (_channel, message) => got.push(String(message)) });
    if (connected.error) throw connected.error;
    await eventually(() => hub.subscriberCount('room') === 1, 3_000, 'the WebSocket subscribed');
    hub.publish('room', { text: 'hello' });
    await eventually(() => got.length === 1, 3_000, 'the message');
    expect(got).toEqual(['{"text":"hello"}']);
    connected.channel.close();
    await eventually(() => hub.subscriberCount('room') === 0, 3_000, 'the closed WebSocket dropped');
  });
});
