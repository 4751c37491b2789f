// The page's side of /api/ws, on the package's own typed client (served from dist/, no bundler).
// A connection carries the streaming session it belongs to, so that session's QualityChanged
// events reach it: choosing a track opens a connection for its session.
import { RealtimeClient } from '/lib/client/index.js';

/** This listener's own playback events (filtered by user), and events for everyone. */
const OWN_EVENTS = ['PlaybackStarted', 'PlaybackPaused', 'PlaybackResumed', 'PlaybackStopped', 'PlaybackProgress'];
const SHARED_EVENTS = ['LiveStats', 'ServerMessage', 'TrackLiked', 'TrackShared', 'PlaylistUpdated'];

/**
 * `onOpen(connection, { reconnected })` is called each time a connection is ready: the first time
 * once subscribed, or again after it dropped (`reconnected`). Either way the server holds no playback
 * state for it. `connection` numbers the opened connections, so that the page knows which connection
 * a playback state it told belongs to. `onQualityChange` gets the session's QualityChanged events.
 */
export function connectRealtime({ userId, token, onStatus, onEvent, onOpen, onQualityChange }) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
  let client;
  let opened = 0;
  let current;

  function open(sessionId) {
    client?.close();
    current = undefined;
    const next = new RealtimeClient({ url, userId, token, sessionId });
    client = next;
    let previous = 'idle';
    let announced = false; // this opening of the connection has been announced
    const ready = (reconnected) => {
      if (client !== next || next.state !== 'open' || announced) return;
      announced = true;
      current = ++opened;
      onOpen(current, { reconnected });
    };
    next.onState((state) => {
      if (client !== next) return;
      if (state !== 'open') {
        current = undefined;
        announced = false;
      }
      onStatus(state);
      // After a reconnection the client sends the remembered Subscribes as soon as this returns,
      // before any command the page sends in answer.
      if (state === 'open' && previous === 'reconnecting') ready(true);
      previous = state;
    });
    next.onAny((event) => {
      if (client !== next) return;
      if (event.event === 'QualityChanged') onQualityChange?.(event);
      onEvent(event);
    });
    // The first time, the connection is announced once subscribed, so that the page's own Play is
    // sent after the Subscribe and its PlaybackStarted reaches the page.
    next
      .connect()
      .then(() => Promise.all([next.subscribe(OWN_EVENTS, { user_id: userId }), next.subscribe(SHARED_EVENTS)]))
      .then(
        () => ready(false),
        (error) => {
          if (client !== next) return;
          onStatus(`error: ${error.message}`);
          ready(false);
        },
      );
    return next;
  }

  open(undefined);
  return {
    /** The ready connection's number, undefined while none is. */
    get connection() {
      return current;
    },
    /** Sends a command on the open connection (rejects with E_NOT_CONNECTED when there is none). */
    send(command) {
      return client.send(command);
    },
    setSession(sessionId) {
      open(sessionId);
    },
  };
}
