import type {
  ClientCommand,
  CommandResponse,
  EventFilters,
  EventName,
  SpecEventName,
  EventOf,
  ServerEvent,
} from '../realtime/protocol.js';
import type { Gap } from '../realtime/events-gap.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { describeOption, expectedMessage, resolveOptions } from '../option-table.js';
import { clientOptions } from './defaults.js';
import { RealtimeClientError } from './errors.js';

/** A command as the caller writes it: `command_id` is generated when left out. */
export type CommandInput = ClientCommand extends infer C ? (C extends ClientCommand ? Omit<C, 'command_id'> & { command_id?: string } : never) : never;

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface RealtimeClientOptions {
  /** The event server, such as `ws://localhost:8082/api/ws`. */
  url: string;
  userId?: string;
  /** A JWT, or a function giving one: called before each (re)connection, so an expired token can be renewed. */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /** The streaming session whose `QualityChanged` events this connection should receive. */
  sessionId?: string;
  commandTimeoutMs?: number;
  /** Reconnection after the connection drops; false: never. Defaults and bounds in clientOptions; a bad value throws E_OPTION. */
  reconnect?: false | Partial<BackoffPolicy & { maxAttempts: number }>;
  /** A WebSocket constructor, where the runtime has no global one. */
  WebSocket?: typeof WebSocket;
}

interface Pending {
  resolve: (response: CommandResponse) => void;
  reject: (error: RealtimeClientError) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Listener = (event: ServerEvent) => void;

/**
 * Typed client of `/api/ws` for browsers and Node 22+ (global WebSocket). `send` settles with the
 * matching CommandResponse; `on` gives typed events. When the connection drops it reconnects with
 * exponential backoff and subscribes again to what was subscribed; commands in flight are rejected
 * (E_CONNECTION_CLOSED), not replayed, since Play or AddToPlaylist must not run twice.
 *
 * A command over the server's rate limit is dropped without an answer. The server answers a
 * connection's commands in the order they came, so a command still waiting when a later one is
 * answered was dropped, and so was the oldest waiting one when a `RateLimitWarning` with
 * `remaining_requests: 0` (sent at the first drop) arrives: those are rejected with
 * E_COMMAND_DROPPED at once. A dropped command with none answered after it rejects with
 * E_COMMAND_TIMEOUT after commandTimeoutMs.
 */
export class RealtimeClient {
  private socket: WebSocket | undefined;
  private currentState: ClientState = 'idle';
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<EventName | '*', Set<Listener>>();
  private readonly stateListeners = new Set<(state: ClientState, detail: { code?: number; reason?: string }) => void>();
  /** What the server holds for this client: the last Subscribe of each event wins, as on the server. */
  private readonly subscriptions = new Map<SpecEventName, EventFilters | null>();
  private readonly idPrefix = Math.random().toString(36).slice(2, 8);
  private nextId = 0;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly policy: (BackoffPolicy & { maxAttempts: number }) | undefined;
  private readonly commandTimeoutMs: number;
  private readonly WebSocketImpl: typeof WebSocket;
  private waiters: { resolve: () => void; reject: (error: RealtimeClientError) => void }[] = [];

  constructor(private readonly options: RealtimeClientOptions) {
    const impl = options.WebSocket ?? globalThis.WebSocket;
    if (!impl) throw new TypeError('No WebSocket implementation: pass options.WebSocket (Node 22+ and browsers have a global one)');
    this.WebSocketImpl = impl;
    const reconnect = options.reconnect === false ? undefined : options.reconnect;
    const settings = resolveOptions(
      clientOptions,
      {
        commandTimeoutMs: options.commandTimeoutMs,
        reconnectInitialDelayMs: reconnect?.initialDelayMs,
        reconnectFactor: reconnect?.factor,
        reconnectMaxDelayMs: reconnect?.maxDelayMs,
        reconnectJitter: reconnect?.jitter,
        reconnectMaxAttempts: reconnect?.maxAttempts,
      },
      (field, expected, got) => new RealtimeClientError('E_OPTION', expectedMessage(field, expected, describeOption(got))),
    );
    this.commandTimeoutMs = settings.commandTimeoutMs;
    this.policy =
      options.reconnect === false
        ? undefined
        : {
            initialDelayMs: settings.reconnectInitialDelayMs,
            factor: settings.reconnectFactor,
            maxDelayMs: settings.reconnectMaxDelayMs,
            jitter: settings.reconnectJitter,
            maxAttempts: settings.reconnectMaxAttempts,
          };
  }

