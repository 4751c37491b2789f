import type { ServerEvent } from '../realtime/protocol.js';
import { describeGap } from '../realtime/events-gap.js';
import { qualityChangeOf } from './quality-changed.js';

/** The command a CommandResponse answers: PlaybackSync's commands carry ids `<Command>-…`. */
function commandOf(commandId: string): string {
  const name = /^([A-Z][A-Za-z]+)-/.exec(commandId)?.[1];
  return name ?? `command ${commandId}`;
}

function clock(ms: number): string {
  const whole = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** One readable line for an event (an events panel shows it, its raw JSON on demand). */
export function describeEvent(event: ServerEvent): string {
  const change = qualityChangeOf(event);
  if (change) return `Quality ${change.from_quality} → ${change.to_quality} (${change.reason})`;
  switch (event.event) {
    case 'CommandResponse':
      return event.success ? `${commandOf(event.command_id)} done` : `${commandOf(event.command_id)} refused: ${event.error ?? 'no reason given'}`;
    case 'PlaybackStarted':
      return `${event.user_id} started ${event.track_id}`;
    case 'PlaybackPaused':
      return `${event.user_id} paused ${event.track_id} at ${clock(event.position_ms)}`;
    case 'PlaybackResumed':
      return `${event.user_id} resumed ${event.track_id} at ${clock(event.position_ms)}`;
    case 'PlaybackStopped':
      return `${event.user_id} stopped ${event.track_id} after ${clock(event.total_played_ms)} played`;
    case 'PlaybackProgress':
      return `${event.user_id} at ${clock(event.position_ms)} of ${event.track_id}`;
    case 'TrackLiked':
      return `${event.user_id} liked ${event.track_id} (${event.total_likes} likes)`;
    case 'TrackShared':
      return `${event.from_user} shared ${event.track_id} with ${event.to_users.join(', ')}`;
    case 'ServerMessage':
      return `${event.level}: ${event.message}`;
    case 'EventsGap':
      return `Events missed: ${describeGap(event)}; what the page shows may be out of date`;
    case 'RateLimitWarning':
      return `Slow down: ${event.remaining_requests} requests left, reset in ${event.reset_time_seconds} s`;
    default: {
      const { event: name, ...fields } = event as unknown as { event: string } & Record<string, unknown>;
      const scalars = Object.entries(fields).filter(([, value]) => value === null || typeof value !== 'object');
      return `${name}${scalars.length ? `: ${scalars.map(([key, value]) => `${key} ${String(value)}`).join(', ')}` : ''}`;
    }
  }
}
