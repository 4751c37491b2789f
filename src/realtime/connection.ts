import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { addressKey } from '../client-address.js';
import type { Identity } from './auth.js';
import type { PlaybackListener } from './deps.js';
import { PlaybackState } from './playback.js';
import type { EventFilters, EventName } from './protocol.js';
import { TokenBucket } from './rate-limiter.js';

/** The spec's WebSocketConnection, plus the state hlsaudio keeps per connection. */
export class RealtimeConnection {
  readonly id = randomUUID();
  readonly connectedAt: number;
  lastActivity: number;
  /** Subscribed events and the filters each was subscribed with (null: none). */
  readonly subscriptions = new Map<EventName, EventFilters | null>();
  readonly playback: PlaybackState;
  readonly bucket: TokenBucket;
  /** Set by a ping, cleared by its pong: a ping finding it set means the peer is gone. */
  awaitingPong = false;
  /** A RateLimitWarning was sent and the bucket has not risen above the warning level since. */
  rateLimitWarned = false;
  /** The RateLimitWarning of a first dropped command was sent, and the bucket has not risen above the warning level since. */
  dropWarned = false;
  /** Commands dropped since `floodWindowStart` (wsFloodCloseAfterDrops within wsFloodWindowMs). */
  floodDrops = 0;
  floodWindowStart = 0;
  /** The remote address as per-address limits count it (client-address.ts). */
  readonly addressKey: string;
  /** Why the server closes it, once it does; nothing more is sent then. */
  closeReason: string | undefined;
  expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: WebSocket,
    readonly identity: Identity,
    readonly ipAddress: string,
    /** The streaming session (`?session_id=`) whose quality recommendations this connection receives. */
    readonly sessionId: string | null,
    /** The upgrade request's User-Agent and Origin (or Referer), for listening analytics. */
    readonly client: { userAgent: string | null; referrer: string | null },
    limits: { ratePerSec: number; burst: number },
    now: () => number,
    /** The token holds eventsReadAllScope: every broadcast reaches it, whoever it names. */
    readonly readsAll = false,
  ) {
    this.addressKey = addressKey(ipAddress);
    this.connectedAt = now();
    this.lastActivity = this.connectedAt;
    this.playback = new PlaybackState(now);
    this.bucket = new TokenBucket(limits.ratePerSec, limits.burst, now);
  }

  get userId(): string | null {
    return this.identity.user_id;
  }

  /** The connection as playback observers see it. */
  get listener(): PlaybackListener {
    return { id: this.id, userId: this.userId, ipAddress: this.ipAddress, userAgent: this.client.userAgent, referrer: this.client.referrer, sessionId: this.sessionId };
  }

  /** GetStatus's view of the connection. */
  describe(): Record<string, unknown> {
    return {
      id: this.id,
      user_id: this.userId,
      authenticated: this.identity.authenticated,
      ip_address: this.ipAddress,
      session_id: this.sessionId,
      connected_at_ms: this.connectedAt,
      last_activity_ms: this.lastActivity,
      playback: this.playback.snapshot(),
    };
  }

  subscriptionsJson(): Record<string, EventFilters | null> {
    return Object.fromEntries(this.subscriptions);
  }
}
