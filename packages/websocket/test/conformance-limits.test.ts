// Conformance of our WebSocket server, group 9 of the Autobahn|Testsuite numbering (large
// messages, many fragments, many messages) and the kit's group 14 (deflate bombs, a frame
// announcing petabytes, a client that stops reading), each judged OK; and the message size
// limit: with maxMessageSize 64 KiB, the kit's cases that expect 1009 at a declared limit.
import { echoServer, kitCases } from './support/conformance.js';

const LIMIT = 64 * 1024;
const echo = echoServer({ perMessageDeflate: true });
const limited = echoServer({ maxMessageSize: LIMIT, perMessageDeflate: { threshold: 0 } });

// Group 9 without its slowest runs (8 and 16 MiB messages, 4 MiB in small fragments; the
// command runs them all): enough of each kind to catch a regression in CI's time.
kitCases(echo, '9.1.1,9.1.2,9.1.3,9.1.4,9.2.1,9.2.2,9.2.3,9.2.4,9.3.1,9.3.9,9.4.1,9.4.9,9.5.*,9.6.*,9.7.1,9.7.6,9.8.1,9.8.6,9.x.*');
kitCases(echo, '14.1,14.2,14.3,14.4');
kitCases(limited, '9.x.*,12.x.*', { maxMessageSize: LIMIT, only: /maxMessageSize/ });
