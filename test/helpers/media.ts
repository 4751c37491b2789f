import { spawn } from 'node:child_process';

export interface Decoded {
  stderr: string;
  samples: Float32Array;
  sampleRate: number;
  channels: number;
}

/**
 * Decodes anything ffmpeg reads (a source, a media file, an HLS playlist through ffmpeg's HLS
 * demuxer) to interleaved float PCM at its own rate, with ffmpeg at `-v error`: `stderr` holds every
 * message ffmpeg printed.
 */
export function decode(input: string, { sampleRate, channels, ffmpeg = 'ffmpeg' }: { sampleRate: number; channels: number; ffmpeg?: string }): Promise<Decoded> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-i', input, '-f', 'f32le', '-ac', String(channels), '-ar', String(sampleRate), 'pipe:1']);
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg decoding ${input} failed: ${stderr}`));
      const bytes = Buffer.concat(chunks);
      const samples = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      resolve({ stderr, samples: Float32Array.from(samples), sampleRate, channels });
    });
  });
}

export function durationOf(decoded: Decoded): number {
  return decoded.samples.length / decoded.channels / decoded.sampleRate;
}

/** Runs ffprobe and returns its JSON. */
export function ffprobe(file: string, ffprobePath = 'ffprobe'): Promise<{ streams: Record<string, unknown>[]; format: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffprobePath, ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file]);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`ffprobe ${file} failed`))));
  });
}

/**
 * ffmpeg 5.1's HLS demuxer applies the next segment's ID3 timestamp to MP3 packets it has already
 * read ahead, so at some segment starts its muxer complains of timestamps going back by up to one
 * frame (DESIGN notes, "ffmpeg's HLS demuxer and packed MP3"). Returns the lines that are not that.
 */
export function unexpectedMessages(stderr: string, { frameSamples }: { frameSamples: number }): string[] {
  return stderr
    .split('\n')
    .filter(Boolean)
    .filter((line) => {
      const match = /non monotonically increasing dts to muxer in stream \d+: (\d+) >= (\d+)/.exec(line);
      return !match || Number(match[1]) - Number(match[2]) > frameSamples;
    });
}
