/**
 * The one way a group of options is applied over its table of defaults (as hls.js merges its
 * `config.ts`): each table entry holds the default and the bounds of one option, its doc comment
 * sits above it in `defaults.ts` (or `client/defaults.ts`). `undefined` never overrides a default;
 * a bad value is refused with the wording of every option error, `Expected \`x\` to be …, got …`.
 * No imports: the browser client resolves its own table with it.
 */

export interface OptionSpec<T = unknown> {
  readonly default: T;
  /** Smallest and largest value accepted (numbers, inclusive). */
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
  /** 0 is accepted whatever `min` says, and turns the feature off. */
  readonly zeroDisables?: boolean;
  /** The values accepted (strings). */
  readonly oneOf?: readonly T[];
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The values of a table: what code reads. */
export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T]: T[K]['default'] };

/** How a bad value is refused: `optionError` on the server, the client's own error in a browser. */
export type OptionFailure = (field: string, expected: string, got: unknown) => Error;

/** The defaults of a table, as a plain object. */
export function defaultsOf<T extends OptionTable>(table: T): Readonly<OptionValues<T>> {
  return Object.freeze(Object.fromEntries(Object.entries(table).map(([key, spec]) => [key, spec.default]))) as OptionValues<T>;
}

/**
 * The table's values with `given` applied over them: keys the table does not hold are left out (the
 * caller reads them itself), `undefined` keeps the default, anything else must pass the entry's bounds.
 */
export function resolveOptions<T extends OptionTable>(table: T, given: { readonly [K in keyof T]?: unknown } | undefined, fail: OptionFailure): OptionValues<T> {
  const resolved: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const value = (given as Record<string, unknown> | undefined)?.[key];
    resolved[key] = value === undefined ? spec.default : checked(key, spec, value, fail);
  }
  return resolved as OptionValues<T>;
}

function checked(key: string, spec: OptionSpec, value: unknown, fail: OptionFailure): unknown {
  const expected = typeof spec.default;
  if (spec.oneOf) {
    if (spec.oneOf.includes(value)) return value;
    throw fail(key, spec.oneOf.map((item) => JSON.stringify(item)).join(' or '), value);
  }
  if (expected === 'number') {
    if (typeof value === 'number' && value === 0 && spec.zeroDisables) return value;
    const min = spec.min ?? Number.NEGATIVE_INFINITY;
    const max = spec.max ?? Number.POSITIVE_INFINITY;
    const whole = !spec.integer || Number.isInteger(value) || value === Number.POSITIVE_INFINITY;
    if (typeof value === 'number' && !Number.isNaN(value) && whole && value >= min && value <= max && (Number.isFinite(value) || max === Number.POSITIVE_INFINITY)) return value;
    throw fail(key, numberRange(spec, min, max), value);
  }
  if (expected === 'object') {
    if (Array.isArray(spec.default) ? Array.isArray(value) : typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
    throw fail(key, Array.isArray(spec.default) ? 'an array' : 'an object', value);
  }
  if (typeof value === expected) return value;
  throw fail(key, expected === 'string' ? 'a string' : expected === 'boolean' ? 'true or false' : `a ${expected}`, value);
}

function numberRange(spec: OptionSpec, min: number, max: number): string {
  const kind = spec.integer ? 'an integer' : 'a number';
  const range =
    Number.isFinite(min) && Number.isFinite(max) ? ` from ${min} to ${max}` : Number.isFinite(min) ? ` >= ${min}` : Number.isFinite(max) ? ` <= ${max}` : '';
  return `${kind}${range}${spec.zeroDisables ? ' (0 disables it)' : ''}`;
}

/** The wording of every field and option error; `got` is the value as described (errors.ts `describe` on the server, which clips what clients send). */
export function expectedMessage(field: string, expected: string, got: string): string {
  return `Expected \`${field}\` to be ${expected}, got ${got}`;
}

/** A value in an option error, where nothing needs clipping (the browser client's own options). */
export function describeOption(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
