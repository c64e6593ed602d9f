/**
 * The shapes header fields take in our APIs.
 */

/** One header's value: a string, a number, or several (written as repeated lines). */
export type HeaderValue = string | number | readonly (string | number)[];
/** Header fields by name, as a handler returns them. */
export type HeaderFields = Record<string, HeaderValue | undefined>;
