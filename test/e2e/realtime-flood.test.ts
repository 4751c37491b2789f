import { describe, expect, test } from 'vitest';
import { RealtimeClient } from '../../src/client/client.js';
import type { RealtimeClientError } from '../../src/client/errors.js';
import { CLOSE_CODES, type CommandResponse } from '../../src/realtime/protocol.js';
import { connect, startRealtimePerTest, until } from '../helpers/realtime.js';

const start = startRealtimePerTest();

/** Issue 9, point 1: four anonymous flooders pushed /healthz from 1 ms to 4.7 s; each dropped command was parsed and answered. */
describe('a connection flooding commands', () => {
  test('is not answered per dropped command, is warned once at the first drop, is closed with 1008, and the others are served meanwhile', async () => {
    const { wsUrl, realtime } = await start({
      options: { wsCommandRatePerSec: 5, wsCommandBurst: 10, wsRateLimitWarnRemaining: 3, wsFloodCloseAfterDrops: 50, wsFloodWindowMs: 10_000, wsCloseTimeoutMs: 300 },
    });
    const polite = await connect(wsUrl, { user_id: 'polite' });
    const flooder = await connect(wsUrl, { user_id: 'flooder' });
    const flood = 300;
    for (let i = 0; i < flood; i++) flooder.sendRaw(JSON.stringify({ command: 'Ping', command_id: `f${i}` }));
    expect(await polite.command({ command: 'Ping', command_id: 'meanwhile' })).toMatchObject({ success: true });
    // Dropped commands cost no answer: only the 10 of the burst are answered.
    await until(() => realtime.manager.getStats().flood_disconnects === 1, 3000, 'the flooder to be closed');
    const closed = await flooder.closed;
    expect(closed).toEqual({ code: CLOSE_CODES.policyViolation, reason: 'flooding: more than 50 commands over the rate limit within 10000 ms' });
    const responses = flooder.named('CommandResponse') as CommandResponse[];
    expect(responses.filter((response) => !response.success)).toEqual([]);
    expect(responses).toHaveLength(10);
    expect(flooder.named('RateLimitWarning')).toEqual([
      { event: 'RateLimitWarning', remaining_requests: 3, reset_time_seconds: expect.any(Number) },
      { event: 'RateLimitWarning', remaining_requests: 0, reset_time_seconds: 2 },
    ]);
    // It was not read after the close: at most the 61 frames up to the close were counted.
    expect(realtime.manager.getStats().rate_limited_commands).toBeLessThanOrEqual(flood);
    expect(await polite.command({ command: 'Ping', command_id: 'after' })).toMatchObject({ success: true });
  });

  test('a client a little over the rate loses commands but stays connected', async () => {
    let now = 1_000_000;
    const { wsUrl } = await start({ deps: { now: () => now }, options: { wsCommandRatePerSec: 5, wsCommandBurst: 5, wsFloodCloseAfterDrops: 20, wsFloodWindowMs: 10_000 } });
    const client = await connect(wsUrl, { user_id: 'eager' });
    // Six commands a second against five: one dropped per second, at most 11 in a 10 s window.
    for (let second = 0; second < 12; second++) {
      for (let i = 0; i < 6; i++) client.sendRaw(JSON.stringify({ command: 'Ping', command_id: `s${second}-${i}` }));
      await client.waitFor((event) => event.event === 'CommandResponse' && event.command_id === `s${second}-4`);
      now += 1000;
    }
    expect(await client.command({ command: 'Ping', command_id: 'still-here' })).toMatchObject({ success: true });
  });

  test('the typed client rejects a dropped command at once with E_COMMAND_DROPPED, not after its timeout', async () => {
    const { wsUrl } = await start({ options: { wsCommandRatePerSec: 1, wsCommandBurst: 2, wsRateLimitWarnRemaining: 0 } });
    const client = new RealtimeClient({ url: wsUrl, userId: 'typed', commandTimeoutMs: 8000, reconnect: false });
    await client.connect();
    try {
      const started = Date.now();
      const results = await Promise.allSettled([client.ping(), client.ping(), client.ping()]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect(((results[2] as PromiseRejectedResult).reason as RealtimeClientError).code).toBe('E_COMMAND_DROPPED');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await client.close();
    }
  });
});
