/**
 * Request bytes for the parser tests: valid requests (each with what a correct parse yields) and
 * malformed ones (each with the llhttp error it must stop at). Strings are latin1: one char, one byte.
 */

/** What one parsed message must hold; fields left out are not checked. */
export interface ExpectedMessage {
  method: string;
  url: string;
  version?: string;
  headers?: string[];
  /** Trailer fields of a chunked body, names and values alternating. */
  trailers?: string[];
  keepAlive?: boolean;
  upgrade?: boolean;
  body?: string;
}

export interface ValidCase {
  name: string;
  bytes: string;
  messages: ExpectedMessage[];
  /** For upgrade and CONNECT: the bytes after the head, which belong to the new protocol. */
  tail?: string;
}

export interface MalformedCase {
  name: string;
  bytes: string;
  /** llhttp's error name, e.g. HPE_INVALID_HEADER_TOKEN. */
  error: string;
}

const CRLF = '\r\n';

/** A request head from its lines, ended by the empty line. */
function head(...lines: string[]): string {
  return lines.join(CRLF) + CRLF + CRLF;
}

const browserHeaders = [
  'Host',
  'www.example.com',
  'Connection',
  'keep-alive',
  'sec-ch-ua',
  '"Chromium";v="128", "Not;A=Brand";v="24", "Google Chrome";v="128"',
  'sec-ch-ua-mobile',
  '?0',
  'sec-ch-ua-platform',
  '"Linux"',
  'Upgrade-Insecure-Requests',
  '1',
  'User-Agent',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36',
  'Accept',
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'Sec-Fetch-Site',
  'none',
  'Sec-Fetch-Mode',
  'navigate',
  'Sec-Fetch-User',
  '?1',
  'Sec-Fetch-Dest',
  'document',
  'Accept-Encoding',
  'gzip, deflate, br, zstd',
  'Accept-Language',
  'en-GB,en;q=0.9,fr;q=0.8',
  'Cookie',
  'session=0123456789abcdef; theme=dark; _ga=GA1.2.12345.67890',
];

function headerLines(pairs: string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) lines.push(`${pairs[i]}: ${pairs[i + 1]}`);
  return lines;
}

const longUrl = '/search?' + Array.from({ length: 120 }, (_, i) => `k${i}=v${i}x${'y'.repeat(i % 7)}`).join('&');

/** Every byte value, so body framing is checked on CR, LF and NUL inside the body. */
const allBytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');

const manyHeaders: string[] = [];
for (let i = 0; i < 100; i++) manyHeaders.push(`X-Header-${i}`, `value-${i}`);

const obsText = 'caf\xe9 \x80\x9f\xa0\xff end';

const xml = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>';

