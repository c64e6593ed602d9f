// Compiled by `npm run typecheck`, never run: a literal `as` narrows the body's type, a callback
// types what the call resolves to, error.code is one of the documented codes, and an unknown
// option is a type error too. Each @ts-expect-error line must stay an error.
import type { Readable } from 'node:stream';
import { createClient, get, post, request, type ClientErrorCode, type HttpResult } from '@http-kit/client';

const url = 'http://127.0.0.1:8080/';

export async function narrowed(): Promise<void> {
  const json = await get(url, { as: 'json' });
  if (json.error === undefined) {
    const value: unknown = json.body;
    // @ts-expect-error a JSON body is unknown until checked or cast
    json.body.length;
    void value;
  }
  const text = await get(url, { as: 'text', timeout: 1_000 });
  if (!text.error) {
    const s: string = text.body;
    void s.toUpperCase();
  }
  const bytes = await post(url, { as: 'buffer', body: 'x' });
  if (!bytes.error) {
    const b: Buffer = bytes.body;
    void b.readUInt8(0);
  }
  const stream = await request({ url, as: 'stream' });
  if (!stream.error) {
    const r: Readable = stream.body;
    r.resume();
  }
  const auto = await get(url, { as: 'auto' });
  if (!auto.error) {
    const either: string | Buffer = auto.body;
    void either;
    // @ts-expect-error auto is a string or a Buffer, never a stream
    auto.body.pipe;
  }
  const client = createClient({ timeout: 5_000 });
  const viaClient = await client.get(url, { as: 'text' });
  if (!viaClient.error) void viaClient.body.trim();
}

export async function unnarrowed(): Promise<void> {
  // No `as` (the client's default may be any) or a variable `as`: any body, as before.
  const plain: HttpResult = await get(url);
  const wide: string | Buffer | Readable | undefined = plain.body;
  void wide;
  const as = Math.random() > 0.5 ? ('text' as const) : ('stream' as const);
  const either = await get(url, { as });
  if (!either.error) {
    const body: string | Readable = either.body;
    void body;
  }
}

export async function callbacks(): Promise<void> {
  const status: number | { error: unknown } = await get(url, undefined, (res) => res.status ?? 0);
  void status;
  const length = await get(url, { as: 'text' }, (res) => (res.error ? -1 : res.body.length));
  if (typeof length === 'number') void length.toFixed();
  // An explicit type argument still works, as before.
  const n = await request<number>({ url }, () => 1);
  void n;
}

export async function codes(): Promise<void> {
  const res = await get(url, { timeout: 100 });
  if (res.error) {
    const code: ClientErrorCode = res.error.code;
    if (code === 'HTTPKIT_TIMEOUT' || code === 'HTTPKIT_POOL_TIMEOUT') void code;
    // @ts-expect-error not a code the client has
    if (res.error.code === 'HTTPKIT_TIMEOUTS') void 0;
  }
}

export async function unknownOptions(): Promise<void> {
  // @ts-expect-error a misspelt option
  await get(url, { timout: 300 });
  // @ts-expect-error a misspelt option next to a literal as
  await get(url, { as: 'json', timout: 300 });
  // @ts-expect-error not a body kind (it is 'buffer')
  await get(url, { as: 'bytes' });
}
