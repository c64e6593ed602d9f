// The chat room behind /chat (long polling) and /ws-chat (WebSocket), on the hub, so that it is
// one room however it is served:
//
//   one process            the process numbers the messages and keeps the history
//   WORKERS=N              the cluster primary numbers them and keeps the history; workers post
//                          to it and get every message back through the hub (over IPC)
//   REDIS_URL=redis://...  Redis numbers them and keeps the history (INCR + RPUSH + PUBLISH in
//                          one script, so ids reach every instance in order); any number of
//                          instances (each with or without WORKERS) share the room
//
// Every process keeps a copy of the history, fed by the hub, to answer `/poll?since=` at once.
// Messages: { id, name, text, at, from } (from: the sending tab's id, so a page can set its own
// messages apart).
import cluster from 'node:cluster';
import { createHub } from '@http-kit/core';

const MAX_HISTORY = 200;
const HUB_NAME = 'demo-chat';
/** Redis keys: the id counter and the history list. */
const ID_KEY = 'demo:chat:id';
const HISTORY_KEY = 'demo:chat:history';
/** What the hub's Redis side publishes on for topic 'message' (the hub's wire format: JSON on http-kit:<name>:<topic>). */
const MESSAGE_CHANNEL = `http-kit:${HUB_NAME}:message`;

// Numbers the message, appends it to the history and publishes it, in one step: messages posted
// on two instances at once reach every instance in id order.
const POST_SCRIPT = `
local id = redis.call('INCR', KEYS[1])
local message = '{"id":' .. id .. ',' .. string.sub(ARGV[1], 2)
redis.call('RPUSH', KEYS[2], message)
redis.call('LTRIM', KEYS[2], -${MAX_HISTORY}, -1)
redis.call('PUBLISH', ARGV[2], message)
return message`;

/**
 * Opens the room. `listen(fn)` hears every new message once (in id order); `post` resolves true
 * once the message is on its way, false when it could not be sent (Redis down).
 */
export async function openRoom({ redisUrl, workers, log = console.error }) {
  const history = [];
  const listeners = new Set();

  /** Adds what is new to the copy (in id order) and tells the listeners. */
  const add = (messages) => {
    for (const message of messages) {
      if (typeof message?.id !== 'number' || history.some((m) => m.id === message.id)) continue;
      let at = history.length;
      while (at > 0 && history[at - 1].id > message.id) at--;
      history.splice(at, 0, message);
      if (history.length > MAX_HISTORY) history.shift();
      for (const listener of listeners) listener(message);
    }
  };

  const room = {
    since: (id) => history.filter((m) => m.id > id),
    recent: (n) => history.slice(-n),
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    post: async () => false,
    close: async () => {},
    mode: '',
  };

  if (redisUrl) return openOnRedis(room, redisUrl, add, log);

  const hub = createHub({ name: HUB_NAME });
  hub.subscribe('message', (message) => add([message]));
  hub.subscribe('history', (messages) => add(messages));
  const sequencer = !cluster.isWorker; // the lone process, or the primary of WORKERS
  if (sequencer) {
    hub.subscribe('post', ({ name, text, from }) => {
      hub.publish('message', { id: (history.at(-1)?.id ?? 0) + 1, name, text, at: Date.now(), from });
    });
    hub.subscribe('sync', () => hub.publish('history', history));
  } else {
    hub.publish('sync', {}); // a worker (also one started to replace another) asks for the history so far
  }
  room.post = (message) => hub.publish('post', message);
  room.close = () => hub.close();
  room.mode = workers > 0 ? `${workers} workers, one room through the cluster's hub` : 'one process';
  return room;
}

async function openOnRedis(room, url, add, log) {
  const { createClient } = await import('redis');
  const publisher = createClient({
    url,
    socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000), connectTimeout: 5000 },
  });
  publisher.on('error', () => {}); // told through the hub's onRedisEvent
  await connectOrExplain(publisher, url);
  const subscriber = publisher.duplicate();
  subscriber.on('error', () => {});
  await connectOrExplain(subscriber, url);

  const loadHistory = async () => add((await publisher.lRange(HISTORY_KEY, 0, -1)).map((text) => JSON.parse(text)));
  const hub = createHub({
    name: HUB_NAME,
    redis: { publisher, subscriber },
    onRedisEvent(event) {
      if (event.type === 'disconnected') log(`chat: Redis ${event.connection} connection lost; posts fail until it is back`);
      if (event.type === 'resubscribed') {
        // What other instances posted while we were away never reached us: read it from the history.
        log(`chat: Redis is back after ${event.awayMs} ms; catching up from its history`);
        loadHistory().catch((error) => log('chat: could not read the history from Redis', error));
      }
    },
  });
  hub.subscribe('message', (message) => add([message]));
  await hub.ready();
  await loadHistory();

  room.post = async ({ name, text, from }) => {
    if (!hub.connected) return false;
    const body = JSON.stringify({ name, text, at: Date.now(), from });
    try {
      await publisher.eval(POST_SCRIPT, { keys: [ID_KEY, HISTORY_KEY], arguments: [body, MESSAGE_CHANNEL] });
      return true;
    } catch (error) {
      log('chat: a post did not reach Redis', error);
      return false;
    }
  };
  room.close = async () => {
    await hub.close();
    publisher.destroy();
    subscriber.destroy();
  };
  room.mode = `one room shared through Redis at ${url}`;
  return room;
}

async function connectOrExplain(client, url) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`could not reach Redis at ${url} within 5 s (is redis-server running? Debian package redis-server)`)),
      5000,
    );
  });
  try {
    await Promise.race([client.connect(), timeout]);
  } catch (error) {
    client.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
