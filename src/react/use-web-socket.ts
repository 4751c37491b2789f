'use client';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { CommandInput, RealtimeClient } from '../client/client.js';
import type { CommandResponse, ServerEvent } from '../realtime/protocol.js';
import { type ConnectionStatus, RealtimeStore, type RealtimeStoreOptions } from './realtime-store.js';

export interface UseWebSocketResult {
  connectionStatus: ConnectionStatus;
  /** The last events received (100 by default), oldest first. */
  events: ServerEvent[];
  /** Opens the connection (as `userId`, with a JWT `token`); it reconnects with backoff when it drops. */
  connect: (userId?: string, token?: string) => void;
  /** Sends a command; settles with its CommandResponse (rejects when refused, timed out or not connected). */
  sendCommand: (command: CommandInput) => Promise<CommandResponse>;
  disconnect: () => void;
  /** The typed client underneath, once connect() was called. */
  client: RealtimeClient | undefined;
}

/**
 * The specification's `useWebSocket()`, on hlsaudio/client's RealtimeClient: typed commands with
 * their answers, reconnection with backoff, subscriptions kept across reconnections. The
 * connection closes when the component unmounts. Nothing touches `window` before connect().
 */
export function useWebSocket(options: RealtimeStoreOptions = {}): UseWebSocketResult {
  const [store] = useState(() => new RealtimeStore(options));
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot);
  useEffect(() => () => store.disconnect(), [store]);
  const connect = useCallback((userId?: string, token?: string) => store.connect(userId, token), [store]);
  const sendCommand = useCallback((command: CommandInput) => store.sendCommand(command), [store]);
  const disconnect = useCallback(() => store.disconnect(), [store]);
  return { connectionStatus: snapshot.connectionStatus, events: snapshot.events, connect, sendCommand, disconnect, client: store.realtimeClient };
}
