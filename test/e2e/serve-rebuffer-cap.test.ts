import { describe, expect, it } from 'vitest';
import { GOOD_REPORT, listen, send, startApp, trackDetails } from '../helpers/serve-app.js';

describe('serve: rebuffers reported by a session', () => {
  it('records at most maxRebuffersPerReport (10) of one report\'s rebuffers, sharing its added time, and logs the cap', async () => {
    const started = await startApp();
    const { sessionId } = await listen(started);
    const metrics = `/api/streaming/session/${sessionId}/metrics`;
    expect((await send(started.base, 'POST', metrics, { ...GOOD_REPORT, rebuffer_count: 2, rebuffer_duration_ms: 1000 })).status).toBe(200);
    const startedAt = performance.now();
    const flood = await send(started.base, 'POST', metrics, { ...GOOD_REPORT, rebuffer_count: 3_000_002, rebuffer_duration_ms: 31_000 });
    expect(flood.status).toBe(200);
    expect(performance.now() - startedAt).toBeLessThan(1000); // 3,000,000 rows took 6.4 s of event loop
    const [play] = (await trackDetails(started)).recent_sessions;
    expect(play).toMatchObject({ rebuffers: 12, rebuffer_ms: 31_000 });
    expect(started.logs).toContain(`analytics: session ${sessionId} reported 3000000 new rebuffers at once; recorded 10 (maxRebuffersPerReport)`);
  });
});
