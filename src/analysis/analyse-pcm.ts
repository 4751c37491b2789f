import { open } from 'node:fs/promises';
import { HlsaudioError } from '../errors.js';
import { type LoudnessFigures, LoudnessMeter } from './loudness-meter.js';
import { PeaksWriter, type WaveformPeaks } from './peaks.js';

export interface PcmAnalysis {
  /** The decoded audio as it is (its own channels). */
  loudness: LoudnessFigures;
  /** Integrated loudness and range of the two channels' average; only asked for when a variant folds stereo to mono. */
  foldedLoudness: Pick<LoudnessFigures, 'integrated_lufs' | 'range_lu'> | undefined;
  peaks: WaveformPeaks;
}

export interface PcmAnalysisOptions {
  sampleRate: number;
  channels: 1 | 2;
  samplesPerPixel: number;
  foldToMono: boolean;
  /** Bytes read at a time; the file is streamed, never held whole. */
  chunkBytes: number;
  signal?: AbortSignal;
}

/**
 * One pass over a raw f32le PCM file (the decode step's output): EBU R128 loudness, sample and true
 * peak, and waveform peaks. Between chunks it yields to the event loop, so the progress display and
 * the encoders' pipes keep flowing.
 */
export async function analysePcm(file: string, options: PcmAnalysisOptions): Promise<PcmAnalysis> {
  const meter = new LoudnessMeter(options.sampleRate, options.channels, options.foldToMono);
  const peaks = new PeaksWriter(options.sampleRate, options.channels, options.samplesPerPixel);
  const frameBytes = 4 * options.channels;
  const chunkBytes = Math.max(frameBytes, options.chunkBytes - (options.chunkBytes % frameBytes));
  const handle = await open(file, 'r');
  try {
    const chunk = new Float32Array(chunkBytes / 4);
    const bytes = Buffer.from(chunk.buffer);
    for (let position = 0; ; ) {
      if (options.signal?.aborted) throw new HlsaudioError('E_INTERRUPTED', `${file}: loudness analysis interrupted`, { file });
      const { bytesRead } = await handle.read(bytes, 0, chunkBytes, position);
      const whole = bytesRead - (bytesRead % frameBytes);
      if (whole === 0) break;
      const samples = chunk.subarray(0, whole / 4);
      meter.push(samples);
      peaks.push(samples);
      position += whole;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await handle.close();
  }
  return { loudness: meter.result(), foldedLoudness: options.foldToMono ? meter.foldedResult() : undefined, peaks: peaks.result() };
}
