// The page's side of /api/ws, on the package's own typed client (served from dist/, no bundler).
// A connection carries the streaming session it belongs to, so the quality monitor's
// recommendations for that session reach it: choosing a track opens a connection for its session.
import { parseQualityRecommendation, RealtimeClient } from '/lib/client/index.js';

/** This listener's own playback events (filtered by user), and events for everyone. */
const OWN_EVENTS = ['PlaybackStarted', 'PlaybackPaused', 'PlaybackResumed', 'PlaybackStopped', 'PlaybackProgress'];
const SHARED_EVENTS = ['LiveStats', 'ServerMessage', 'TrackLiked', 'TrackShared', 'PlaylistUpdated'];

export function connectRealtime({ userId, token, onStatus, onEvent }) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
  let client;

  function open(sessionId) {
    client?.close();
    const next = new RealtimeClient({ url, userId, token, sessionId });
    client = next;
    next.onState((state) => client === next && onStatus(state));
    next.onAny((event) => {
      if (client !== next) return;
      const recommendation = event.event === 'ServerMessage' ? parseQualityRecommendation(event) : undefined;
      onEvent(recommendation ? { ...event, message: `switch ${recommendation.from} → ${recommendation.to} (${recommendation.reason})` } : event);
    });
    next
      .connect()
      .then(() => next.subscribe(OWN_EVENTS, { user_id: userId }))
      .then(() => next.subscribe(SHARED_EVENTS))
      .catch((error) => onStatus(`error: ${error.message}`));
    return next;
  }

  open(undefined);
  return {
    /** Sends a command once the connection is open. */
    async send(command) {
      await client.connect();
      return client.send(command);
    },
    setSession(sessionId) {
      open(sessionId);
    },
  };
}
