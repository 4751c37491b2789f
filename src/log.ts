/**
 * The one logger every layer of `serve` is given (HTTP, event server, analytics, the recorder): what
 * went wrong on the server that no client's answer can carry. Messages start with their layer
 * (`realtime: Play failed: …`); the levels let a host route them (the CLI writes all to stderr).
 */
export type LogLevel = 'error' | 'warn' | 'info';

export interface Logger {
  /** A failure of the server's own (a bug, an unwritable file): the request or command was answered E_INTERNAL. */
  error(message: string): void;
  /** Something a client or the disk did that the server survived (a capped report, a failed write to retry). */
  warn(message: string): void;
  /** Startup and state information. */
  info(message: string): void;
}

/** A logger that hands each message and its level to `write`. */
export function logTo(write: (level: LogLevel, message: string) => void): Logger {
  return { error: (message) => write('error', message), warn: (message) => write('warn', message), info: (message) => write('info', message) };
}

/** Lines `hlsaudio <message>` on stderr, the default of every layer. */
export const stderrLogger: Logger = logTo((_level, message) => void process.stderr.write(`hlsaudio ${message}\n`));

/** The text of a thrown value for a log line: the stack when there is one. */
export function errorText(error: unknown): string {
  return (error as Error)?.stack ?? String(error);
}
