// Compiled by `npm run typecheck`, never run: each @ts-expect-error line must stay an error,
// so handler results and channel hand-offs stay precise enough to catch these mistakes.
import { asChannel, asEventStream, asyncResponse, runServer, switchProtocol, type Handler, type HandlerResult } from '@http-kit/http1';

export const fine: Handler[] = [
  () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' }),
  async () => ({ status: 204 }),
  () => 'bare text',
  () => Buffer.from('bytes'),
  () => null,
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
// @ts-expect-error a number is not a response
export const aNumber: Handler = () => 200;
// @ts-expect-error a status must be a number
export const statusText: Handler = () => ({ status: '200' });
// @ts-expect-error a plain object is not what asChannel returns
export const fakeHandOff: HandlerResult = { handedOff: true };
// @ts-expect-error asChannel's result is a hand-off, not a channel to call send on
export const notAChannel = (req: Parameters<Handler>[0]) => asChannel(req).send('x');

void runServer;
