// @http-kit/websocket's client with permessage-deflate offered, as the command of
// `http-kit-conformance websocket-client`: connects to $CONFORMANCE_URL and echoes every message;
// exits when the connection closes. Usage: node http-kit-deflate-echo-client.mjs
// ['{"clientNoContextTakeover":true}'] (its perMessageDeflate option as JSON; default true).
import { connect } from '@http-kit/websocket';

const { error } = await connect(process.env.CONFORMANCE_URL, {
  perMessageDeflate: JSON.parse(process.argv[2] ?? 'true'),
  onReceive: (ch, message) => ch.send(message),
  onClose: () => process.exit(0),
});
if (error) {
  process.stderr.write(`${error.code}: ${error.message}\n`);
  process.exit(1);
}
