import type { ServerEvent } from './protocol.js';

/**
 * Who may receive a broadcast when the server verifies users (JWT mode): the users an event names,
 * or everyone (null) for an event that names nobody. One rule, no exception per event:
 * - PlaybackStarted, Paused, Resumed, Stopped, Progress and TrackLiked name `user_id`: that user;
 * - PlaylistShared and TrackShared: `from_user` and every `to_users`;
 * - UserFollowed: `follower_id` and `followed_id`;
 * - PlaylistUpdated names no user but belongs to its playlist: the owner, which only the playlist
 *   store knows (WebSocketManager.audienceOf looks it up; the commands name the owner themselves,
 *   since the playlist may just have been deleted). Without it, nobody;
 * - QualityChanged (never broadcast): the session's user;
 * - ServerMessage, LiveStats, RateLimitWarning, CommandResponse and EventsGap name nobody: public.
 * A token with `eventsReadAllScope` receives every broadcast (dashboards). In anonymous mode nothing
 * is verified, so nothing is restricted: any client may claim any user_id.
 */
export function audienceOf(event: ServerEvent): readonly string[] | null {
  switch (event.event) {
    case 'PlaybackStarted':
    case 'PlaybackPaused':
    case 'PlaybackResumed':
    case 'PlaybackStopped':
    case 'PlaybackProgress':
    case 'TrackLiked':
      return [event.user_id];
    case 'PlaylistShared':
    case 'TrackShared':
      return [event.from_user, ...event.to_users];
    case 'UserFollowed':
      return [event.follower_id, event.followed_id];
    case 'PlaylistUpdated':
      return [];
    case 'QualityChanged':
      // Sent to a session's connections, never broadcast; were it ever, only to the session's user.
      return event.user_id === null ? [] : [event.user_id];
    case 'ServerMessage':
    case 'LiveStats':
    case 'RateLimitWarning':
    case 'CommandResponse':
    case 'EventsGap':
      return null;
  }
}
