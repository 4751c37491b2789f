import { AsSent } from './errors.js';

/**
 * JSON from a client, parsed so that an error can report a number as it was sent: `1e20` is
 * `100000000000000000000` once parsed, and a message saying so confuses whoever sent `1e20`. The
 * reviver sees each number's source text (Node 22+, TC39 "JSON.parse source text access") and keeps
 * it, for the few numbers whose text differs from how JavaScript prints them, beside the object that
 * holds them. Nothing is kept for the others, and nothing changes in the parsed value.
 */
const numberSources = new WeakMap<object, Map<string, string>>();

type Reviver = (this: object, key: string, value: unknown, context?: { source?: string }) => unknown;

const keepSources: Reviver = function (key, value, context) {
  if (typeof value === 'number' && context?.source !== undefined && context.source !== String(value)) {
    let sources = numberSources.get(this);
    if (!sources) numberSources.set(this, (sources = new Map()));
    sources.set(key, context.source);
  }
  return value;
};

/** JSON.parse, remembering the source text of numbers for `asSent`. Throws JSON.parse's SyntaxError. */
export function parseJson(text: string): unknown {
  return JSON.parse(text, keepSources as (this: unknown, key: string, value: unknown) => unknown);
}

/** `holder[key]` for an error message: a number as the client wrote it, anything else as it is. */
export function asSent(holder: object, key: string | number): unknown {
  const source = numberSources.get(holder)?.get(String(key));
  return source === undefined ? (holder as Record<string, unknown>)[key] : new AsSent('number', source);
}
