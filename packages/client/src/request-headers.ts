/**
 * A request's own header lines: the caller's `headers`, checked with the codec's header checks,
 * then those other options imply (Authorization, Content-Type). Host, framing and the client's
 * defaults are the writer's; the `HAS_*` bits say which of those the caller's headers replace,
 * so that the writer does not look through the names again.
 */
import { isFieldValue, isToken } from '@http-kit/http1/codec';
import { InvalidRequestError } from './errors.js';

/** Header fields as a caller gives them: a value, or several (a line each); null and undefined are skipped. */
export type HeaderInput = Record<string, string | number | ReadonlyArray<string> | null | undefined>;

// Header names the caller set that replace what the client would send.
export const HAS_USER_AGENT = 1;
export const HAS_ACCEPT_ENCODING = 2;
export const HAS_CONTENT_TYPE = 4;
export const HAS_CONTENT_LENGTH = 8;
export const HAS_TRANSFER_ENCODING = 16;
export const HAS_HOST = 32;
export const HAS_AUTHORIZATION = 64;
export const HAS_CONNECTION = 128;
/** The request asks for an upgrade: a 101 to it hands the socket over (see HttpUpgrade). */
export const HAS_UPGRADE = 256;

/** A prepared request's header lines. */
export interface PreparedHeaders {
  /** Header lines besides Host, framing and the defaults (names as given). Null when none. */
  headerNames: string[] | null;
  headerValues: string[] | null;
  /** Which defaults the caller's headers replace (HAS_* bits). */
  headerFlags: number;
}

/** Fills `into` with the caller's `headers`, and `auth` as Authorization unless they hold one. */
export function prepareHeaders(into: PreparedHeaders, headers: HeaderInput | null | undefined, auth: string | null): void {
  let names: string[] | null = null;
  let values: string[] | null = null;
  let flags = 0;
  if (headers !== undefined && headers !== null) {
    names = [];
    values = [];
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || value === null) continue;
      if (!isToken(name)) throw new InvalidRequestError(`invalid header name ${JSON.stringify(name)}`);
      flags |= flagOf(name);
      if (typeof value === 'object') {
        for (let i = 0; i < value.length; i++) pushHeader(names, values, name, String(value[i]));
      } else {
        pushHeader(names, values, name, String(value));
      }
    }
  }
  if (auth !== null && (flags & HAS_AUTHORIZATION) === 0) {
    names ??= [];
    values ??= [];
    pushHeader(names, values, 'Authorization', auth);
    flags |= HAS_AUTHORIZATION;
  }
  into.headerNames = names;
  into.headerValues = values;
  into.headerFlags = flags;
}

/** Adds the Content-Type a body option implies, unless the caller's headers set one. */
export function addContentType(into: PreparedHeaders, contentType: string): void {
  if ((into.headerFlags & HAS_CONTENT_TYPE) !== 0) return;
  pushHeader((into.headerNames ??= []), (into.headerValues ??= []), 'Content-Type', contentType);
}

function pushHeader(names: string[], values: string[], name: string, value: string): void {
  if (!isFieldValue(value))
    throw new InvalidRequestError(`invalid value for header ${name}: ${JSON.stringify(value)} (one line of latin1 text)`);
  names.push(name);
  values.push(value);
}

function flagOf(name: string): number {
  switch (name.length) {
    case 7:
      return name.toLowerCase() === 'upgrade' ? HAS_UPGRADE : 0;
    case 4:
      return name.toLowerCase() === 'host' ? HAS_HOST : 0;
    case 10:
      switch (name.toLowerCase()) {
        case 'user-agent':
          return HAS_USER_AGENT;
        case 'connection':
          return HAS_CONNECTION;
      }
      return 0;
    case 12:
      return name.toLowerCase() === 'content-type' ? HAS_CONTENT_TYPE : 0;
    case 13:
      return name.toLowerCase() === 'authorization' ? HAS_AUTHORIZATION : 0;
    case 14:
      return name.toLowerCase() === 'content-length' ? HAS_CONTENT_LENGTH : 0;
    case 15:
      return name.toLowerCase() === 'accept-encoding' ? HAS_ACCEPT_ENCODING : 0;
    case 17:
      return name.toLowerCase() === 'transfer-encoding' ? HAS_TRANSFER_ENCODING : 0;
  }
  return 0;
}
