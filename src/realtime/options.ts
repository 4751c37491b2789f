import { realtimeOptions } from '../defaults.js';
import { optionError } from '../errors.js';
import { type OptionValues, resolveOptions } from '../option-table.js';
import type { AuthOptions } from './auth.js';

/** Every option of `realtimeOptions` (defaults.ts: default, bounds and meaning of each), resolved. */
export type RealtimeLimits = OptionValues<typeof realtimeOptions>;

export interface RealtimeOptions extends Partial<RealtimeLimits>, AuthOptions {}

export interface ResolvedRealtimeOptions extends RealtimeLimits, AuthOptions {}

/** Applies options over `realtimeOptions`; a bad value throws E_OPTION naming the option. */
export function resolveRealtimeOptions(options: RealtimeOptions = {}): ResolvedRealtimeOptions {
  const { jwtSecret, jwksFile, jwtIssuer, jwtAudience, allowAnonymous } = options;
  const resolved: ResolvedRealtimeOptions = { ...resolveOptions(realtimeOptions, options, optionError), jwtSecret, jwksFile, jwtIssuer, jwtAudience, allowAnonymous };
  if (resolved.wsMaxMessageBytes > resolved.wsMaxPayloadBytes) {
    throw optionError('wsMaxMessageBytes', `at most wsMaxPayloadBytes (${resolved.wsMaxPayloadBytes})`, resolved.wsMaxMessageBytes);
  }
  for (const path of ['wsPath', 'eventsPath'] as const) {
    if (!resolved[path].startsWith('/')) throw optionError(path, 'a path starting with /', resolved[path]);
  }
  return resolved;
}
