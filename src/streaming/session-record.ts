import type { Ladder } from './choose-profile.js';
import type { MonitorState } from './quality-monitor.js';
import type { StreamingSession } from './types.js';

/**
 * What the manager keeps of a session, in its SessionStore: all of it plain JSON, so that a shared
 * store holds it as one value (the ladder too: a node rebuilding it from the catalog during a
 * rebuild could see another ladder than the session started with).
 */
export interface SessionRecord {
  session: StreamingSession;
  ladder: Ladder;
  monitor: MonitorState;
  /** The session's last request or report (epoch ms); idle past streamingOptions.sessionIdleMs, it expires. */
  lastSeenMs: number;
  /** Whether a metrics report arrived yet (the stats average only real reports). */
  reported: boolean;
  /** Whose quota the session counts in: `user:<sub>` for a verified user, else `address:<key>`. */
  holder: string;
}
