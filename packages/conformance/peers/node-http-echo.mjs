// node:http as an echo server (h1spec's convention: 200, the request body back), for
// `http-kit-conformance http-server` (README results). Usage: node node-http-echo.mjs 9103
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => res.end(Buffer.concat(chunks)));
  req.on('error', () => res.destroy());
});
server.listen(Number(process.argv[2] ?? 9103), '127.0.0.1', () => console.log(`node:http echo on ${server.address().port}`));
