type AnyListener = (...args: never[]) => void;

/**
 * A typed listener list: `on` returns the function that removes the listener, which is what React's
 * `useSyncExternalStore` asks of a `subscribe`. EventTarget would need CustomEvent casts everywhere.
 */
export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<AnyListener>>();

  on<K extends keyof Events>(name: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const stored = listener as unknown as AnyListener;
    set.add(stored);
    return () => set.delete(stored);
  }

  protected emit<K extends keyof Events>(name: K, ...args: Events[K]): void {
    for (const listener of this.listeners.get(name) ?? []) (listener as unknown as (...args: Events[K]) => void)(...args);
  }
}