  get state(): ClientState {
    return this.currentState;
  }

  /** Opens the connection; resolves once open (after retries, when reconnection is on). */
  connect(): Promise<void> {
    if (this.currentState === 'open') return Promise.resolve();
    const opened = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.currentState === 'idle' || this.currentState === 'closed') {
      this.stopped = false;
      this.attempt = 0;
      void this.open('connecting');
    }
    return opened;
  }

  /** Sends a command; resolves with its CommandResponse, rejects when it failed, timed out or the connection closed. */
  send(command: CommandInput): Promise<CommandResponse> {
    const socket = this.socket;
    if (!socket || this.currentState !== 'open') {
      return Promise.reject(new RealtimeClientError('E_NOT_CONNECTED', `cannot send ${command.command}: the connection is ${this.currentState}`));
    }
    const commandId = command.command_id ?? `${this.idPrefix}-${++this.nextId}`;
    const message = { ...command, command_id: commandId };
    return new Promise<CommandResponse>((resolve, reject) => {
      const timeoutMs = this.commandTimeoutMs;
      const timer = setTimeout(() => {
        this.pending.delete(commandId);
        reject(new RealtimeClientError('E_COMMAND_TIMEOUT', `${command.command} ${commandId}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(commandId, { resolve, reject, timer });
      socket.send(JSON.stringify(message));
    });
  }

  /** Subscribes to `events` (with `filters`); remembered and sent again after a reconnection. */
  async subscribe(events: SpecEventName[], filters?: EventFilters): Promise<CommandResponse> {
    const response = await this.send({ command: 'Subscribe', events, filters: filters ?? null });
    for (const name of events) this.subscriptions.set(name, filters && Object.keys(filters).length > 0 ? filters : null);
    return response;
  }

  async unsubscribe(events: SpecEventName[]): Promise<CommandResponse> {
    const response = await this.send({ command: 'Unsubscribe', events });
    for (const name of events) this.subscriptions.delete(name);
    return response;
  }

  ping(): Promise<CommandResponse> {
    return this.send({ command: 'Ping' });
  }

  /** Calls `listener` with each `name` event; returns the function that removes it. */
  on<K extends EventName>(name: K, listener: (event: EventOf<K>) => void): () => void {
    return this.listen(name, listener as Listener);
  }

  /** Every event, whatever its name. */
  onAny(listener: (event: ServerEvent) => void): () => void {
    return this.listen('*', listener);
  }

  /**
   * Events this connection missed (the EventsGap event): a `serve` node sharing events through Redis
   * could not read part of the shared stream. Refetch what the missed events would have told
   * (playlists, status) rather than trust the state built from events.
   */
  onGap(listener: (gap: Gap) => void): () => void {
    return this.on('EventsGap', ({ missed, reason }) => listener({ missed, reason }));
  }

  /** Connection state changes; `detail` holds the close code and reason when the connection dropped. */
  onState(listener: (state: ClientState, detail: { code?: number; reason?: string }) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Closes for good: no reconnection; commands in flight are rejected. */
  close(code = 1000, reason = 'client closing'): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.failWaiters('close() was called');
    const socket = this.socket;
    if (!socket || socket.readyState === this.WebSocketImpl.CLOSED) {
      this.setState('closed', {});
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      socket.addEventListener('close', () => resolve(), { once: true });
      socket.close(code, reason);
    });
  }

  /** One attempt; `reconnecting` was announced, with the close that caused it, when the connection dropped. */
  private async open(state: 'connecting' | 'reconnecting'): Promise<void> {
    if (state === 'connecting') this.setState(state, {});
    let url: string;
    try {
      url = await this.connectUrl();
    } catch (error) {
      return this.dropped({ code: 1006, reason: `token: ${(error as Error).message}` });
    }
    if (this.stopped) return;
    const socket = new this.WebSocketImpl(url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.attempt = 0;
      this.setState('open', {});
      this.resubscribe();
      for (const waiter of this.waiters.splice(0)) waiter.resolve();
    });
    socket.addEventListener('message', (message) => this.receive(message.data));
    socket.addEventListener('close', (event) => {
      if (this.socket === socket) this.dropped({ code: event.code, reason: event.reason });
    });
    // An 'error' is always followed by 'close', which does the work.
    socket.addEventListener('error', () => {});
  }

  private async connectUrl(): Promise<string> {
    const url = new URL(this.options.url);
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    if (this.options.userId !== undefined) url.searchParams.set('user_id', this.options.userId);
    if (token !== undefined) url.searchParams.set('token', token);
    if (this.options.sessionId !== undefined) url.searchParams.set('session_id', this.options.sessionId);
    return url.toString();
  }

  private dropped(detail: { code: number; reason: string }): void {
    this.socket = undefined;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new RealtimeClientError('E_CONNECTION_CLOSED', `command ${id}: the connection closed (${detail.code}${detail.reason ? ` ${detail.reason}` : ''}) before its response`));
    }
    this.pending.clear();
    const policy = this.policy;
    if (this.stopped || !policy || this.attempt >= policy.maxAttempts) {
      this.setState('closed', detail);
      this.failWaiters(`the connection closed (${detail.code}${detail.reason ? ` ${detail.reason}` : ''})`);
      return;
    }
    this.setState('reconnecting', detail);
    const delay = backoffDelay(this.attempt++, policy);
    this.reconnectTimer = setTimeout(() => void this.open('reconnecting'), delay);
  }

  /** Sends the remembered subscriptions again, one Subscribe per distinct filter set. */
  private resubscribe(): void {
    const groups = new Map<string, { events: SpecEventName[]; filters: EventFilters | null }>();
    for (const [name, filters] of this.subscriptions) {
      const key = JSON.stringify(filters);
      const group = groups.get(key) ?? { events: [], filters };
      group.events.push(name);
      groups.set(key, group);
    }
    for (const { events, filters } of groups.values()) {
      this.send({ command: 'Subscribe', events, filters }).catch(() => {
        // A failure here is the connection dropping again; the next open subscribes again.
      });
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let event: ServerEvent;
    try {
      event = JSON.parse(data) as ServerEvent;
    } catch {
      return;
    }
    if (event.event === 'CommandResponse') {
      const pending = this.pending.get(event.command_id);
      if (pending) {
        this.rejectDroppedBefore(event.command_id);
        this.pending.delete(event.command_id);
        clearTimeout(pending.timer);
        if (event.success) pending.resolve(event);
        else pending.reject(new RealtimeClientError('E_COMMAND_FAILED', event.error ?? 'the command failed', event));
      }
    }
    if (event.event === 'RateLimitWarning' && event.remaining_requests === 0) {
      const oldest = this.pending.keys().next();
      if (!oldest.done) this.rejectDropped(oldest.value, event.reset_time_seconds);
    }
    for (const listener of this.listeners.get(event.event) ?? []) listener(event);
    for (const listener of this.listeners.get('*') ?? []) listener(event);
  }

  /** Rejects the commands sent before `commandId` that are still waiting: answers come in order, so those were dropped. */
  private rejectDroppedBefore(commandId: string): void {
    for (const id of this.pending.keys()) {
      if (id === commandId) return;
      this.rejectDropped(id);
    }
  }

  private rejectDropped(commandId: string, resetSeconds?: number): void {
    const pending = this.pending.get(commandId)!;
    this.pending.delete(commandId);
    clearTimeout(pending.timer);
    const retry = resetSeconds === undefined ? '' : `; the rate limit resets within ${resetSeconds} s`;
    pending.reject(new RealtimeClientError('E_COMMAND_DROPPED', `command ${commandId}: dropped by the server, over its rate limit${retry}`));
  }

  private listen(name: EventName | '*', listener: Listener): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  private setState(state: ClientState, detail: { code?: number; reason?: string }): void {
    if (this.currentState === state && state !== 'reconnecting') return;
    this.currentState = state;
    for (const listener of this.stateListeners) listener(state, detail);
  }

  private failWaiters(why: string): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(new RealtimeClientError('E_CONNECT_FAILED', `could not connect to ${this.options.url}: ${why}`));
  }
}