export const VALID: ValidCase[] = [
  {
    name: 'minimal GET',
    bytes: head('GET / HTTP/1.1', 'Host: a'),
    messages: [{ method: 'get', url: '/', version: '1.1', headers: ['Host', 'a'], keepAlive: true, upgrade: false, body: '' }],
  },
  {
    name: 'browser GET with many headers',
    bytes: head('GET /index.html?lang=en HTTP/1.1', ...headerLines(browserHeaders)),
    messages: [{ method: 'get', url: '/index.html?lang=en', headers: browserHeaders, keepAlive: true, body: '' }],
  },
  {
    name: 'GET with 100 headers',
    bytes: head('GET /many HTTP/1.1', ...headerLines(manyHeaders)),
    messages: [{ method: 'get', url: '/many', headers: manyHeaders }],
  },
  {
    name: 'POST with Content-Length body',
    bytes:
      head('POST /api/items HTTP/1.1', 'Host: api', 'Content-Type: application/json', 'Content-Length: 27') +
      '{"name":"widget","qty":12}\n',
    messages: [{ method: 'post', url: '/api/items', body: '{"name":"widget","qty":12}\n', keepAlive: true }],
  },
  {
    name: 'POST with Content-Length 0',
    bytes: head('POST /empty HTTP/1.1', 'Content-Length: 0'),
    messages: [{ method: 'post', url: '/empty', body: '' }],
  },
  {
    name: 'POST with every byte value in the body',
    bytes: head('POST /bin HTTP/1.1', 'Content-Type: application/octet-stream', 'Content-Length: 256') + allBytes,
    messages: [{ method: 'post', url: '/bin', body: allBytes }],
  },
  {
    name: 'chunked body with extensions and trailers',
    bytes:
      head('POST /upload HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked', 'Trailer: X-Checksum, X-Count') +
      '5;name=value\r\nhello\r\n' +
      '1;quoted="a \\"b\\" c";flag\r\n,\r\n' +
      '6\r\n world\r\n' +
      '0\r\nX-Checksum: abc123\r\nX-Count: 3 \t \r\n\r\n',
    messages: [
      {
        method: 'post',
        url: '/upload',
        headers: ['Host', 'a', 'Transfer-Encoding', 'chunked', 'Trailer', 'X-Checksum, X-Count'],
        trailers: ['X-Checksum', 'abc123', 'X-Count', '3'],
        body: 'hello, world',
      },
    ],
  },
  {
    name: 'chunked body with upper-case hex and leading zeros',
    bytes: head('PUT /f HTTP/1.1', 'Transfer-Encoding: chunked') + '00A\r\n0123456789\r\n1A\r\n' + 'z'.repeat(26) + '\r\n0\r\n\r\n',
    messages: [{ method: 'put', url: '/f', body: '0123456789' + 'z'.repeat(26), trailers: [] }],
  },
  {
    name: 'chunked with a final Transfer-Encoding list',
    bytes: head('POST /g HTTP/1.1', 'Transfer-Encoding: gzip, chunked') + '3\r\n\x1f\x8b\x08\r\n0\r\n\r\n',
    messages: [{ method: 'post', url: '/g', body: '\x1f\x8b\x08' }],
  },
  {
    name: 'pipelined GET pair',
    bytes: head('GET /a HTTP/1.1', 'Host: a') + head('GET /b HTTP/1.1', 'Host: b'),
    messages: [
      { method: 'get', url: '/a', headers: ['Host', 'a'] },
      { method: 'get', url: '/b', headers: ['Host', 'b'] },
    ],
  },
  {
    name: 'pipelined POST then GET',
    bytes:
      head('POST /form HTTP/1.1', 'Content-Type: application/x-www-form-urlencoded', 'Content-Length: 11') +
      'a=1&b=2&c=3' +
      head('GET /next HTTP/1.1', 'Host: n'),
    messages: [
      { method: 'post', url: '/form', body: 'a=1&b=2&c=3' },
      { method: 'get', url: '/next', body: '' },
    ],
  },
  {
    name: 'pipelined chunked POST then DELETE, PATCH',
    bytes:
      head('POST /c HTTP/1.1', 'Transfer-Encoding: chunked') +
      '4\r\nwiki\r\n0\r\n\r\n' +
      head('DELETE /c/1 HTTP/1.1', 'Host: a') +
      head('PATCH /c/2 HTTP/1.1', 'Content-Length: 2') +
      '{}',
    messages: [
      { method: 'post', url: '/c', body: 'wiki' },
      { method: 'delete', url: '/c/1', body: '' },
      { method: 'patch', url: '/c/2', body: '{}' },
    ],
  },
  {
    name: 'empty lines between pipelined requests',
    bytes: head('GET /1 HTTP/1.1') + '\r\n' + head('GET /2 HTTP/1.1'),
    messages: [
      { method: 'get', url: '/1' },
      { method: 'get', url: '/2' },
    ],
  },
  {
    name: 'long URL',
    bytes: head(`GET ${longUrl} HTTP/1.1`, 'Host: a'),
    messages: [{ method: 'get', url: longUrl }],
  },
  {
    name: 'absolute-form URL',
    bytes: head('GET http://user@example.com:8080/p/a/t/h?query=string#hash HTTP/1.1', 'Host: example.com:8080'),
    messages: [{ method: 'get', url: 'http://user@example.com:8080/p/a/t/h?query=string#hash' }],
  },
  {
    name: 'empty header values',
    bytes: head('GET /e HTTP/1.1', 'X-Empty:', 'X-Empty-Space: ', 'Host: a', 'X-Last:'),
    messages: [{ method: 'get', url: '/e', headers: ['X-Empty', '', 'X-Empty-Space', '', 'Host', 'a', 'X-Last', ''] }],
  },
  {
    name: 'header values with leading and trailing whitespace',
    bytes: head('GET /ws HTTP/1.1', 'X-A: trailing   ', 'X-B:\tt\tab\t', 'X-C:    lead', 'X-D: in  side \t '),
    messages: [{ method: 'get', url: '/ws', headers: ['X-A', 'trailing', 'X-B', 't\tab', 'X-C', 'lead', 'X-D', 'in  side'] }],
  },
  {
    name: 'header values with colons, quotes and commas',
    bytes: head('GET /q HTTP/1.1', 'X-Url: http://a:1/b', 'ETag: W/"abc:def"', 'Accept: a/b, c/d;q=0.5', 'X-Cased-NAME: MiXeD'),
    messages: [
      {
        method: 'get',
        url: '/q',
        headers: ['X-Url', 'http://a:1/b', 'ETag', 'W/"abc:def"', 'Accept', 'a/b, c/d;q=0.5', 'X-Cased-NAME', 'MiXeD'],
      },
    ],
  },
  {
    name: 'obs-text bytes in header values',
    bytes: head('GET /latin1 HTTP/1.1', `X-Latin1: ${obsText}`, `Content-Disposition: attachment; filename="r\xe9sum\xe9.pdf"`),
    messages: [
      { method: 'get', url: '/latin1', headers: ['X-Latin1', obsText, 'Content-Disposition', 'attachment; filename="r\xe9sum\xe9.pdf"'] },
    ],
  },
  {
    name: 'duplicate header names',
    bytes: head('GET /d HTTP/1.1', 'Cookie: a=1', 'Cookie: b=2', 'Accept: x', 'accept: y'),
    messages: [{ method: 'get', url: '/d', headers: ['Cookie', 'a=1', 'Cookie', 'b=2', 'Accept', 'x', 'accept', 'y'] }],
  },
  {
    name: 'HTTP/1.0 without keep-alive',
    bytes: head('GET /old HTTP/1.0', 'User-Agent: curl/7'),
    messages: [{ method: 'get', url: '/old', version: '1.0', keepAlive: false }],
  },
  {
    name: 'HTTP/1.0 with Connection: keep-alive',
    bytes: head('GET /old-ka HTTP/1.0', 'Connection: keep-alive'),
    messages: [{ method: 'get', url: '/old-ka', version: '1.0', keepAlive: true }],
  },
  {
    name: 'HTTP/1.1 with Connection: close',
    bytes: head('GET /bye HTTP/1.1', 'Connection: close'),
    messages: [{ method: 'get', url: '/bye', version: '1.1', keepAlive: false }],
  },
  {
    name: 'WebSocket upgrade with frame bytes after the head',
    bytes:
      head(
        'GET /chat HTTP/1.1',
        'Host: a',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
      ) + '\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58',
    messages: [{ method: 'get', url: '/chat', upgrade: true, body: '' }],
    tail: '\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58',
  },
  {
    name: 'CONNECT with tunnel bytes after the head',
    bytes:
      head('CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443', 'Proxy-Authorization: Basic dTpw') + '\x16\x03\x01\x02\x00\x01',
    messages: [{ method: 'connect', url: 'example.com:443', upgrade: true }],
    tail: '\x16\x03\x01\x02\x00\x01',
  },
  {
    name: 'PROPFIND with an XML body',
    bytes: head('PROPFIND /dav/ HTTP/1.1', 'Depth: 1', 'Content-Type: application/xml', `Content-Length: ${xml.length}`) + xml,
    messages: [{ method: 'propfind', url: '/dav/', body: xml }],
  },
  {
    name: 'OPTIONS * and HEAD',
    bytes: head('OPTIONS * HTTP/1.1', 'Host: a') + head('HEAD /h HTTP/1.1', 'Host: a'),
    messages: [
      { method: 'options', url: '*' },
      { method: 'head', url: '/h' },
    ],
  },
  {
    name: 'Expect: 100-continue with a body',
    bytes: head('PUT /big HTTP/1.1', 'Expect: 100-continue', 'Content-Length: 10') + '0123456789',
    messages: [{ method: 'put', url: '/big', headers: ['Expect', '100-continue', 'Content-Length', '10'], body: '0123456789' }],
  },
];

