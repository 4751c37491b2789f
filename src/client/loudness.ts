import { clientDefaults } from './defaults.js';

/** A track's measured loudness (EBU R128 / ITU-R BS.1770), as `package` records it. */
export interface Loudness {
  integratedLufs: number;
  truePeakDbtp: number;
}

/**
 * The loudness figures of a catalog.json or track.json entry, or undefined when it has none. The ONE
 * place that knows their field names.
 */
export function loudnessOf(entry: unknown): Loudness | undefined {
  const loudness = (entry as { loudness?: { integrated_lufs?: unknown; true_peak_dbtp?: unknown } } | null)?.loudness;
  const integrated = loudness?.integrated_lufs;
  const truePeak = loudness?.true_peak_dbtp;
  if (typeof integrated !== 'number' || !Number.isFinite(integrated) || typeof truePeak !== 'number' || !Number.isFinite(truePeak)) return undefined;
  return { integratedLufs: integrated, truePeakDbtp: truePeak };
}

/**
 * The gain (dB) that brings a track to `targetLufs`, lowered where needed so that its true peak
 * stays at or below `ceilingDbtp`: a quiet track with loud peaks is raised only as far as it can be
 * without clipping. No figures: no gain.
 */
export function normalisationGainDb(
  loudness: Loudness | undefined,
  targetLufs: number = clientDefaults.loudnessTargetLufs,
  ceilingDbtp: number = clientDefaults.truePeakCeilingDbtp,
): number {
  if (!loudness) return 0;
  return Math.min(targetLufs - loudness.integratedLufs, ceilingDbtp - loudness.truePeakDbtp);
}

/** dB to a linear amplitude factor (for a GainNode or a volume). */
export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}
