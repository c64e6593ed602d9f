/**
 * Header maps built from a parser's raw name/value list: lower-cased names, repeats joined.
 * A request map joins every repeat into one string (Cookie with "; ", RFC 9110 5.3); a response
 * map keeps Set-Cookie as an array, since its values cannot be joined (RFC 6265 3).
 */
import { lowerCaseName } from './header-names.js';

/** Request headers; `out.hostCount` tells how many Host fields there were (RFC 9112 3.2 wants one). */
export function requestHeaderMap(raw: string[], out: { hostCount: number }): Record<string, string> {
  const headers: Record<string, string> = {};
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = lowerCaseName(raw[i]);
    const value = raw[i + 1];
    if (name === 'host') hosts++;
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else headers[name] = previous + (name === 'cookie' ? '; ' : ', ') + value;
  }
  out.hostCount = hosts;
  return headers;
}

/** Response headers (and trailers): repeats joined with ", ", set-cookie always an array. */
export function responseHeaderMap(raw: string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) {
    const name = lowerCaseName(raw[i]);
    const value = raw[i + 1];
    const previous = headers[name];
    if (previous === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (typeof previous === 'string') headers[name] = previous + ', ' + value;
    else previous.push(value);
  }
  return headers;
}
