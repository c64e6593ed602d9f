/**
 * CONNECT tunnels for tests of clients that go through an http proxy.
 */
import http from 'node:http';
import net from 'node:net';
import { listen, type TestServer } from './listen.js';

/** Answers a CONNECT on `socket` with 200 and pipes it to `target` ("host:port"), `head` first. */
export function tunnel(socket: net.Socket, target: string, head: Buffer): void {
  const [host, port] = target.split(':');
  const upstream = net.connect(Number(port), host, () => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
}

/** An http proxy on a free loopback port that only opens CONNECT tunnels; `tunnels` lists their targets. */
export async function connectProxy(): Promise<TestServer & { tunnels: string[] }> {
  const tunnels: string[] = [];
  const proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    tunnels.push(req.url!);
    tunnel(socket, req.url!, head);
  });
  return { ...(await listen(proxy)), tunnels };
}
