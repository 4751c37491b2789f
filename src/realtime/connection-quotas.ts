/**
 * The WebSocket quotas shared by several `serve` nodes: connections per user
 * (`wsMaxConnectionsPerUser`) and per address without a verified token
 * (`wsMaxConnectionsPerAddress`), counted across every node. One process needs none of this: the
 * event server counts its own connections (attach.ts), and still does with `--redis`, before
 * asking the shared count.
 */
export interface QuotaAsk {
  kind: 'user' | 'address';
  /** The user id, or the address key (client-address.ts). */
  id: string;
  /** Connections the holder may keep open across the nodes. */
  limit: number;
}

export type QuotaReservation =
  /** The place is taken until `release` (idempotent), which the connection's close calls. */
  | { granted: true; release(): void }
  /** Nothing was taken: that quota is full. */
  | { granted: false; refused: QuotaAsk };

export interface ConnectionQuotas {
  /**
   * Takes one place in each quota asked, all or none, atomically across the nodes (two nodes racing
   * for the last place do not both get it). When the shared count cannot be reached it grants on
   * this node's count alone, which the caller checked already.
   */
  reserve(asks: readonly QuotaAsk[]): Promise<QuotaReservation>;
}
