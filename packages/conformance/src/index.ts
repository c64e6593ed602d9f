/**
 * @http-kit/conformance: conformance suites for WebSocket and HTTP/1.1 peers in any language, as
 * a library (run a suite from a test runner, get the verdicts as data) and as the
 * `http-kit-conformance` command.
 *
 * @example
 * import { runWebSocketServerSuite } from '@http-kit/conformance';
 * const report = await runWebSocketServerSuite({ url: 'ws://127.0.0.1:9001/', cases: '6.*' });
 * console.log(report.counts); // { OK: 160, 'NON-STRICT': 0, INFORMATIONAL: 0, UNIMPLEMENTED: 0, FAILED: 0 }
 */
export {
  type CaseResult,
  countVerdicts,
  NonStrict,
  type Outcome,
  type Requirement,
  Unimplemented,
  Verdict,
  VERDICT_ORDER,
} from './verdict.js';
export { caseFilter, compareIds } from './select.js';
export { type CaseHost, type ConformanceCase, type RunOptions, runCase, runCases } from './run.js';
export { expect } from './expect.js';
export type { SuiteReport } from './report/suite-report.js';
export { renderHtml } from './report/html.js';
export {
  checkServerFrame,
  ClientDeflate,
  closePayload,
  cut,
  describeFrame,
  encodeFrame,
  expectedAccept,
  type FrameOptions,
  fragments,
  type HandshakeAnswer,
  Op,
  type OpenOptions,
  parseDeflateResponse,
  parseTarget,
  type PerMessageDeflateParams,
  RawWebSocket,
  readFrame,
  Rsv,
  type ServerFrame,
  show,
  type Split,
  type WebSocketTarget,
} from './websocket/raw-websocket.js';
export {
  closeCleanly,
  connect,
  connectDeflate,
  DEFLATE_OFFER,
  expectFailure,
  type WebSocketCase,
  WebSocketCaseContext,
  type WebSocketSuiteOptions,
} from './websocket/context.js';
export { pseudoRandom } from './websocket/bytes.js';
export { runWebSocketServerSuite, websocketServerCases } from './websocket/server-suite.js';
export { type HttpResponse, type HttpTarget, parseHttpTarget, RawHttp, showBytes } from './http/raw-http.js';
export { type HttpCase, HttpCaseContext, type HttpServerSuiteOptions } from './http/context.js';
export { httpServerCases } from './http/cases.js';
export { runHttpServerSuite } from './http/suite.js';
export {
  type ClientRun,
  type HttpClientCase,
  HttpClientCaseContext,
  type HttpClientSuiteOptions,
  httpClientCases,
  runHttpClientSuite,
} from './http/client-suite.js';
export {
  runWebSocketClientSuite,
  WebSocketClientCaseContext,
  type WebSocketClientSuiteOptions,
  websocketClientCases,
} from './websocket/client-suite.js';
export {
  acceptDeflate,
  type DeflateAgreement,
  type DeflateOffer,
  type DeflateRequest,
  readDeflateOffers,
} from './websocket/deflate-accept.js';
export { Conversation, type Event as ConversationEvent } from './websocket/autobahn/conversation.js';
export { autobahnCases, type ConversationHost } from './websocket/autobahn/cases.js';
