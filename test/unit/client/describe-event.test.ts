import { expect, it } from 'vitest';
import { describeEvent } from '../../../src/client/describe-event.js';
import type { QualityChanged } from '../../../src/realtime/protocol.js';

it('says in words what an event is, naming the command a CommandResponse answers', () => {
  expect(describeEvent({ event: 'CommandResponse', command_id: 'Play-ab12cd-3', success: true, data: null, error: null })).toBe('Play done');
  expect(describeEvent({ event: 'CommandResponse', command_id: 'Pause-ab12cd-4', success: false, data: { code: 'E_PLAYBACK' }, error: 'not playing' })).toBe('Pause refused: not playing');
  expect(describeEvent({ event: 'CommandResponse', command_id: 'x1', success: true, data: null, error: null })).toBe('command x1 done');
  expect(describeEvent({ event: 'PlaybackPaused', track_id: 'groove', user_id: 'ann', position_ms: 75_400 })).toBe('ann paused groove at 1:15');
  expect(describeEvent({ event: 'PlaybackStopped', track_id: 'groove', user_id: 'ann', total_played_ms: 5000 })).toBe('ann stopped groove after 0:05 played');
  expect(describeEvent({ event: 'ServerMessage', level: 'Warning', message: 'maintenance at noon' })).toBe('Warning: maintenance at noon');
  expect(describeEvent({ event: 'UserFollowed', follower_id: 'ann', followed_id: 'bob' })).toBe('UserFollowed: follower_id ann, followed_id bob');
});

it('reads the QualityChanged event; a ServerMessage is only a message, whatever its text', () => {
  const change: QualityChanged = { event: 'QualityChanged', session_id: 's', track_id: 't', user_id: null, from_quality: 'high', to_quality: 'medium', direction: 'down', reason: 'buffer_low', master_url: '/hls/t/master.m3u8?session=s', timestamp: 0 };
  expect(describeEvent(change)).toBe('Quality high → medium (buffer_low)');
  const message = 'quality_recommendation {"session_id":"s","track_id":"t","from":"high","to":"low","reason":"rebuffer"}';
  expect(describeEvent({ event: 'ServerMessage', level: 'Info', message })).toBe(`Info: ${message}`);
});
