// @http-kit/websocket's client as the command of `http-kit-conformance websocket-client`:
// connects to $CONFORMANCE_URL and echoes every message; exits when the connection closes.
import { connect } from '@http-kit/websocket';

const { error } = await connect(process.env.CONFORMANCE_URL, {
  onReceive: (ch, message) => ch.send(message),
  onClose: () => process.exit(0),
});
if (error) {
  process.stderr.write(`${error.code}: ${error.message}\n`);
  process.exit(1);
}
