/**
 * Opening sockets for the connections: the source address each one uses, and the listeners
 * every socket shares (module functions that find their connection through a symbol: no
 * closures per connection).
 *
 * Source addresses. One source address reaches one destination from at most the ephemeral port
 * range (~28,000 ports on Linux by default). With `localAddresses: 'auto'` a loopback target is
 * dialled from the system's choice until a connect fails with EADDRNOTAVAIL (no port left), then
 * from 127.0.0.2, 127.0.0.3, ... (all of 127/8 is loopback on Linux); an explicit list is
 * rotated over from the first connection.
 *
 * Slow readers (`slowFraction`): each new socket is drawn slow at random; after each read a slow
 * socket is paused for as long as `slowReadRate` bytes a second takes to read it, so the kernel's
 * buffer fills, the TCP window closes and the server's writes back up, as behind a slow link.
 */
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { isLoopbackV4, type ResolvedOptions } from './options.js';

/** What owns a socket: the connection, told of its socket's events. */
export interface SocketOwner {
  onConnect(): void;
  onData(chunk: Buffer): void;
  onSocketError(error: NodeJS.ErrnoException): void;
  onSocketClose(): void;
  /** The server did not close its side within closeTimeout of ours (see `closeWithin`). */
  onCloseTimeout(): void;
}

const kOwner = Symbol('load.owner');
/** A slow socket's read rate in bytes per ms (0: reads as fast as it can). */
const kReadRate = Symbol('load.readRate');
type OwnedSocket = Socket & { [kOwner]: SocketOwner; [kReadRate]: number };

function onConnect(this: OwnedSocket): void {
  this[kOwner].onConnect();
}
function onData(this: OwnedSocket, chunk: Buffer): void {
  this[kOwner].onData(chunk);
  const rate = this[kReadRate];
  if (rate > 0 && !this.destroyed) {
    this.pause();
    setTimeout(resumeReading, chunk.length / rate, this);
  }
}
function resumeReading(socket: OwnedSocket): void {
  if (!socket.destroyed) socket.resume();
}
function onError(this: OwnedSocket, error: Error): void {
  this[kOwner].onSocketError(error as NodeJS.ErrnoException);
}
function onClose(this: OwnedSocket): void {
  this[kOwner].onSocketClose();
}
function onOpenTimeout(this: OwnedSocket): void {
  const error = new Error('not open in time') as NodeJS.ErrnoException;
  error.code = 'open-timeout';
  this.destroy(error);
}

function onCloseTimeout(this: OwnedSocket): void {
  this[kOwner].onCloseTimeout();
}

/**
 * We closed our side of `socket` (FIN, or a close frame): its owner's `onCloseTimeout` runs if
 * the server has not closed its side (nothing read, no close) within `ms`.
 */
export function closeWithin(socket: Socket, ms: number): void {
  socket.setTimeout(ms, onCloseTimeout);
}

/** The connection on `socket` is open: its open timeout no longer applies. */
export function isOpen(socket: Socket): void {
  socket.setTimeout(0);
  socket.off('timeout', onOpenTimeout);
}

/** Picks each new socket's source address. */
export class Dialer {
  private readonly host: string;
  private readonly port: number;
  private readonly list: string[] | null;
  /** ms a connection may take to open (options.openTimeout): past it, an `open-timeout` error. */
  private readonly openTimeout: number;
  private readonly slowFraction: number;
  /** slowReadRate in bytes per ms. */
  private readonly slowRate: number;
  private next = 0;
  /** In 'auto' on loopback: the 127.0.0.x in use (0: the system's choice). */
  private autoOctet = 0;
  /** Every source address used so far (for the report). */
  readonly used = new Set<string>();

  /** `counters`: where each socket drawn slow is counted (slowReaders). */
  constructor(
    options: ResolvedOptions,
    private readonly counters: { slowReaders: number } = { slowReaders: 0 },
  ) {
    this.host = options.host === 'localhost' ? '127.0.0.1' : options.host;
    this.port = options.port;
    this.list = options.localAddresses === 'auto' ? null : options.localAddresses;
    this.openTimeout = options.openTimeout;
    this.slowFraction = options.slowFraction;
    this.slowRate = options.slowReadRate / 1000;
  }

  /** A socket connecting to the target, its events going to `owner`. */
  dial(owner: SocketOwner): Socket {
    const localAddress =
      this.list !== null ? this.list[this.next++ % this.list.length] : this.autoOctet === 0 ? undefined : `127.0.0.${this.autoOctet}`;
    this.used.add(localAddress ?? 'default');
    const socket = connect({ host: this.host, port: this.port, localAddress, noDelay: true }) as OwnedSocket;
    socket[kOwner] = owner;
    const slow = this.slowFraction > 0 && Math.random() < this.slowFraction;
    if (slow) this.counters.slowReaders++;
    socket[kReadRate] = slow ? this.slowRate : 0;
    socket.setTimeout(this.openTimeout, onOpenTimeout);
    socket.on('connect', onConnect);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    return socket;
  }

  /**
   * A connect failed with `code`: when it is port exhaustion on a loopback target in 'auto', move
   * to the next source address and say so (true: worth retrying at once).
   */
  exhausted(code: string | undefined): boolean {
    if (code !== 'EADDRNOTAVAIL' || this.list !== null || !isLoopbackV4(this.host) || this.autoOctet >= 254) return false;
    this.autoOctet = this.autoOctet === 0 ? 2 : this.autoOctet + 1;
    return true;
  }
}

/** This process's open-file limits from /proc/self/limits: soft and hard, Infinity for unlimited or unknown. */
export function openFileLimit(): { soft: number; hard: number } {
  try {
    const match = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'latin1'));
    const limit = (text: string) => (text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text));
    return match === null
      ? { soft: Number.POSITIVE_INFINITY, hard: Number.POSITIVE_INFINITY }
      : { soft: limit(match[1]), hard: limit(match[2]) };
  } catch {
    return { soft: Number.POSITIVE_INFINITY, hard: Number.POSITIVE_INFINITY };
  }
}

/** File descriptors a Node process holds besides its sockets (stdio, epoll, the libuv pool, IPC). */
export const FD_RESERVE = 64;

/**
 * Throws a message that explains the fix when `connections` sockets (plus FD_RESERVE) do not fit
 * under the soft open-file limit; the run would otherwise fail part way with EMFILE. (Node raises
 * its soft limit to the hard one as it starts, so in practice the hard limit is the one to raise.)
 *
 * @example
 * checkFileLimit(10_000); // throws under `ulimit -n 1024`, naming the limit and the fix
 */
export function checkFileLimit(connections: number): void {
  const { soft, hard } = openFileLimit();
  const needed = connections + FD_RESERVE;
  if (soft >= needed) return;
  const raise =
    hard >= needed
      ? `raise it in this shell first: \`ulimit -n ${Math.min(hard, Math.max(needed, 1024) * 2)}\` (the hard limit is ${hard === Number.POSITIVE_INFINITY ? 'unlimited' : hard})`
      : `the hard limit is ${hard} too: raise it as root (/etc/security/limits.conf, systemd LimitNOFILE)`;
  const error = new Error(
    `the open-file limit (ulimit -n) is ${soft}, and ${connections} connections need about ${needed} file descriptors (one per socket + ${FD_RESERVE}); ${raise}, use fewer connections, or split them with --workers N (each process holds only its share)`,
  ) as NodeJS.ErrnoException;
  error.code = 'EMFILE_PREDICTED';
  throw error;
}
