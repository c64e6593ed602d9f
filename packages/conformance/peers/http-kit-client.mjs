// @http-kit/client as the command of `http-kit-conformance http-client` (README results): fetches
// $CONFORMANCE_URL, prints the body, exits 0 only for a response it read whole.
// Usage: http-kit-conformance http-client --command 'node peers/http-kit-client.mjs'
import { get } from '@http-kit/client';

const res = await get(process.env.CONFORMANCE_URL, { timeout: 5_000, as: 'buffer' });
if (res.error) {
  process.stderr.write(`${res.error.code}: ${res.error.message}\n`);
  process.exit(1);
}
process.stdout.write(res.body);
process.exit(res.status >= 200 && res.status < 300 ? 0 : 2);
