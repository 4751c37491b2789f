import { parentPort, workerData } from 'node:worker_threads';
import type { ReadRequest, WorkerData, WorkerReply } from './background.js';

/**
 * The analytics worker thread (background.ts starts it): its own connection runs a PASSIVE
 * checkpoint every `checkpointIntervalMs` (0: none), which never waits for the writer nor makes it
 * wait, and the reads it is sent, each in one read transaction. Only erasable TypeScript here: the
 * tests start it from this file (Node strips the types), `serve` from the compiled dist/ file.
 */

// Node 22 warns that SQLite is experimental on each thread's first use; the main thread already has.
const emitWarning = process.emitWarning;
process.emitWarning = ((warning: string | Error, ...rest: never[]) => {
  if (!String(warning).startsWith('SQLite is an experimental feature')) emitWarning.call(process, warning, ...rest);
}) as typeof process.emitWarning;
// Loaded after the line above, so that its warning is filtered.
const { DatabaseSync } = process.getBuiltinModule('node:sqlite');

const options = workerData as WorkerData;
const port = parentPort!;
const db = new DatabaseSync(options.file, { timeout: options.busyTimeoutMs });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = options.checkpointIntervalMs > 0 ? setInterval(() => checkpoint.get(), options.checkpointIntervalMs) : undefined;

port.on('message', (message: ReadRequest | { stop: true }) => {
  if ('stop' in message) {
    clearInterval(timer);
    db.close();
    process.exit(0);
  }
  let reply: WorkerReply;
  try {
    db.exec('BEGIN');
    try {
      reply = { id: message.id, results: message.statements.map(({ sql, params }) => db.prepare(sql).all(...params) as Record<string, unknown>[]) };
    } finally {
      db.exec('COMMIT');
    }
  } catch (error) {
    reply = { id: message.id, error: (error as Error).message };
  }
  port.postMessage(reply);
});
