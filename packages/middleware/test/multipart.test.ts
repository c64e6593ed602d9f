/**
 * multipart: uploads from curl -F and Python's requests streamed to temporary files that are
 * gone once the answer is; limits answered 413 naming the part; malformed bodies 400; parts as
 * streams; the parser fed every split of a body.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compose, multipart, type MultipartFile } from '@http-kit/middleware';
import { MultipartParser } from '../src/multipart-parser.js';
import type { Handler } from '@http-kit/http1';
import { curl, eventually, peer, useServers } from '@http-kit/test-support';

const CURL = peer('curl', 'multipart (curl -F)');
const servers = useServers();
const work = mkdtempSync(join(tmpdir(), 'mw-multipart-test-'));
const uploads = mkdtempSync(join(tmpdir(), 'mw-multipart-tmp-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(uploads, { recursive: true, force: true });
});

/** Answers what it got: fields as they are, files with their size, name, type and a checksum of their bytes read from disk. */
const describeUpload: Handler = (req) => {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(req.multipartParams ?? {})) {
    const one = (v: string | MultipartFile) =>
      typeof v === 'string'
        ? v
        : {
            filename: v.filename,
            contentType: v.contentType,
            size: v.size,
            same: readFileSync(v.tempfile).length === v.size,
            tempfile: v.tempfile,
          };
    out[name] = Array.isArray(value) ? value.map(one) : one(value);
  }
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out) };
};

function raw(port: number, text: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    socket.end(text);
  });
}

function post(body: string, type = 'multipart/form-data; boundary=XyZ'): string {
  return `POST /up HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

describe.skipIf(CURL === null)('multipart with curl -F', () => {
  it('saves files to a temporary directory, fields as strings, and removes the files after the answer', async () => {
    const bytes = randomBytes(300 * 1024);
    writeFileSync(join(work, 'photo.bin'), bytes);
    const { port } = await servers.start(compose(multipart({ tmpdir: uploads }))(describeUpload));
    const res = await curl([
      '-F',
      'name=Ada',
      '-F',
      'tag=a',
      '-F',
      'tag=b',
      '-F',
      `photo=@${join(work, 'photo.bin')};type=image/png`,
      `http://127.0.0.1:${port}/up`,
    ]);
    const got = JSON.parse(res.stdout);
    expect(got.name).toBe('Ada');
    expect(got.tag).toEqual(['a', 'b']);
    expect(got.photo).toMatchObject({ filename: 'photo.bin', contentType: 'image/png', size: bytes.length, same: true });
    expect(got.photo.tempfile.startsWith(uploads)).toBe(true);
    await eventually(() => !existsSync(got.photo.tempfile), 3000, 'the temporary file to be removed');
    await eventually(() => readdirSync(uploads).length === 0, 3000, 'the temporary directory to be removed');
  });

  it('answers 413 naming the part over a limit, and 413 for too many files or fields', async () => {
    writeFileSync(join(work, 'big.bin'), randomBytes(200 * 1024));
    const { port } = await servers.start(
      compose(multipart({ tmpdir: uploads, maxFileSize: 100 * 1024, maxFiles: 1, maxFields: 2, maxFieldSize: 10 }))(describeUpload),
    );
    const big = await curl(['-i', '-F', `avatar=@${join(work, 'big.bin')}`, `http://127.0.0.1:${port}/up`]);
    expect(big.stdout).toMatch(/^HTTP\/1.1 413/);
    expect(big.stdout).toContain('File "avatar" ("big.bin") is over maxFileSize (102400 bytes)');
    const files = await curl(['-i', '-F', 'a=@/dev/null', '-F', 'b=@/dev/null', `http://127.0.0.1:${port}/up`]);
    expect(files.stdout).toContain('Too many files: file "b" ("null") is over maxFiles (1)');
    const fields = await curl(['-i', '-F', 'a=1', '-F', 'b=2', '-F', 'c=3', `http://127.0.0.1:${port}/up`]);
    expect(fields.stdout).toContain('Too many fields: field "c" is over maxFields (2)');
    const long = await curl(['-i', '-F', 'note=01234567890', `http://127.0.0.1:${port}/up`]);
    expect(long.stdout).toContain('Field "note" is over maxFieldSize (10 bytes)');
    await eventually(() => readdirSync(uploads).length === 0, 3000, 'the partial uploads to be removed');
  });
});

