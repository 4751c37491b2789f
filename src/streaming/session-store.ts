/**
 * Where AdaptiveStreamingManager keeps its sessions, by id. In memory today (one process holds its
 * sessions, which is why `serve` does not fork workers). The manager's calls are synchronous (a
 * metrics report is judged and answered at once), so a store shared between processes keeps this
 * process's sessions here and writes them through; a load balancer that routes by session id
 * (nginx `hash $arg_session consistent`) keeps each session's requests on the process that holds it.
 */
export interface SessionStore<Record> {
  get(sessionId: string): Record | undefined;
  set(sessionId: string, record: Record): void;
  delete(sessionId: string): boolean;
  keys(): IterableIterator<string>;
  values(): IterableIterator<Record>;
  readonly size: number;
}

/** The sessions of one process. */
export class MemorySessionStore<Record> implements SessionStore<Record> {
  private readonly records = new Map<string, Record>();

  get(sessionId: string): Record | undefined {
    return this.records.get(sessionId);
  }

  set(sessionId: string, record: Record): void {
    this.records.set(sessionId, record);
  }

  delete(sessionId: string): boolean {
    return this.records.delete(sessionId);
  }

  keys(): IterableIterator<string> {
    return this.records.keys();
  }

  values(): IterableIterator<Record> {
    return this.records.values();
  }

  get size(): number {
    return this.records.size;
  }
}
