/**
 * The demo's chat room is one room however it is served: with WORKERS=2 (long polls parked on
 * both workers, a post answered on either reaches all of them once, with the same ids and
 * history everywhere), and as two instances sharing one real Redis (clients parked on one, a
 * message posted to the other; Redis killed and started again in the middle: posts meanwhile
 * are refused with 503, not lost in silence, and the room works again once Redis is back).
 * Run as it ships: `node demo/server.mjs` on the built packages, PORT=0. The Redis part is
 * skipped when redis-server is missing (Debian package redis-server).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { eventually, peer, RawClient, sleep, startRedis, type PrivateRedis } from '@http-kit/test-support';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const REDIS = peer('redis-server', 'demo-chat-scale.test.ts (the Redis part)');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

interface Demo {
  port: number;
  /** What it printed on stderr so far. */
  stderr(): string;
}

/** Starts the demo with `env`; resolves with its port once it prints its banner. */
function startDemo(env: Record<string, string>): Promise<Demo> {
  const child = spawn(process.execPath, ['demo/server.mjs'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', IP: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the demo printed no banner in 15 s; stdout ${JSON.stringify(stdout)} stderr ${JSON.stringify(stderr)}`)),
      15_000,
    );
    child.once('exit', (code) => reject(new Error(`the demo exited (${code}); stderr ${JSON.stringify(stderr)}`)));
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout);
      if (match === null || !/^chat: /m.test(stdout)) return;
      clearTimeout(timer);
      resolve({ port: Number(match[1]), stderr: () => stderr });
    });
  });
}

interface ChatMessage {
  id: number;
  name: string;
  text: string;
}

/** A long poll on a connection of its own: `GET /poll?since=<since>`. */
async function park(port: number, since: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  await client.write(`GET /poll?since=${since} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return client;
}

/** The one response a parked poll gets; waits a little longer to see that no second one follows. */
async function answerOf(client: RawClient): Promise<{ messages: ChatMessage[]; servedBy: string }> {
  const [response] = await client.waitForResponses(1, { timeout: 10_000 });
  return { messages: JSON.parse(response!.body.toString()) as ChatMessage[], servedBy: String(response!.headers['x-served-by']) };
}

async function post(port: number, text: string): Promise<number> {
  const body = `name=test&text=${encodeURIComponent(text)}`;
  const client = await RawClient.connect(port);
  await client.write(
    `POST /msg HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  const [response] = await client.waitForResponses(1, { timeout: 10_000 });
  client.destroy();
  return response!.status;
}

async function history(port: number): Promise<ChatMessage[]> {
  const client = await RawClient.connect(port);
  await client.write('GET /poll?since=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const [response] = await client.waitForResponses(1, { timeout: 10_000 });
  client.destroy();
  return JSON.parse(response!.body.toString()) as ChatMessage[];
}

/** A /ws-chat member: collects every message it is pushed (the history first). */
async function member(port: number): Promise<{ got: ChatMessage[]; socket: WebSocket }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws-chat`);
  const got: ChatMessage[] = [];
  socket.on('message', (data) => got.push(...(JSON.parse(String(data)) as ChatMessage[])));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { got, socket };
}

const texts = (messages: ChatMessage[]) => messages.map((m) => `${m.id}:${m.text}`);

describe('the demo chat across processes', () => {
  it('WORKERS=2: polls parked on both workers each get a message posted to either, once, with one numbering and one history', async () => {
    const { port } = await startDemo({ WORKERS: '2' });
    const polls = await Promise.all(Array.from({ length: 6 }, () => park(port, 0)));
    const ws = await member(port);
    await sleep(300); // the polls reach their workers and park
    expect(await post(port, 'first')).toBe(204);
    const answers = await Promise.all(polls.map(answerOf));
    for (const answer of answers) expect(texts(answer.messages)).toEqual(['1:first']);
    expect(new Set(answers.map((a) => a.servedBy)).size, 'polls parked on both workers').toBe(2);

    expect(await post(port, 'second')).toBe(204);
    await eventually(() => ws.got.length === 2, 5_000, 'the WebSocket member got both');
    expect(texts(ws.got)).toEqual(['1:first', '2:second']);
    await sleep(200);
    for (const client of polls) expect(client.responses().responses).toHaveLength(1);
    // Every worker has the same history (fresh connections are spread over both).
    for (let i = 0; i < 4; i++) expect(texts(await history(port))).toEqual(['1:first', '2:second']);
    ws.socket.close();
    for (const client of polls) client.destroy();
  }, 30_000);

  describe.skipIf(REDIS === null)('two instances sharing one Redis', () => {
    let redis: PrivateRedis | null = null;
    afterAll(async () => {
      await redis?.stop();
    });

    it('answers clients parked on one instance with a message posted to the other, once each; survives a Redis restart', async () => {
      redis = await startRedis(REDIS!, { persist: true });
      const env = { REDIS_URL: redis.url };
      const [a, b] = await Promise.all([startDemo(env), startDemo({ ...env, WORKERS: '2' })]);

      const polls = await Promise.all(Array.from({ length: 4 }, () => park(a.port, 0)));
      const ws = await member(a.port);
      await sleep(300);
      expect(await post(b.port, 'hello from b')).toBe(204);
      for (const answer of await Promise.all(polls.map(answerOf))) expect(texts(answer.messages)).toEqual(['1:hello from b']);
      await eventually(() => ws.got.length === 1, 5_000, 'the WebSocket member on a');
      expect(await post(a.port, 'hello from a')).toBe(204);
      await eventually(() => ws.got.length === 2, 5_000, "a's own message");

      // Redis goes away: a post is refused (503), not silently lost; clients stay parked.
      await redis.kill();
      const waiting = await Promise.all(Array.from({ length: 3 }, () => park(a.port, 2)));
      let refused = 0;
      for (let i = 0; i < 50 && refused === 0; i++) {
        const status = await post(b.port, 'while down');
        if (status === 503) refused++;
        else await sleep(50);
      }
      expect(refused, 'a post while Redis is down is refused').toBe(1);

      await redis.start();
      let status = 0;
      for (let i = 0; i < 100 && status !== 204; i++) {
        status = await post(b.port, 'back again');
        if (status !== 204) await sleep(100);
      }
      expect(status, 'posts work again once Redis is back').toBe(204);
      for (const answer of await Promise.all(waiting.map(answerOf))) expect(texts(answer.messages)).toEqual(['3:back again']);
      await eventually(() => ws.got.length === 3, 5_000, 'the WebSocket member got the message after the restart');
      expect(texts(ws.got)).toEqual(['1:hello from b', '2:hello from a', '3:back again']);

      // One history on both instances (and both of b's workers): a process whose subscriber came
      // back after the post catches up from Redis's history when it resubscribes.
      const expected = ['1:hello from b', '2:hello from a', '3:back again'];
      let seen: string[][] = [];
      for (let i = 0; i < 50; i++) {
        seen = [];
        for (const port of [a.port, b.port, b.port, b.port]) seen.push(texts(await history(port)));
        if (seen.every((list) => JSON.stringify(list) === JSON.stringify(expected))) break;
        await sleep(100);
      }
      for (const list of seen) expect(list).toEqual(expected);
      await sleep(200);
      for (const client of [...polls, ...waiting]) expect(client.responses().responses).toHaveLength(1);
      expect(a.stderr()).toMatch(/Redis subscriber connection lost/);
      expect(a.stderr()).toMatch(/Redis is back after \d+ ms/);
      ws.socket.close();
      for (const client of [...polls, ...waiting]) client.destroy();
    }, 45_000);
  });
});
