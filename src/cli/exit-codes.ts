import type { ErrorCode } from '../errors.js';

/** Exit statuses, as README "Exit codes" lists them. */
export const EXIT = {
  ok: 0,
  /** Some tracks failed (or `validate` found errors); the others were done. */
  failures: 1,
  /** Bad command line, option or profile file: nothing was done. */
  usage: 2,
  /** No working ffmpeg/ffprobe. */
  ffmpegMissing: 3,
  /** The output folder or its catalog cannot be written or read (or, for `serve`, is not an output folder). */
  output: 4,
  /** `serve` cannot reach a service it was told to use (Redis, PostgreSQL). */
  unavailable: 5,
  /** Stopped by SIGINT (SIGTERM gives 143). */
  interrupted: 130,
} as const;

export function exitCodeFor(code: ErrorCode | string): number {
  switch (code) {
    case 'E_OPTION':
    case 'E_PROFILE':
    case 'E_INPUT_DUPLICATE_ID':
      return EXIT.usage;
    case 'E_FFMPEG_NOT_FOUND':
      return EXIT.ffmpegMissing;
    case 'E_OUTPUT':
    case 'E_CATALOG':
    case 'E_DATA':
    case 'E_ANALYTICS_DB':
    case 'E_NOT_OUTPUT_FOLDER':
      return EXIT.output;
    case 'E_REDIS':
    case 'E_DB':
      return EXIT.unavailable;
    case 'E_INTERRUPTED':
      return EXIT.interrupted;
    default:
      return EXIT.failures;
  }
}
