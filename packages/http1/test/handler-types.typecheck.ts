// Compiled by `npm run typecheck`, never run: each @ts-expect-error line must stay an error,
// so handler results and channel hand-offs stay precise enough to catch these mistakes.
import {
  asChannel,
  asEventStream,
  asyncResponse,
  runServer,
  switchProtocol,
  type Handler,
  type HandlerResult,
  type Response,
} from '@http-kit/http1';

export const fine: Handler[] = [
  () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' }),
  async () => ({ status: 204 }),
  () => 'bare text',
  () => Buffer.from('bytes'),
  () => null,
  () => ({ body: 'no status: 200' }),
  () => ({ headers: { 'x-only': 'headers' } }),
  () => ({}),
  (req) => (req.uri === '/' ? { status: 404 } : { body: 'either shape' }),
  (req) => ({ status: req.uri === '/' ? 201 : undefined, body: 'a status that may be undefined' }),
  (): Response => ({ status: 200, body: 'typed' }),
  (req) => asChannel(req, { onOpen: (ch) => ch.send('later') }),
  (req) => asyncResponse(req, (respond) => respond('later')),
  (req) => asEventStream(req, {}),
  (req) =>
    switchProtocol(req, { upgrade: 'x' }, (host) => ({
      onData: (b: Buffer) => b.length,
      onEnd: () => host.end(),
      onDrain() {},
      onTimeout() {},
      onShutdown() {},
      onClose() {},
    })),
];

// @ts-expect-error a misspelt status is not a response
export const misspelt: Handler = () => ({ staus: 200 });
// @ts-expect-error neither is it in an async handler
export const misspeltAsync: Handler = async () => ({ staus: 200 });
// @ts-expect-error a misspelt status next to a body is not a response either
export const misspeltWithBody: Handler = () => ({ staus: 201, body: 'x' });
// @ts-expect-error nor in an async handler
export const misspeltWithBodyAsync: Handler = async () => ({ staus: 201, body: 'x' });
// @ts-expect-error nor with headers
export const misspeltWithHeaders: Handler = () => ({ staus: 201, headers: { 'x-a': '1' } });
// @ts-expect-error nor as a HandlerResult
export const misspeltResult: HandlerResult = { staus: 201, body: 'x' };
// @ts-expect-error nor passed straight to runServer
export const misspeltInline = () => runServer(() => ({ staus: 201, body: 'x' }));
// @ts-expect-error nor sent on a channel later
export const misspeltLater: Handler = (req) => asyncResponse(req, (respond) => respond({ staus: 201, body: 'x' }));
// @ts-expect-error a number is not a response
export const aNumber: Handler = () => 200;
// @ts-expect-error a status must be a number
export const statusText: Handler = () => ({ status: '200' });
// @ts-expect-error a plain object is not what asChannel returns
export const fakeHandOff: HandlerResult = { handedOff: true };
// @ts-expect-error asChannel's result is a hand-off, not a channel to call send on
export const notAChannel = (req: Parameters<Handler>[0]) => asChannel(req).send('x');

void runServer;
