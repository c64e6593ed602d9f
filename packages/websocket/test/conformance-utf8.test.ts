// Conformance of our WebSocket server, group 6 of the Autobahn|Testsuite numbering (UTF-8 in
// text messages, RFC 6455 8.1): Autobahn's cases (Markus Kuhn's sequences, fail-fast) and the
// kit's own (every sequence whole, byte by byte, and cut at every offset), each judged OK.
// 6.4.3 and 6.4.4 (one frame in three writes, the bad byte in the second) are OK because text is
// checked as each read of a payload arrives (utf8-fail-fast.test.ts holds that to every split).
import { echoServer, kitCases } from './support/conformance.js';

const echo = echoServer();
kitCases(echo, '6.*');
