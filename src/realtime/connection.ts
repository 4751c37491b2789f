import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { addressKey } from '../client-address.js';
import type { Identity } from './auth.js';
import { CommandQueue } from './command-queue.js';
import type { PlaybackListener } from './deps.js';
import { PlaybackState } from './playback.js';
import type { EventFilters, EventName, RateLimitWarning } from './protocol.js';
import { TokenBucket } from './rate-limiter.js';
import { type TextFrame, writeFrame } from './ws-frame.js';

/** What became of a message handed to `send`. */
export type SendOutcome = 'sent' | 'closed' | 'slow-consumer';

/**
 * The spec's WebSocketConnection, plus the state hlsaudio keeps per connection. The manager asks it
 * to do things (record activity, ping, close, subscribe, send); the connection owns its state, so
 * that no other code can leave it half-changed.
 */
export class RealtimeConnection {
  readonly id = randomUUID();
  readonly connectedAt: number;
  readonly playback: PlaybackState;
  /** Its commands, answered in the order they came (command-queue.ts). */
  readonly commands = new CommandQueue();
  private lastActivityAt: number;
  /** Subscribed events and the filters each was subscribed with (null: none). */
  private readonly subscriptions = new Map<EventName, EventFilters | null>();
  private readonly bucket: TokenBucket;
  /** Set by a ping, cleared by its pong: a ping finding it set means the peer is gone. */
  private awaitingPong = false;
  /** A RateLimitWarning was sent and the bucket has not risen above the warning level since. */
  private rateLimitWarned = false;
  /** The RateLimitWarning of a first dropped command was sent, and the bucket has not risen above the warning level since. */
  private dropWarned = false;
  /** Commands dropped since `floodWindowStart` (wsFloodCloseAfterDrops within wsFloodWindowMs). */
  private floodDrops = 0;
  private floodWindowStart = 0;
  /** The remote address as per-address limits count it (client-address.ts). */
  readonly addressKey: string;
  /** Why the server closes it, once it does; nothing more is sent then. */
  private closeReason: string | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: WebSocket,
    readonly identity: Identity,
    readonly ipAddress: string,
    /** The streaming session (`?session_id=`) whose QualityChanged events this connection receives. */
    readonly sessionId: string | null,
    /** The upgrade request's User-Agent and Origin (or Referer), for listening analytics. */
    readonly client: { userAgent: string | null; referrer: string | null },
    limits: { ratePerSec: number; burst: number },
    private readonly now: () => number,
    /** The token holds eventsReadAllScope: every broadcast reaches it, whoever it names. */
    readonly readsAll = false,
  ) {
    this.addressKey = addressKey(ipAddress);
    this.connectedAt = now();
    this.lastActivityAt = this.connectedAt;
    this.playback = new PlaybackState(now);
    this.bucket = new TokenBucket(limits.ratePerSec, limits.burst, now);
    socket.on('pong', () => (this.awaitingPong = false));
  }

  get userId(): string | null {
    return this.identity.user_id;
  }

  /** The server is closing it (or has): nothing more is sent or read. */
  get isClosing(): boolean {
    return this.closeReason !== undefined;
  }

  /** A message arrived: the connection is not idle. */
  recordActivity(): void {
    this.lastActivityAt = this.now();
  }

  isIdleFor(maxIdleMs: number): boolean {
    return this.now() - this.lastActivityAt >= maxIdleMs;
  }

  /** Takes one command from the token bucket; false when it is empty. */
  takeCommand(): boolean {
    return this.bucket.take();
  }

  /**
   * The RateLimitWarning due after a command was taken: once when the bucket falls to `warnAt` or
   * below, armed again (with the drop warning) when it rises above it. `remaining_requests` 0 is kept
   * for the first drop (`dropped`), which the typed client reads as such.
   */
  rateLimitWarning(warnAt: number): RateLimitWarning | undefined {
    const remaining = this.bucket.remaining;
    if (remaining > warnAt) {
      this.rateLimitWarned = false;
      this.dropWarned = false;
      return undefined;
    }
    if (remaining === 0 || this.rateLimitWarned) return undefined;
    this.rateLimitWarned = true;
    return { event: 'RateLimitWarning', remaining_requests: remaining, reset_time_seconds: this.bucket.secondsToFull };
  }

  /**
   * A command was dropped over the rate. Gives the RateLimitWarning (`remaining_requests: 0`) of the
   * first drop of an episode, and whether the connection now floods: more than `closeAfterDrops`
   * drops within `windowMs` (0 never).
   */
  dropped(closeAfterDrops: number, windowMs: number): { warning: RateLimitWarning | undefined; flooding: boolean } {
    let warning: RateLimitWarning | undefined;
    if (!this.dropWarned) {
      this.dropWarned = true;
      this.rateLimitWarned = true;
      warning = { event: 'RateLimitWarning', remaining_requests: 0, reset_time_seconds: this.bucket.secondsToFull };
    }
    if (closeAfterDrops === 0) return { warning, flooding: false };
    const now = this.now();
    if (now - this.floodWindowStart >= windowMs) {
      this.floodWindowStart = now;
      this.floodDrops = 0;
    }
    return { warning, flooding: ++this.floodDrops > closeAfterDrops };
  }

  /** Reads nothing more: what the client sends stays in the kernel until ws destroys the socket. */
  stopReading(): void {
    this.socket.pause();
  }

  /**
   * A heartbeat: pings, unless the previous ping is still unanswered, in which case the peer is gone
   * and the socket is terminated (no close frame). Returns false then.
   */
  heartbeat(): boolean {
    if (this.awaitingPong) {
      this.closeReason ??= 'no pong';
      this.socket.terminate();
      return false;
    }
    if (!this.isClosing) {
      this.awaitingPong = true;
      this.socket.ping();
    }
    return true;
  }

  /**
   * Sends an event's frame, unless the connection is closing or more than `maxBufferedBytes` would
   * wait for the client. The frame's bytes go straight to the socket (ws-frame.ts) unless ws has
   * something of its own waiting, in which case ws sends the payload after it.
   */
  send(message: TextFrame, maxBufferedBytes: number): SendOutcome {
    if (this.isClosing || this.socket.readyState !== WebSocket.OPEN) return 'closed';
    const queued = this.socket.bufferedAmount;
    if (queued > 0 && queued + message.payload.length > maxBufferedBytes) return 'slow-consumer';
    if (!writeFrame(this.socket, message)) this.socket.send(message.payload, { binary: false });
    return 'sent';
  }

  /** Closes with a close frame (ws destroys the socket if the handshake outlasts its close timeout); false when it was already closing. */
  close(code: number, reason: string): boolean {
    if (this.isClosing) return false;
    this.closeReason = reason;
    this.socket.close(code, reason);
    return true;
  }

  /** Calls `onExpiry` at `atMs` (the token's end), unless the connection is gone first. */
  expireAt(atMs: number, onExpiry: () => void): void {
    const delay = atMs - this.now();
    // setTimeout cannot wait longer than 2^31-1 ms (24.8 days); such a token outlives any process.
    if (delay >= 2 ** 31 - 1) return;
    this.expiryTimer = setTimeout(onExpiry, Math.max(0, delay));
    this.expiryTimer.unref();
  }

  /** The socket closed: timers stop. */
  dispose(): void {
    clearTimeout(this.expiryTimer);
  }

  subscribe(name: EventName, filters: EventFilters | null): void {
    this.subscriptions.set(name, filters);
  }

  unsubscribe(name: EventName): void {
    this.subscriptions.delete(name);
  }

  /** The filters `name` was subscribed with (null: none), or undefined when it is not subscribed. */
  filtersFor(name: EventName): EventFilters | null | undefined {
    return this.subscriptions.get(name);
  }

  subscribedEvents(): IterableIterator<EventName> {
    return this.subscriptions.keys();
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
      last_activity_ms: this.lastActivityAt,
      playback: this.playback.snapshot(),
    };
  }

  subscriptionsJson(): Record<string, EventFilters | null> {
    return Object.fromEntries(this.subscriptions);
  }
}
