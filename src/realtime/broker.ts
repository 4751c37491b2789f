import type { ServerEvent } from './protocol.js';

/**
 * Where an event goes: every subscribed connection (`broadcast_event`), every connection of a user
 * (`send_to_user`), one connection (`send_to_connection`), or a session's. All pass through the broker,
 * because with several `serve` processes the user's or the connection's socket may sit in another one.
 * One kind carries no event: a session's rebuffers, which the analytics of another node may need.
 */
export type Delivery =
  /** `audience`: in JWT mode, the only users who may receive it (audience.ts); null: anyone subscribed. */
  | { to: 'subscribers'; event: ServerEvent; audience: readonly string[] | null }
  | { to: 'user'; user_id: string; event: ServerEvent }
  | { to: 'connection'; connection_id: string; event: ServerEvent }
  /** A streaming session's QualityChanged: its connections, and its user's that named no session. */
  | { to: 'session'; session_id: string; user_id: string | null; event: ServerEvent }
  /** Every connection of this process, subscribed or not: a broker's own notices (EventsGap), never published. */
  | { to: 'all'; event: ServerEvent }
  /**
   * For no socket: new stalls a session's player reported to whichever node took the report, for the
   * analytics of the node that holds the session's plays (serve/listening-recorder.ts).
   */
  | { to: 'rebuffers'; session_id: string; count: number; added_ms: number };

/**
 * Carries deliveries between the processes that hold connections. Every process publishes what it
 * produces and delivers what it receives to its own sockets, its own publications included, so one
 * path serves the one-process and the many-process case. A Redis engine publishes the JSON of a
 * Delivery on a channel and calls the listeners with what it reads back.
 */
export interface RealtimeBroker {
  publish(delivery: Delivery): void;
  /** Registers the local deliverer; returns the function that unregisters it. */
  subscribe(listener: (delivery: Delivery) => void): () => void;
  close(): Promise<void>;
}

/** The broker of a single process: publication calls the listeners at once, in order. */
export class InProcessBroker implements RealtimeBroker {
  private readonly listeners = new Set<(delivery: Delivery) => void>();

  publish(delivery: Delivery): void {
    for (const listener of this.listeners) listener(delivery);
  }

  subscribe(listener: (delivery: Delivery) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
