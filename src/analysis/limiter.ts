import { type FileHandle, open } from 'node:fs/promises';
import { HlsaudioError } from '../errors.js';
import { TRUE_PEAK_BLOCK_FRAMES, TruePeakScanner } from './true-peak.js';

export interface LimiterOptions {
  sampleRate: number;
  channels: 1 | 2;
  /** Gain applied before limiting, dB. */
  gainDb: number;
  /** True-peak level the output must not exceed, dBTP. */
  ceilingDbtp: number;
  releaseMs: number;
  chunkBytes: number;
  signal?: AbortSignal;
}

/** Blocks on either side whose needed reduction a block's gain honours: covers the attack window and the filter's lag. */
const REACH_BLOCKS = 2;

/**
 * Writes `input` (raw f32le PCM) times a gain into `output` through a true-peak limiter, in two
 * streamed passes, holding one number per 64 frames:
 * 1. the true peak of every block of the gained signal (4x oversampled, linked channels) gives the
 *    reduction each block needs to stay under the ceiling;
 * 2. each frame's gain is the smallest need within two blocks around it, released exponentially
 *    (never faster than `releaseMs`), then averaged over the last 64 frames. Every frame of a block
 *    that needs a reduction is then reduced at least that much: the average runs over frames whose
 *    two-block reach includes that block (attack: 64 frames, 1.45 ms at 44.1 kHz).
 * The gain moves smoothly, so the output's true peak stays at the ceiling give or take a few
 * hundredths of a dB; callers aim slightly lower (packageDefaults.limiterMarginDb).
 * Returns the number of blocks that needed a reduction.
 */
export async function writeLimitedPcm(input: string, output: string, options: LimiterOptions): Promise<number> {
  const gain = 10 ** (options.gainDb / 20);
  const threshold = 10 ** (options.ceilingDbtp / 20) / gain; // a true peak above this, once gained, is too loud
  const needs = await blockNeeds(input, options, threshold);
  const reduced = needs.reduce((count, need) => count + (need < 1 ? 1 : 0), 0);
  await applyGain(input, output, options, gain, needs);
  return reduced;
}

/** Pass 1: per block, the gain (at most 1) that brings its true peak down to the threshold. */
async function blockNeeds(input: string, options: LimiterOptions, threshold: number): Promise<Float32Array> {
  const frameBytes = 4 * options.channels;
  const handle = await open(input, 'r');
  try {
    const { size } = await handle.stat();
    const frames = Math.floor(size / frameBytes);
    const needs = new Float32Array(Math.ceil(frames / TRUE_PEAK_BLOCK_FRAMES)).fill(1);
    const scanners = Array.from({ length: options.channels }, () => new TruePeakScanner());
    await forEachChunk(handle, options, frameBytes, (samples, count) => {
      scanners.forEach((scanner, channel) =>
        scanner.push(samples, options.channels, channel, count, () => threshold, (index, peak) => {
          if (peak > threshold) needs[index] = Math.min(needs[index]!, threshold / peak);
        }),
      );
    });
    return needs;
  } finally {
    await handle.close();
  }
}

/** Pass 2: the gain envelope (reach, release, average) applied frame by frame. */
async function applyGain(input: string, output: string, options: LimiterOptions, gain: number, needs: Float32Array): Promise<void> {
  const { channels } = options;
  const frameBytes = 4 * channels;
  const release = Math.exp(-1 / ((options.releaseMs / 1000) * options.sampleRate));
  const reach = (block: number) => {
    let need = 1;
    for (let b = Math.max(0, block - REACH_BLOCKS); b <= Math.min(needs.length - 1, block + REACH_BLOCKS); b++) need = Math.min(need, needs[b]!);
    return need;
  };
  // The frames before the first count as holding the first block's need, so the average is right from frame 0.
  let held = reach(0);
  const averaged = new Float64Array(TRUE_PEAK_BLOCK_FRAMES).fill(held);
  let sum = TRUE_PEAK_BLOCK_FRAMES * held;
  let frame = 0;
  const source = await open(input, 'r');
  const target = await open(output, 'w');
  try {
    let block = -1;
    let blockNeed = 1;
    await forEachChunk(source, options, frameBytes, async (samples, count) => {
      for (let i = 0; i < count; i++, frame++) {
        const current = Math.floor(frame / TRUE_PEAK_BLOCK_FRAMES);
        if (current !== block) {
          block = current;
          blockNeed = reach(block);
        }
        held = Math.min(blockNeed, 1 - (1 - held) * release);
        const slot = frame % TRUE_PEAK_BLOCK_FRAMES;
        sum += held - averaged[slot]!;
        averaged[slot] = held;
        const factor = gain * (sum / TRUE_PEAK_BLOCK_FRAMES);
        for (let channel = 0; channel < channels; channel++) samples[i * channels + channel]! *= factor;
      }
      await target.write(new Uint8Array(samples.buffer, samples.byteOffset, count * frameBytes));
    });
    await target.sync();
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

async function forEachChunk(
  handle: FileHandle,
  options: LimiterOptions,
  frameBytes: number,
  visit: (samples: Float32Array, frames: number) => void | Promise<void>,
): Promise<void> {
  const blockBytes = frameBytes * TRUE_PEAK_BLOCK_FRAMES;
  const chunkBytes = Math.max(blockBytes, options.chunkBytes - (options.chunkBytes % blockBytes));
  const chunk = new Float32Array(chunkBytes / 4);
  const bytes = Buffer.from(chunk.buffer);
  for (let position = 0; ; ) {
    if (options.signal?.aborted) throw new HlsaudioError('E_INTERRUPTED', 'loudness normalisation interrupted');
    const { bytesRead } = await handle.read(bytes, 0, chunkBytes, position);
    const frames = Math.floor(bytesRead / frameBytes);
    if (frames === 0) return;
    await visit(chunk.subarray(0, frames * (frameBytes / 4)), frames);
    position += frames * frameBytes;
  }
}
