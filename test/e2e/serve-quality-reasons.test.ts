import { describe, expect, it } from 'vitest';
import { GOOD_REPORT, listen, send, startApp, trackDetails } from '../helpers/serve-app.js';

describe('serve: quality switches in the analytics', () => {
  it('records the reason the session gives: the monitor\'s, the listener (user) or the player\'s ABR (player), as is', async () => {
    // One clock tick for everything: a reason guessed from timestamps would call the listener's switch the monitor's.
    const started = await startApp({ streaming: { now: () => Date.parse('2026-01-01T00:00:00Z') } });
    const { base } = started;
    const { sessionId } = await listen(started);
    const session = `/api/streaming/session/${sessionId}`;
    expect(await (await send(base, 'POST', `${session}/metrics`, { ...GOOD_REPORT, rebuffer_count: 1, rebuffer_duration_ms: 500 })).json()).toMatchObject({ current_quality: 'medium', recommendation: { reason: 'rebuffer' } });
    expect(await (await send(base, 'PUT', `${session}/quality`, { quality: 'high' })).json()).toMatchObject({ current_quality: 'high' });
    expect(await (await send(base, 'PUT', `${session}/quality`, { quality: 'mobile', reason: 'player' })).json()).toMatchObject({ current_quality: 'mobile' });
    const forced = await (await send(base, 'PUT', `${session}/quality`, { quality: 'low', adaptive_enabled: false, reason: 'user' })).json();
    expect(forced).toMatchObject({ current_quality: 'low', client_capabilities: { adaptive_enabled: false } });
    // Adaptation off: a stall no longer moves the forced choice.
    expect(await (await send(base, 'POST', `${session}/metrics`, { ...GOOD_REPORT, buffer_health_percentage: 5, rebuffer_count: 2, rebuffer_duration_ms: 900 })).json()).toMatchObject({ current_quality: 'low' });
    const details = await trackDetails(started);
    expect(details.quality_switches).toEqual(
      expect.arrayContaining([
        { from: 'high', to: 'medium', reason: 'rebuffer', count: 1 },
        { from: 'medium', to: 'high', reason: 'user', count: 1 },
        { from: 'high', to: 'mobile', reason: 'player', count: 1 },
        { from: 'mobile', to: 'low', reason: 'user', count: 1 },
      ]),
    );
    expect(details.quality_switches).toHaveLength(4);
    expect(details.recent_sessions[0]).toMatchObject({ start_quality: 'high', quality: 'low', quality_switches: 4 });
  });

  it('refuses a bad adaptive_enabled or reason, naming the field', async () => {
    const started = await startApp();
    const { sessionId } = await listen(started);
    const refused = async (body: unknown) => {
      const answer = await send(started.base, 'PUT', `/api/streaming/session/${sessionId}/quality`, body);
      expect(answer.status).toBe(400);
      return answer.json();
    };
    expect(await refused({ quality: 'high', adaptive_enabled: 'off' })).toEqual({ error: 'E_FIELD', message: 'Expected `adaptive_enabled` to be true or false, got "off"' });
    expect(await refused({ quality: 'high', reason: 'auto' })).toEqual({ error: 'E_FIELD', message: 'Expected `reason` to be "user" or "player", got "auto"' });
  });
});
