// Conformance of our WebSocket server, group 7 of the Autobahn|Testsuite numbering (the closing
// handshake: codes, reasons, what comes before and after the close frame, with and without
// permessage-deflate): Autobahn's cases and the kit's own, against our server with
// permessage-deflate compressing everything (threshold 0) and with its default threshold.
import { echoServer, kitCases } from './support/conformance.js';

const deflate = echoServer({ perMessageDeflate: { threshold: 0 } });
const deflateDefault = echoServer({ perMessageDeflate: true });

// 7.1.6 and 7.13.x are implementation defined in Autobahn: INFORMATIONAL whatever the server does.
kitCases(deflate, '7.*', { expected: { '7.1.6': 'INFORMATIONAL', '7.13.1': 'INFORMATIONAL', '7.13.2': 'INFORMATIONAL' } });
kitCases(deflateDefault, '7.x.*', { only: /permessage-deflate/ });
