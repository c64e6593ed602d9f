/**
 * Raw TCP servers on loopback that answer with exactly the bytes a test chooses, to misbehave on
 * purpose: `rawServer` hands over every read, `cannedServer` answers each request head.
 *
 * @example
 * const server = await cannedServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', end: true }));
 * await client.get(server.url);
 */
import net from 'node:net';
import { listen, type TestServer } from './listen.js';

/** Per connection: what it has sent so far (latin1), and a counter for the test's own use. */
export interface RawConnectionState {
  requests: number;
  buffered: string;
}

/** A raw TCP server: `onData` gets each socket and the bytes of each read. */
export function rawServer(onData: (socket: net.Socket, data: Buffer, state: RawConnectionState) => void): Promise<TestServer> {
  const server = net.createServer((socket) => {
    const state: RawConnectionState = { requests: 0, buffered: '' };
    socket.on('data', (data) => {
      state.buffered += data.toString('latin1');
      onData(socket, data, state);
    });
  });
  return listen(server);
}

/** What `cannedServer` does with one request: write `bytes`, then end or destroy the socket if asked. */
export interface CannedAnswer {
  bytes?: string | Buffer;
  end?: boolean;
  destroy?: boolean;
}

/**
 * A raw server that answers each complete request head (no request bodies) with
 * `respond(requestIndex, head, socket)`; nothing (undefined) leaves the request unanswered.
 */
export function cannedServer(respond: (index: number, head: string, socket: net.Socket) => CannedAnswer | void): Promise<TestServer> {
  let index = 0;
  return rawServer((socket, _data, state) => {
    let at: number;
    while ((at = state.buffered.indexOf('\r\n\r\n')) !== -1) {
      const head = state.buffered.slice(0, at + 4);
      state.buffered = state.buffered.slice(at + 4);
      const answer = respond(index++, head, socket);
      if (answer === undefined) continue;
      if (answer.bytes !== undefined) socket.write(answer.bytes);
      if (answer.destroy) socket.destroy();
      else if (answer.end) socket.end();
    }
  });
}
