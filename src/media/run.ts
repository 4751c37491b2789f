import { spawn } from 'node:child_process';
import { packageDefaults } from '../defaults.js';
import { HlsaudioError } from '../errors.js';

/** What `-progress pipe:1` reports, once per block. */
export interface FfmpegProgress {
  /** Media time written so far, in seconds. */
  outTimeSec: number;
  /** Encoding speed as a multiple of real time, when ffmpeg knows it. */
  speed?: number;
  /** True on the final block (`progress=end`). */
  end: boolean;
}

export interface RunOptions {
  /** Kills the process (SIGKILL) when aborted; the promise then rejects with E_INTERRUPTED. */
  signal?: AbortSignal;
  /** Called per progress block; requires `-progress pipe:1` in the arguments. */
  onProgress?: (progress: FfmpegProgress) => void;
  /** The file the run is about, for error messages. */
  file: string;
  /** What the run does, for error messages ("decoding", "encoding high"). */
  what: string;
  /** Called with stderr as it comes, for callers that read ffmpeg's messages of a run that succeeds. */
  onStderr?: (text: string) => void;
}

/**
 * Runs ffmpeg or ffprobe without a shell. Resolves with stdout (when it is not a progress stream);
 * rejects with an E_FFMPEG error holding the last stderr line in its message and the stderr tail as
 * its cause.
 */
export function runMediaTool(binary: string, args: readonly string[], options: RunOptions): Promise<string> {
  const { signal, onProgress, onStderr, file, what } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(interrupted(file, what));
      return;
    }
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let progress: Partial<FfmpegProgress> = {};
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      if (!onProgress) {
        stdout += text;
        return;
      }
      stdout = parseProgressLines(stdout + text, (key, value) => {
        if (key === 'out_time_us' || key === 'out_time_ms') {
          const micros = Number(value); // both keys are microseconds in ffmpeg 4.1 to 7
          if (Number.isFinite(micros)) progress.outTimeSec = Math.max(0, micros / 1e6);
        } else if (key === 'speed') {
          const speed = Number.parseFloat(value);
          if (Number.isFinite(speed)) progress.speed = speed;
        } else if (key === 'progress') {
          onProgress({ outTimeSec: progress.outTimeSec ?? 0, speed: progress.speed, end: value === 'end' });
          progress = { outTimeSec: progress.outTimeSec, speed: progress.speed };
        }
      });
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      onStderr?.(text);
      stderr = (stderr + text).slice(-packageDefaults.ffmpegStderrKeepBytes);
    });
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (cause) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new HlsaudioError('E_FFMPEG', `${file}: ${what} failed: cannot run ${binary} (${cause.message})`, { file, cause }));
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(interrupted(file, what));
      else if (code === 0) resolve(stdout);
      else reject(failed(file, what, code, killedBy, stderr));
    });
  });
}

function interrupted(file: string, what: string): HlsaudioError {
  return new HlsaudioError('E_INTERRUPTED', `${file}: ${what} interrupted`, { file });
}

function failed(file: string, what: string, code: number | null, signal: NodeJS.Signals | null, stderr: string): HlsaudioError {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const last = lines.at(-1) ?? (signal ? `killed by ${signal}` : `exit status ${code}`);
  return new HlsaudioError('E_FFMPEG', `${file}: ${what} failed: ${last}`, { file, cause: new Error(stderr.trim() || last) });
}

/** Calls `onLine` for each complete `key=value` line and returns the unfinished rest. */
function parseProgressLines(text: string, onLine: (key: string, value: string) => void): string {
  const lines = text.split('\n');
  const rest = lines.pop() ?? '';
  for (const line of lines) {
    const equals = line.indexOf('=');
    if (equals > 0) onLine(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
  }
  return rest;
}
