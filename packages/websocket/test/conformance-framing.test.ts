// Conformance of our WebSocket server, groups 1-5 of the Autobahn|Testsuite numbering (framing,
// ping/pong, reserved bits, opcodes, fragmentation): Autobahn's cases and the kit's own
// (@http-kit/conformance, packages/conformance/src/websocket), each judged OK against our echo
// server.
import { echoServer, kitCases } from './support/conformance.js';

const echo = echoServer();
kitCases(echo, '1.*,2.*,3.*,4.*,5.*');
