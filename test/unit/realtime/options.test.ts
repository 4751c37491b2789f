import { expect, test } from 'vitest';
import { realtimeDefaults } from '../../../src/defaults.js';
import { Authenticator, authOptionsFromEnv } from '../../../src/realtime/auth.js';
import { resolveRealtimeOptions } from '../../../src/realtime/options.js';

test('defaults apply where no option is given', () => {
  const resolved = resolveRealtimeOptions({ wsMaxConnections: 5, wsIdleTimeoutMs: undefined });
  expect(resolved.wsMaxConnections).toBe(5);
  expect(resolved.wsIdleTimeoutMs).toBe(realtimeDefaults.wsIdleTimeoutMs);
  expect(resolved.wsPath).toBe('/api/ws');
});

test('bad limits throw E_OPTION in the one wording', () => {
  expect(() => resolveRealtimeOptions({ wsCommandBurst: 0 })).toThrow('Expected `wsCommandBurst` to be a number >= 1, got number 0');
  expect(() => resolveRealtimeOptions({ wsHeartbeatIntervalMs: -1 })).toThrow('Expected `wsHeartbeatIntervalMs` to be a number >= 0 (0 disables it), got number -1');
  expect(() => resolveRealtimeOptions({ wsMaxMessageBytes: 2048, wsMaxPayloadBytes: 1024 })).toThrow('Expected `wsMaxMessageBytes` to be at most wsMaxPayloadBytes (1024), got number 2048');
  expect(() => resolveRealtimeOptions({ wsPath: 'ws' })).toThrow('Expected `wsPath` to be a path starting with /, got "ws"');
});

test('a short HS256 secret is refused without being shown; a bad JWKS file is named', async () => {
  const error = await Authenticator.create(resolveRealtimeOptions({ jwtSecret: 'hunter2' })).catch((caught: unknown) => caught);
  expect(error).toMatchObject({ code: 'E_OPTION', field: 'jwtSecret', message: 'Expected `jwtSecret` to be at least 32 bytes (RFC 7518 section 3.2), got 7 bytes' });
  expect((error as Error).message).not.toContain('hunter2');
  await expect(Authenticator.create(resolveRealtimeOptions({ jwksFile: '/nonexistent/jwks.json' }))).rejects.toMatchObject({ code: 'E_OPTION', field: 'jwksFile' });
});

test('the serve CLI maps HLSAUDIO_JWT_* and HLSAUDIO_JWKS_FILE to auth options; empty values count as unset', () => {
  expect(authOptionsFromEnv({ HLSAUDIO_JWT_SECRET: 's', HLSAUDIO_JWKS_FILE: '', HLSAUDIO_JWT_ISSUER: 'iss', HLSAUDIO_JWT_AUDIENCE: 'aud' })).toEqual({
    jwtSecret: 's',
    jwksFile: undefined,
    jwtIssuer: 'iss',
    jwtAudience: 'aud',
  });
});
