import { type ClientState, type CommandInput, RealtimeClient } from '../client/client.js';
import { RealtimeClientError } from '../client/errors.js';
import type { CommandResponse, ServerEvent } from '../realtime/protocol.js';

/** The specification's three connection states. */
export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

export interface RealtimeSnapshot {
  connectionStatus: ConnectionStatus;
  /** RealtimeClient's own state, finer: `reconnecting` is `connecting` above. */
  state: ClientState;
  /** The last `maxEvents` events, oldest first. */
  events: ServerEvent[];
}

export interface RealtimeStoreOptions {
  /** `ws://…/api/ws`; by default the page's own origin's (read when connecting, not before). */
  url?: string;
  maxEvents?: number;
}

export function connectionStatusOf(state: ClientState): ConnectionStatus {
  return state === 'open' ? 'connected' : state === 'connecting' || state === 'reconnecting' ? 'connecting' : 'disconnected';
}

/** The page's own event server: `ws(s)://<host>/api/ws`. Only called once something runs in a browser. */
export function defaultWebSocketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
}

const INITIAL: RealtimeSnapshot = { connectionStatus: 'disconnected', state: 'idle', events: [] };

/**
 * useWebSocket's external store: a RealtimeClient made on connect(), with an immutable snapshot
 * replaced on each change (what useSyncExternalStore compares). Nothing is touched until connect().
 */
export class RealtimeStore {
  private client: RealtimeClient | undefined;
  private snapshot = INITIAL;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: RealtimeStoreOptions = {}) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): RealtimeSnapshot => this.snapshot;

  readonly getServerSnapshot = (): RealtimeSnapshot => INITIAL;

  /** Opens a connection as `userId` (with a JWT `token`), replacing any open one. */
  connect(userId?: string, token?: string): void {
    void this.client?.close();
    const client = new RealtimeClient({ url: this.options.url ?? defaultWebSocketUrl(), userId, token });
    this.client = client;
    client.onState((state) => {
      if (this.client === client) this.update({ state, connectionStatus: connectionStatusOf(state) });
    });
    client.onAny((event) => {
      if (this.client !== client) return;
      const max = this.options.maxEvents ?? 100;
      this.update({ events: [...this.snapshot.events.slice(-(max - 1)), event] });
    });
    client.connect().catch(() => {});
  }

  /** Sends a command; rejects (E_NOT_CONNECTED) when no connection is open. */
  sendCommand(command: CommandInput): Promise<CommandResponse> {
    if (!this.client) return Promise.reject(new RealtimeClientError('E_NOT_CONNECTED', `cannot send ${command.command}: connect() first`));
    return this.client.send(command);
  }

  disconnect(): void {
    const client = this.client;
    this.client = undefined;
    void client?.close();
    this.update({ state: 'closed', connectionStatus: 'disconnected' });
  }

  get realtimeClient(): RealtimeClient | undefined {
    return this.client;
  }

  private update(partial: Partial<RealtimeSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...partial };
    for (const listener of this.listeners) listener();
  }
}
