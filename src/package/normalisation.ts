import type { PcmAnalysis } from '../analysis/analyse-pcm.js';
import type { LoudnessFigures } from '../analysis/loudness-meter.js';
import type { NormalizationInfo, VariantLoudness } from '../catalog/schema.js';
import { packageDefaults } from '../defaults.js';
import { HlsaudioError } from '../errors.js';

/** 10 log10(2): a mono signal played on two channels is this much louder (BS.1770 sums the channels' power). */
const DUAL_MONO_LU = 10 * Math.log10(2);
/** Normalised variants must measure within this of the target (the promise). */
const TARGET_TOLERANCE_LU = 0.5;
/** A variant quieter than the target by more than this after limiting gets its gain raised again. */
const MAKEUP_THRESHOLD_LU = 0.3;

/** A variant's loudness predicted from the source analysis: its channels, no gain. */
export function sourceLoudnessFor(analysis: PcmAnalysis, sourceChannels: number, variantChannels: number): Pick<LoudnessFigures, 'integrated_lufs' | 'true_peak_dbtp'> {
  const { loudness } = analysis;
  if (sourceChannels === variantChannels) return loudness;
  if (sourceChannels === 1) return { ...loudness, integrated_lufs: loudness.integrated_lufs === null ? null : round2(loudness.integrated_lufs + DUAL_MONO_LU) };
  // Folded to mono: the average's peak is never above the channels' peak.
  return { integrated_lufs: analysis.foldedLoudness?.integrated_lufs ?? null, true_peak_dbtp: loudness.true_peak_dbtp };
}

/** VariantLoudness of a variant that is not normalised: the source's figures for its channels. */
export function unnormalisedLoudness(analysis: PcmAnalysis, sourceChannels: number, variantChannels: number): VariantLoudness {
  const predicted = sourceLoudnessFor(analysis, sourceChannels, variantChannels);
  return { integrated_lufs: predicted.integrated_lufs, true_peak_dbtp: predicted.true_peak_dbtp, gain_db: 0, limited: false, measured: 'source' };
}

/** How one encode is made: a gain (in the encoder's filter chain) or, when the peaks need it, a limited copy of the PCM. */
export interface GainPlan {
  gainDb: number;
  /** Where the limiter aims, dBTP; undefined: no limiter. */
  limiterAimDbtp: number | undefined;
}

/**
 * The first plan for a variant: the gain that brings it to the target (never above 0 dB in
 * `attenuate` mode), and a limiter only when that gain would put the true peak above the ceiling
 * (less packageDefaults.limiterMarginDb). Silence (no gated block) gets no gain.
 */
export function firstPlan(predicted: Pick<LoudnessFigures, 'integrated_lufs' | 'true_peak_dbtp'>, normalization: NormalizationInfo): GainPlan {
  if (predicted.integrated_lufs === null) return { gainDb: 0, limiterAimDbtp: undefined };
  let gainDb = normalization.target_lufs - predicted.integrated_lufs;
  if (normalization.mode === 'attenuate') gainDb = Math.min(0, gainDb);
  const aim = normalization.true_peak_ceiling_dbtp - packageDefaults.limiterMarginDb;
  const needsLimiter = predicted.true_peak_dbtp !== null && predicted.true_peak_dbtp + gainDb > aim;
  return { gainDb: round2(gainDb), limiterAimDbtp: needsLimiter ? aim : undefined };
}

export interface NormalisedEncode {
  /** Encodes the variant from `pcmFile` with `gainDb` applied by the encoder. */
  encode(pcmFile: string, gainDb: number): Promise<void>;
  /** A copy of the decoded PCM with `gainDb` applied through a true-peak limiter aiming at `aimDbtp`. */
  limited(gainDb: number, aimDbtp: number): Promise<string>;
  /** Measures the encoded variant as decoded (ffmpeg's ebur128). */
  measure(): Promise<LoudnessFigures>;
  pcmFile: string;
  /** For messages: "<file>: <quality_id>". */
  what: string;
}

/**
 * Encodes a variant normalised to the target and checks it as decoded: lossy coding moves peaks
 * (seen here: ffmpeg's native AAC encoder on full-band noise bursts overshoots by 3 dB), so a
 * variant whose true peak is above the ceiling is limited again, lower by the overshoot, and one
 * that limiting left quieter than the target gets its gain raised, at most limiterRetries times.
 * A variant that still misses is an E_LOUDNESS error naming what was measured.
 */
export async function encodeNormalised(plan: GainPlan, normalization: NormalizationInfo, steps: NormalisedEncode): Promise<VariantLoudness> {
  let { gainDb, limiterAimDbtp } = plan;
  let measured: LoudnessFigures | undefined;
  for (let attempt = 0; attempt <= packageDefaults.limiterRetries; attempt++) {
    const input = limiterAimDbtp === undefined ? steps.pcmFile : await steps.limited(gainDb, limiterAimDbtp);
    await steps.encode(input, limiterAimDbtp === undefined ? gainDb : 0);
    measured = await steps.measure();
    const verdict = judge(measured, normalization);
    if (verdict.ok) {
      return { integrated_lufs: measured.integrated_lufs, true_peak_dbtp: measured.true_peak_dbtp, gain_db: round2(gainDb), limited: limiterAimDbtp !== undefined, measured: 'decoded-variant' };
    }
    if (verdict.overshootDb > 0) limiterAimDbtp = round2((limiterAimDbtp ?? normalization.true_peak_ceiling_dbtp - packageDefaults.limiterMarginDb) - verdict.overshootDb - packageDefaults.limiterMarginDb);
    if (verdict.shortfallLu > MAKEUP_THRESHOLD_LU && (normalization.mode === 'normalize' || gainDb + verdict.shortfallLu <= 0)) {
      gainDb = round2(gainDb + verdict.shortfallLu);
      limiterAimDbtp ??= normalization.true_peak_ceiling_dbtp - packageDefaults.limiterMarginDb;
    }
  }
  throw new HlsaudioError(
    'E_LOUDNESS',
    `${steps.what}: cannot normalise to ${normalization.target_lufs} LUFS with true peak at most ${normalization.true_peak_ceiling_dbtp} dBTP: after ${packageDefaults.limiterRetries + 1} tries the variant measures ${measured?.integrated_lufs} LUFS, ${measured?.true_peak_dbtp} dBTP; lower --loudness-target or raise --true-peak-ceiling`,
  );
}

function judge(measured: LoudnessFigures, normalization: NormalizationInfo): { ok: boolean; overshootDb: number; shortfallLu: number } {
  const overshootDb = Math.max(0, (measured.true_peak_dbtp ?? -Infinity) - normalization.true_peak_ceiling_dbtp);
  if (measured.integrated_lufs === null) return { ok: overshootDb === 0, overshootDb, shortfallLu: 0 };
  const offset = measured.integrated_lufs - normalization.target_lufs;
  // `attenuate` never raises: quieter than the target is right; louder is not.
  const loudnessOk = normalization.mode === 'attenuate' ? offset <= TARGET_TOLERANCE_LU : Math.abs(offset) <= TARGET_TOLERANCE_LU;
  return { ok: overshootDb === 0 && loudnessOk, overshootDb, shortfallLu: Math.max(0, -offset) };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
