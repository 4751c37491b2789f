import { type Biquad, kWeightingFilters } from './k-weighting.js';
import { TruePeakMeter } from './true-peak.js';

/** What hlsaudio records of a track's loudness; null where the audio is too quiet to say (silence). */
export interface LoudnessFigures {
  /** ITU-R BS.1770-4 integrated loudness (gated), LUFS. */
  integrated_lufs: number | null;
  /** EBU Tech 3342 loudness range, LU. */
  range_lu: number | null;
  /** Largest magnitude of the 4x oversampled signal, dBTP. */
  true_peak_dbtp: number | null;
  /** Largest sample magnitude, dBFS. */
  sample_peak_dbfs: number | null;
}

const ABSOLUTE_GATE_LUFS = -70;
const RELATIVE_GATE_LU = -10;
const RANGE_RELATIVE_GATE_LU = -20;
/** Loudness blocks (BS.1770: 400 ms) and short-term windows (EBU 3341: 3 s) advance by 100 ms, as ffmpeg's `ebur128` does. */
const HOPS_PER_BLOCK = 4;
const HOPS_PER_SHORT_TERM = 30;

/**
 * An EBU R128 meter fed interleaved float frames: K-weighted mean squares per 100 ms hop, from
 * which the gated integrated loudness (400 ms blocks, 75 % overlap, -70 LUFS and -10 LU gates) and
 * the loudness range (3 s windows, -70 LUFS and -20 LU gates, 10th to 95th percentile) are computed
 * at the end; sample and true peak along the way. Memory: one number per 100 ms of audio.
 *
 * `foldToMono` also measures the average of the two channels (what a mono variant of a stereo
 * source plays), from the same K-weighted signals: the filter is linear.
 */
export class LoudnessMeter {
  private readonly filters: [Biquad, Biquad];
  private readonly state: Float64Array;
  private readonly truePeaks: TruePeakMeter[];
  private readonly hopFrames: number;
  private samplePeak = 0;
  private hopEnergy = 0;
  private hopFoldEnergy = 0;
  private hopFill = 0;
  /** Per 100 ms hop: the channel-summed mean square of the K-weighted signal. */
  private readonly hops: number[] = [];
  private readonly foldHops: number[] = [];

  constructor(
    readonly sampleRate: number,
    readonly channels: 1 | 2,
    private readonly foldToMono = false,
  ) {
    this.filters = kWeightingFilters(sampleRate);
    this.state = new Float64Array(8);
    this.truePeaks = Array.from({ length: channels }, () => new TruePeakMeter());
    this.hopFrames = Math.floor(sampleRate / 10);
  }

  /** Feeds whole interleaved frames. */
  push(samples: Float32Array): void {
    const channels = this.channels;
    const frames = Math.floor(samples.length / channels);
    for (let channel = 0; channel < channels; channel++) this.truePeaks[channel]!.push(samples, channels, channel, frames);
    // The hot loop keeps every coefficient and filter state in locals (several times faster in V8
    // than indexing the state array per sample), one channel or two.
    const [shelf, highPass] = this.filters;
    const { b0, b1, b2, a1, a2 } = shelf;
    const { b0: c0, b1: c1, b2: c2, a1: d1, a2: d2 } = highPass;
    const state = this.state;
    let [l1 = 0, l2 = 0, l3 = 0, l4 = 0, r1 = 0, r2 = 0, r3 = 0, r4 = 0] = state;
    const stereo = channels === 2;
    const fold = this.foldToMono && stereo;
    const hopFrames = this.hopFrames;
    let samplePeak = this.samplePeak;
    let energy = this.hopEnergy;
    let foldEnergy = this.hopFoldEnergy;
    let fill = this.hopFill;
    for (let frame = 0; frame < frames; frame++) {
      const x = samples[stereo ? 2 * frame : frame]!;
      const ax = x < 0 ? -x : x;
      if (ax > samplePeak) samplePeak = ax;
      const u = b0 * x + l1;
      l1 = b1 * x - a1 * u + l2;
      l2 = b2 * x - a2 * u;
      const left = c0 * u + l3;
      l3 = c1 * u - d1 * left + l4;
      l4 = c2 * u - d2 * left;
      energy += left * left;
      if (stereo) {
        const y = samples[2 * frame + 1]!;
        const ay = y < 0 ? -y : y;
        if (ay > samplePeak) samplePeak = ay;
        const v = b0 * y + r1;
        r1 = b1 * y - a1 * v + r2;
        r2 = b2 * y - a2 * v;
        const right = c0 * v + r3;
        r3 = c1 * v - d1 * right + r4;
        r4 = c2 * v - d2 * right;
        energy += right * right;
        if (fold) foldEnergy += 0.25 * (left + right) * (left + right);
      }
      if (++fill === hopFrames) {
        this.hops.push(energy / fill);
        if (fold) this.foldHops.push(foldEnergy / fill);
        energy = 0;
        foldEnergy = 0;
        fill = 0;
      }
    }
    state.set([l1, l2, l3, l4, r1, r2, r3, r4]);
    this.samplePeak = samplePeak;
    this.hopEnergy = energy;
    this.hopFoldEnergy = foldEnergy;
    this.hopFill = fill;
  }

