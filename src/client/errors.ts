import type { CommandResponse } from '../realtime/protocol.js';

export type ClientErrorCode =
  | 'E_COMMAND_FAILED' // the server answered success: false (`response` holds its answer, `serverCode` its code)
  | 'E_COMMAND_DROPPED' // the server dropped the command unanswered: the connection was over its rate limit (RateLimitWarning)
  | 'E_COMMAND_TIMEOUT' // no CommandResponse within commandTimeoutMs
  | 'E_CONNECTION_CLOSED' // the connection closed before the command was answered
  | 'E_NOT_CONNECTED' // send() while the connection is not open
  | 'E_CONNECT_FAILED' // connect() gave up (reconnectMaxAttempts reached, or close() called)
  | 'E_OPTION'; // an option of the constructor is out of its bounds (clientOptions)

/** The client's own error type (hlsaudio's HlsaudioError imports Node modules; this must run in a browser). */
export class RealtimeClientError extends Error {
  override name = 'RealtimeClientError';

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly response?: CommandResponse,
  ) {
    super(message);
  }

  /** The server's error code (`data.code` of a failed CommandResponse), such as E_UNKNOWN_TRACK. */
  get serverCode(): string | undefined {
    const data = this.response?.data as { code?: unknown } | null | undefined;
    return typeof data?.code === 'string' ? data.code : undefined;
  }
}