const post = (...lines: string[]) => head('POST / HTTP/1.1', ...lines);

export const MALFORMED: MalformedCase[] = [
  { name: 'bare CR in a header value', bytes: head('GET / HTTP/1.1', 'X: a\rb'), error: 'HPE_LF_EXPECTED' },
  { name: 'bare CR ending a header line', bytes: 'GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n', error: 'HPE_LF_EXPECTED' },
  { name: 'LF-only line endings', bytes: 'GET / HTTP/1.1\nHost: a\n\n', error: 'HPE_INVALID_VERSION' },
  { name: 'NUL in a header value', bytes: head('GET / HTTP/1.1', 'X: a\0b'), error: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'DEL in a header value', bytes: head('GET / HTTP/1.1', 'X: a\x7fb'), error: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'space before the colon', bytes: head('GET / HTTP/1.1', 'Host : a'), error: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'control byte in a header name', bytes: head('GET / HTTP/1.1', 'X\x01: a'), error: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'header line without a colon', bytes: head('GET / HTTP/1.1', 'NoColonHere'), error: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'obs-fold continuation line', bytes: head('GET / HTTP/1.1', 'X: a', ' b'), error: 'HPE_INVALID_HEADER_TOKEN' },
  {
    name: 'Content-Length with Transfer-Encoding',
    bytes: post('Content-Length: 5', 'Transfer-Encoding: chunked') + '0\r\n\r\n',
    error: 'HPE_INVALID_TRANSFER_ENCODING',
  },
  {
    name: 'duplicate Content-Length, same value',
    bytes: post('Content-Length: 5', 'Content-Length: 5') + 'hello',
    error: 'HPE_UNEXPECTED_CONTENT_LENGTH',
  },
  {
    name: 'duplicate Content-Length, different values',
    bytes: post('Content-Length: 5', 'Content-Length: 6') + 'hello!',
    error: 'HPE_UNEXPECTED_CONTENT_LENGTH',
  },
  { name: 'Content-Length +5', bytes: post('Content-Length: +5') + 'hello', error: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length -1', bytes: post('Content-Length: -1'), error: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length 0x5', bytes: post('Content-Length: 0x5') + 'hello', error: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length "5 5"', bytes: post('Content-Length: 5 5') + 'hello', error: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'empty Content-Length', bytes: post('Content-Length: ') + 'hello', error: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length overflow', bytes: post('Content-Length: 99999999999999999999') + 'hello', error: 'HPE_INVALID_CONTENT_LENGTH' },
  {
    name: 'Content-Length in a trailer',
    bytes: post('Transfer-Encoding: chunked') + '0\r\nContent-Length: 5\r\n\r\n',
    error: 'HPE_INVALID_CONTENT_LENGTH',
  },
  {
    name: 'chunked not last in Transfer-Encoding',
    bytes: post('Transfer-Encoding: chunked, gzip'),
    error: 'HPE_INVALID_TRANSFER_ENCODING',
  },
  {
    name: 'request Transfer-Encoding without chunked',
    bytes: post('Transfer-Encoding: gzip') + 'abc',
    error: 'HPE_INVALID_TRANSFER_ENCODING',
  },
  { name: 'non-hex chunk size', bytes: post('Transfer-Encoding: chunked') + 'zz\r\n', error: 'HPE_INVALID_CHUNK_SIZE' },
  { name: 'space after chunk size', bytes: post('Transfer-Encoding: chunked') + '3 \r\nabc\r\n0\r\n\r\n', error: 'HPE_INVALID_CHUNK_SIZE' },
  { name: 'chunk size overflow', bytes: post('Transfer-Encoding: chunked') + 'ffffffffffffffffff\r\n', error: 'HPE_INVALID_CHUNK_SIZE' },
  { name: 'chunk data without CRLF', bytes: post('Transfer-Encoding: chunked') + '3\r\nabcX\r\n0\r\n\r\n', error: 'HPE_STRICT' },
  {
    name: 'control byte in a chunk extension',
    bytes: post('Transfer-Encoding: chunked') + '3;a\x01=b\r\nabc\r\n0\r\n\r\n',
    error: 'HPE_STRICT',
  },
  { name: 'invalid method', bytes: head('G@T / HTTP/1.1'), error: 'HPE_INVALID_METHOD' },
  {
    name: 'bytes after a body are not a request',
    bytes: post('Content-Length: 2') + 'abXYZ / HTTP/1.1\r\n\r\n',
    error: 'HPE_INVALID_METHOD',
  },
  { name: 'NUL in the URL', bytes: head('GET /a\0b HTTP/1.1'), error: 'HPE_INVALID_URL' },
  { name: 'space in the URL', bytes: head('GET /a b HTTP/1.1'), error: 'HPE_INVALID_CONSTANT' },
  { name: 'HTTP/1.2', bytes: head('GET / HTTP/1.2'), error: 'HPE_INVALID_VERSION' },
  { name: 'CR without LF ending the head', bytes: 'GET / HTTP/1.1\r\nHost: a\r\n\rX', error: 'HPE_STRICT' },
];
