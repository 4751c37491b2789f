import type { LoudnessFigures } from '../analysis/loudness-meter.js';
import { ebur128Args } from './args.js';
import type { MediaTools } from './locate.js';
import { runMediaTool } from './run.js';

/** ffmpeg's `ebur128` reports -70 LUFS when no block passes the absolute gate. */
const SILENT_LUFS = -70;

/**
 * Measures a media file with ffmpeg's `ebur128` filter: the referee hlsaudio checks normalised
 * variants against (its true peak resamples to 192 kHz, and reads up to a few tenths of a dB above
 * the BS.1770 annex-sized interpolator of analysis/true-peak.ts on limited audio).
 */
export async function measureWithEbur128(tools: MediaTools, file: string, options: { signal?: AbortSignal; what: string }): Promise<LoudnessFigures> {
  const output = await runMediaTool(tools.ffmpeg.path, ebur128Args(file), { file, what: options.what, signal: options.signal });
  return parseEbur128Metadata(output);
}

/** The last value of each `lavfi.r128.*` key ametadata printed: the whole file's figures. */
export function parseEbur128Metadata(output: string): LoudnessFigures {
  const last = new Map<string, number>();
  for (const line of output.split('\n')) {
    const match = /^lavfi\.r128\.([\w.]+)=(-?[\d.]+|-?inf)$/.exec(line.trim());
    if (match) last.set(match[1]!, match[2]!.endsWith('inf') ? -Infinity : Number(match[2]));
  }
  const peak = (kind: 'true_peaks' | 'sample_peaks') => {
    const values = [...last.entries()].filter(([key]) => key.startsWith(`${kind}_ch`)).map(([, value]) => value);
    const linear = values.length > 0 ? Math.max(...values) : 0;
    return linear > 0 ? round2(20 * Math.log10(linear)) : null;
  };
  const integrated = last.get('I');
  return {
    integrated_lufs: integrated === undefined || integrated <= SILENT_LUFS ? null : round2(integrated),
    range_lu: last.has('LRA') ? round2(last.get('LRA')!) : null,
    true_peak_dbtp: peak('true_peaks'),
    sample_peak_dbfs: peak('sample_peaks'),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
