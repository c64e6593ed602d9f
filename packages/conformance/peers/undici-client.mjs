// undici's fetch as the command of `http-kit-conformance http-client` (README results).
// Usage: http-kit-conformance http-client --command 'node peers/undici-client.mjs'
import { fetch } from 'undici';

try {
  const res = await fetch(process.env.CONFORMANCE_URL, { signal: AbortSignal.timeout(5_000) });
  const body = Buffer.from(await res.arrayBuffer());
  process.stdout.write(body);
  process.exit(res.ok ? 0 : 2);
} catch (error) {
  process.stderr.write(`${error.cause?.code ?? error.name}: ${error.message}\n`);
  process.exit(1);
}
