import { describe, expect, it } from 'vitest';
import { RealtimeClient } from '../../src/client/index.js';
import { serveOptions, streamingOptions } from '../../src/defaults.js';
import { optionError } from '../../src/errors.js';
import { defaultsOf, type OptionTable, resolveOptions } from '../../src/option-table.js';
import { AdaptiveStreamingManager } from '../../src/streaming/manager.js';

const table = {
  retries: { default: 3, min: 1, max: 10, integer: true },
  intervalMs: { default: 1000, min: 10, zeroDisables: true },
  ratio: { default: 0.5, min: 0, max: 1 },
  attempts: { default: Number.POSITIVE_INFINITY, min: 0, integer: true },
  mode: { default: 'fast' as 'fast' | 'safe', oneOf: ['fast', 'safe'] as ('fast' | 'safe')[] },
  path: { default: '/x' },
  caps: { default: { a: 1 } as Readonly<Record<string, number>> },
} satisfies OptionTable;

describe('resolveOptions: one way to apply a table of defaults', () => {
  it('keeps the default where an option is absent or undefined, takes any value within the bounds', () => {
    expect(resolveOptions(table, { retries: undefined, ratio: 1, attempts: 7, mode: 'safe', intervalMs: 0, other: 'ignored' } as never, optionError)).toEqual({
      ...defaultsOf(table),
      ratio: 1,
      attempts: 7,
      mode: 'safe',
      intervalMs: 0,
    });
    expect(resolveOptions(table, undefined, optionError)).toEqual(defaultsOf(table));
  });

  it('refuses a value out of bounds with the one wording, naming the option', () => {
    const refused = (given: Record<string, unknown>) => {
      try {
        resolveOptions(table, given, optionError);
      } catch (error) {
        return error;
      }
      throw new Error('expected a refusal');
    };
    expect(refused({ retries: 2.5 })).toMatchObject({ code: 'E_OPTION', field: 'retries', message: 'Expected `retries` to be an integer from 1 to 10, got number 2.5' });
    expect(refused({ retries: '3' })).toMatchObject({ message: 'Expected `retries` to be an integer from 1 to 10, got "3"' });
    expect(refused({ intervalMs: 5 })).toMatchObject({ message: 'Expected `intervalMs` to be a number >= 10 (0 disables it), got number 5' });
    expect(refused({ ratio: Number.NaN })).toMatchObject({ field: 'ratio' });
    expect(refused({ ratio: Number.POSITIVE_INFINITY })).toMatchObject({ field: 'ratio' });
    expect(refused({ mode: 'slow' })).toMatchObject({ message: 'Expected `mode` to be "fast" or "safe", got "slow"' });
    expect(refused({ path: 3 })).toMatchObject({ message: 'Expected `path` to be a string, got number 3' });
    expect(refused({ caps: [] })).toMatchObject({ message: 'Expected `caps` to be an object, got an array' });
  });

  it('is what serve, streaming and the client apply: an undefined option no longer hides a default', () => {
    expect(resolveOptions(serveOptions, { fileCacheTtlMs: undefined }, optionError).fileCacheTtlMs).toBe(1000);
    const manager = new AdaptiveStreamingManager({ getTrack: async () => undefined }, { maxSessions: undefined });
    expect(manager.options.maxSessions).toBe(streamingOptions.maxSessions.default);
    expect(() => new AdaptiveStreamingManager({ getTrack: async () => undefined }, { downBufferHealthPct: 130 })).toThrow(
      'Expected `downBufferHealthPct` to be a number from 0 to 100, got number 130',
    );
    expect(() => new RealtimeClient({ url: 'ws://127.0.0.1:1/api/ws', reconnect: { jitter: 2 } })).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
  });
});