  /** The figures of everything fed so far (a last hop shorter than 100 ms is left out, as ffmpeg does). */
  result(): LoudnessFigures {
    const truePeak = Math.max(this.samplePeak, ...this.truePeaks.map((meter) => meter.peak));
    return { ...gatedLoudness(this.hops), true_peak_dbtp: decibels(truePeak), sample_peak_dbfs: decibels(this.samplePeak) };
  }

  /** Integrated loudness and range of the two channels' average (requires `foldToMono`). */
  foldedResult(): Pick<LoudnessFigures, 'integrated_lufs' | 'range_lu'> {
    return gatedLoudness(this.foldHops);
  }
}

function gatedLoudness(hops: readonly number[]): Pick<LoudnessFigures, 'integrated_lufs' | 'range_lu'> {
  return {
    integrated_lufs: integrated(windows(hops, HOPS_PER_BLOCK)),
    range_lu: loudnessRange(windows(hops, HOPS_PER_SHORT_TERM)),
  };
}

/** Mean squares of every window of `size` hops, advancing one hop at a time. */
function windows(hops: readonly number[], size: number): number[] {
  const result: number[] = [];
  let sum = 0;
  for (let i = 0; i < hops.length; i++) {
    sum += hops[i]!;
    if (i >= size) sum -= hops[i - size]!;
    if (i >= size - 1) result.push(Math.max(0, sum) / size);
  }
  return result;
}

function loudnessOf(meanSquare: number): number {
  return -0.691 + 10 * Math.log10(meanSquare);
}

function integrated(blocks: readonly number[]): number | null {
  const aboveAbsolute = blocks.filter((z) => loudnessOf(z) > ABSOLUTE_GATE_LUFS);
  if (aboveAbsolute.length === 0) return null;
  const relativeGate = loudnessOf(mean(aboveAbsolute)) + RELATIVE_GATE_LU;
  const gated = aboveAbsolute.filter((z) => loudnessOf(z) > relativeGate);
  return round2(loudnessOf(mean(gated)));
}

function loudnessRange(shortTerm: readonly number[]): number | null {
  const aboveAbsolute = shortTerm.filter((z) => loudnessOf(z) > ABSOLUTE_GATE_LUFS);
  if (aboveAbsolute.length === 0) return null;
  const relativeGate = loudnessOf(mean(aboveAbsolute)) + RANGE_RELATIVE_GATE_LU;
  const levels = aboveAbsolute
    .map(loudnessOf)
    .filter((level) => level > relativeGate)
    .sort((a, b) => a - b);
  const percentile = (p: number) => levels[Math.round((levels.length - 1) * p)]!;
  return round2(percentile(0.95) - percentile(0.1));
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function decibels(linear: number): number | null {
  return linear > 0 ? round2(20 * Math.log10(linear)) : null;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