/** A python3 with requests (pyenv's has it here; Debian's python3-requests elsewhere). */
const PYTHON_REQUESTS = (() => {
  try {
    execFileSync('python3', ['-c', 'import requests'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    console.warn('multipart from Python requests skipped: python3 has no requests module (pip install requests)');
    return false;
  }
})();

describe.skipIf(!PYTHON_REQUESTS)('multipart from Python requests', () => {
  it('takes a file and fields as requests encodes them', async () => {
    const { port } = await servers.start(compose(multipart({ tmpdir: uploads }))(describeUpload));
    const script = `
import requests, sys
r = requests.post('http://127.0.0.1:${port}/up', data={'title': 'naïve'}, files={'doc': ('report.txt', b'x' * 100000, 'text/plain')}, timeout=10)
sys.stdout.write(r.text)
`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile('python3', ['-c', script], { timeout: 15_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(stderr)) : resolve(stdout),
      ),
    );
    const got = JSON.parse(out);
    expect(got.title).toBe('naïve');
    expect(got.doc).toMatchObject({ filename: 'report.txt', contentType: 'text/plain', size: 100000, same: true });
  });
});

describe.skipIf(CURL === null)("a chunked upload over the server's maxBody", () => {
  it('is answered 413 by the server; multipart logs nothing and leaves no temporary file', async () => {
    writeFileSync(join(work, 'over.bin'), randomBytes(300 * 1024));
    const { port, errors } = await servers.start(compose(multipart({ tmpdir: uploads }))(describeUpload), { maxBody: 100 * 1024 });
    const res = await curl(['-i', '-H', 'transfer-encoding: chunked', '-F', `f=@${join(work, 'over.bin')}`, `http://127.0.0.1:${port}/up`]);
    expect(res.stdout).toMatch(/HTTP\/1.1 413/);
    await eventually(() => readdirSync(uploads).length === 0, 3000, 'the partial upload to be removed');
    expect(errors).toEqual([]);
  });
});

describe('malformed multipart bodies are answered 400, saying what was wrong', () => {
  it('no boundary, a body without it, a truncated body, a header bomb, a part without a name', async () => {
    const { port } = await servers.start(compose(multipart({ tmpdir: uploads }))(describeUpload));
    expect(await raw(port, post('--XyZ--\r\n', 'multipart/form-data'))).toMatch(/^HTTP\/1.1 400[\s\S]*no boundary parameter/);
    expect(await raw(port, post('just text\r\n'))).toMatch(/^HTTP\/1.1 400[\s\S]*no boundary line/);
    const truncated = '--XyZ\r\ncontent-disposition: form-data; name="a"\r\n\r\nhello';
    expect(await raw(port, post(truncated))).toMatch(/^HTTP\/1.1 400[\s\S]*ended before the closing boundary \(truncated\)/);
    const bomb = `--XyZ\r\ncontent-disposition: form-data; name="a"\r\nx-junk: ${'j'.repeat(10_000)}\r\n\r\nhi\r\n--XyZ--\r\n`;
    expect(await raw(port, post(bomb))).toMatch(/^HTTP\/1.1 400[\s\S]*headers are over 8192 bytes/);
    const nameless = '--XyZ\r\ncontent-disposition: form-data\r\n\r\nhi\r\n--XyZ--\r\n';
    expect(await raw(port, post(nameless))).toMatch(/^HTTP\/1.1 400[\s\S]*no Content-Disposition: form-data with a name/);
    const ok = '--XyZ\r\ncontent-disposition: form-data; name="a"\r\n\r\nhi\r\n--XyZ--\r\n';
    expect(await raw(port, post(ok))).toMatch(/^HTTP\/1.1 200[\s\S]*\{"a":"hi"\}/);
  });
});

describe('multipart({ streams: true })', () => {
  it('hands the parts over one at a time, bodies as streams, nothing on disk', async () => {
    // A directory of its own: the tests before remove their uploads after their answers, which may
    // still be under way when this one looks.
    const own = mkdtempSync(join(tmpdir(), 'mw-multipart-streams-'));
    const app = compose(multipart({ streams: true, tmpdir: own }))(async (req) => {
      const seen: string[] = [];
      for await (const part of req.multipartParts!) {
        let size = 0;
        for await (const chunk of part.body) size += (chunk as Buffer).length;
        seen.push(`${part.name}:${part.filename}:${part.contentType}:${size}`);
      }
      return seen.join('\n');
    });
    const { port } = await servers.start(app);
    const file = 'z'.repeat(500_000);
    const body = `--XyZ\r\ncontent-disposition: form-data; name="a"\r\n\r\nhi\r\n--XyZ\r\ncontent-disposition: form-data; name="f"; filename="z.txt"\r\ncontent-type: text/plain\r\n\r\n${file}\r\n--XyZ--\r\n`;
    const got = await raw(port, post(body));
    expect(got).toMatch(/\r\n\r\na:null:text\/plain:2\nf:z.txt:text\/plain:500000$/);
    expect(readdirSync(own)).toEqual([]);
    rmSync(own, { recursive: true, force: true });
  });
});

describe('MultipartParser', () => {
  it('gives the same parts whatever the body is cut into', () => {
    const body = Buffer.from(
      'preamble\r\n--b0\r\ncontent-disposition: form-data; name="x"\r\n\r\none\r\n--b0  \r\ncontent-disposition: form-data; name="y"; filename="f"\r\n\r\n\r\n--b\r\n-two-\r\n--b0--\r\nepilogue',
    );
    const parse = (cuts: number[]): string => {
      let out = '';
      const parser = new MultipartParser('b0', 1024, {
        partBegin: (h) => (out += `[${h['content-disposition']}]`),
        partData: (b) => (out += b.toString()),
        partEnd: () => (out += '|'),
      });
      let from = 0;
      for (const cut of [...cuts, body.length]) {
        parser.push(body.subarray(from, cut));
        from = cut;
      }
      parser.finish();
      return out;
    };
    const whole = parse([]);
    expect(whole).toBe('[form-data; name="x"]one|[form-data; name="y"; filename="f"]\r\n--b\r\n-two-|');
    for (let a = 1; a < body.length; a++) expect(parse([a]), `cut at ${a}`).toBe(whole);
    for (let a = 1; a < body.length; a += 7) for (let b = a + 1; b < body.length; b += 5) expect(parse([a, b])).toBe(whole);
  });
});
