import { Worker } from 'node:worker_threads';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';

/** One SQL statement of a read, with its parameters. */
export interface ReadStatement {
  sql: string;
  params: SQLInputValue[];
}

/** Runs statements in one read transaction (one consistent snapshot) and gives each one's rows. */
export type Reader = (statements: ReadStatement[]) => Promise<Record<string, unknown>[][]>;

/** What the worker thread is started with. */
export interface WorkerData {
  file: string;
  checkpointIntervalMs: number;
  busyTimeoutMs: number;
}

/** A read sent to the worker, and its answer. */
export interface ReadRequest {
  id: number;
  statements: ReadStatement[];
}
export type WorkerReply = { id: number; results: Record<string, unknown>[][]; error?: undefined } | { id: number; error: string; results?: undefined };

/**
 * The worker's module: the compiled .js beside this file in dist/, the .ts source under the tests
 * (which run the sources; Node strips its types).
 */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './checkpoint-worker.ts' : './checkpoint-worker.js', import.meta.url);

/**
 * A second connection in a worker thread, for the database work that must not run on the event
 * loop (docs/design-notes.md, "Analytics"):
 * - WAL checkpoints. SQLite makes them on the writing connection by default, after the commit that
 *   brings the WAL to 1000 pages: that write then also copies about 4 MB into the database file and
 *   fsyncs it, and was the slowest write by far. The writer's automatic checkpoints are turned off
 *   while this worker runs.
 * - The summary and track queries, which read every play of the range (the time `npm run
 *   bench:analytics` measures for 200,000 plays is in docs/design-notes.md).
 * If the worker stops, `onStop` is told, so that the writer checkpoints again and reads run on the
 * main connection: the WAL never grows unchecked and the pages keep answering.
 */
export class BackgroundConnection {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (results: Record<string, unknown>[][]) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private running = true;

  constructor(file: string, options: { checkpointIntervalMs: number; busyTimeoutMs: number }, onStop: () => void) {
    const workerData: WorkerData = { file, ...options };
    this.worker = new Worker(WORKER_URL, { workerData });
    this.worker.unref();
    this.worker.on('message', (message: WorkerReply) => {
      const request = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) request?.reject(new Error(message.error));
      else request?.resolve(message.results!);
    });
    this.worker.on('error', () => undefined);
    this.worker.on('exit', () => {
      const stopped = !this.running;
      this.running = false;
      for (const request of this.pending.values()) request.reject(new Error('the analytics worker thread stopped'));
      this.pending.clear();
      if (!stopped) onStop();
    });
  }

  get alive(): boolean {
    return this.running;
  }

  read: Reader = (statements) =>
    new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      // A worker with a read in flight keeps the process alive until the answer is in.
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, statements } satisfies ReadRequest);
    }).finally(() => {
      if (this.pending.size === 0) this.worker.unref();
    }) as Promise<Record<string, unknown>[][]>;

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.worker.postMessage({ stop: true });
  }
}

/** The same reads on the writing connection: blocks the event loop, used only when the worker is gone. */
export function readOnConnection(db: DatabaseSync): Reader {
  return async (statements) => {
    db.exec('BEGIN');
    try {
      return statements.map(({ sql, params }) => db.prepare(sql).all(...params) as Record<string, unknown>[]);
    } finally {
      db.exec('COMMIT');
    }
  };
}
