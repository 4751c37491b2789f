/**
 * True-peak level (ITU-R BS.1770-4 Annex 2): the largest magnitude of the signal oversampled four
 * times, which catches the peaks between samples that a DAC reconstructs. The interpolator is a
 * 4-phase polyphase FIR of 4 x 12 taps (the size Annex 2 uses), a Kaiser-windowed sinc cut at the
 * original Nyquist frequency.
 */
const PHASES = 4;
const TAPS_PER_PHASE = 12;
/** Kaiser window beta: about 60 dB of stop-band attenuation for this length. */
const KAISER_BETA = 6;
/** Frames per block: the unit in which blocks are skipped (meter) or limited (limiter). */
export const TRUE_PEAK_BLOCK_FRAMES = 64;
const BLOCK = TRUE_PEAK_BLOCK_FRAMES;

/** phase-major coefficients: PHASE p uses FILTER[p * TAPS_PER_PHASE + k] on x[n - k]. */
const FILTER = designInterpolator();
/** The largest gain any phase can have on a signal bounded by 1: a new peak needs a block max above peak / this. */
const MAX_PHASE_GAIN = Math.max(
  ...Array.from({ length: PHASES }, (_, p) => FILTER.subarray(p * TAPS_PER_PHASE, (p + 1) * TAPS_PER_PHASE).reduce((sum, c) => sum + Math.abs(c), 0)),
);

function designInterpolator(): Float64Array {
  const length = PHASES * TAPS_PER_PHASE;
  const center = (length - 1) / 2;
  const prototype = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const t = (i - center) / PHASES;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
    const r = (2 * i) / (length - 1) - 1;
    prototype[i] = sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / besselI0(KAISER_BETA));
  }
  const filter = new Float64Array(length);
  for (let p = 0; p < PHASES; p++) {
    // Each phase passes DC at unity gain.
    let sum = 0;
    for (let k = 0; k < TAPS_PER_PHASE; k++) sum += prototype[p + PHASES * k]!;
    for (let k = 0; k < TAPS_PER_PHASE; k++) filter[p * TAPS_PER_PHASE + k] = prototype[p + PHASES * k]! / sum;
  }
  return filter;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 30; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * The true peak of one channel, 64-frame block by block, fed interleaved frames. A block whose every
 * sample is too small to reach `floor` through any phase is not computed (a rigorous bound): the
 * meter's floor is the peak so far, so the cost falls once the loud passages have set it.
 */
export class TruePeakScanner {
  /** The last TAPS_PER_PHASE - 1 input samples, most recent last. */
  private readonly history = new Float64Array(TAPS_PER_PHASE - 1);
  private readonly window = new Float64Array(TAPS_PER_PHASE - 1 + BLOCK);
  private blocks = 0;

  /**
   * Feeds `frames` frames of channel `channel` of interleaved `samples` (whole blocks, but for the
   * last call). Calls `onBlock(index, peak)` for each block that may reach `floor`, with its peak:
   * the largest of its oversampled values and of its samples and the 11 before them (the
   * oversampled values lag the samples by up to 6 frames, the filter's half length).
   */
  push(samples: Float32Array, channels: number, channel: number, frames: number, floor: () => number, onBlock: (index: number, peak: number) => void): void {
    const keep = TAPS_PER_PHASE - 1;
    for (let start = 0; start < frames; start += BLOCK) {
      const count = Math.min(BLOCK, frames - start);
      const window = this.window;
      window.set(this.history, 0);
      let blockMax = 0;
      for (let i = 0; i < keep; i++) blockMax = Math.max(blockMax, Math.abs(window[i]!));
      for (let i = 0; i < count; i++) {
        const x = samples[(start + i) * channels + channel]!;
        window[keep + i] = x;
        const magnitude = Math.abs(x);
        if (magnitude > blockMax) blockMax = magnitude;
      }
      // None of the four phases is the sample itself: a block's peak is at least its largest sample.
      if (blockMax * MAX_PHASE_GAIN > floor()) onBlock(this.blocks, Math.max(blockMax, this.scan(window, count)));
      this.history.set(window.subarray(count, count + keep));
      this.blocks++;
    }
  }

  /** The largest oversampled magnitude of the block's frames. */
  private scan(window: Float64Array, count: number): number {
    // Twelve taps unrolled, the inputs loaded once for the four phases: the hot loop of the analysis.
    const f = FILTER;
    let peak = 0;
    for (let newest = TAPS_PER_PHASE - 1; newest < TAPS_PER_PHASE - 1 + count; newest++) {
      const x0 = window[newest]!, x1 = window[newest - 1]!, x2 = window[newest - 2]!, x3 = window[newest - 3]!;
      const x4 = window[newest - 4]!, x5 = window[newest - 5]!, x6 = window[newest - 6]!, x7 = window[newest - 7]!;
      const x8 = window[newest - 8]!, x9 = window[newest - 9]!, x10 = window[newest - 10]!, x11 = window[newest - 11]!;
      for (let base = 0; base < PHASES * TAPS_PER_PHASE; base += TAPS_PER_PHASE) {
        const y =
          f[base]! * x0 + f[base + 1]! * x1 + f[base + 2]! * x2 + f[base + 3]! * x3 +
          f[base + 4]! * x4 + f[base + 5]! * x5 + f[base + 6]! * x6 + f[base + 7]! * x7 +
          f[base + 8]! * x8 + f[base + 9]! * x9 + f[base + 10]! * x10 + f[base + 11]! * x11;
        const magnitude = y < 0 ? -y : y;
        if (magnitude > peak) peak = magnitude;
      }
    }
    return peak;
  }
}

/** The true peak of one channel (linear), for the loudness meter. */
export class TruePeakMeter {
  peak = 0;
  private readonly scanner = new TruePeakScanner();

  push(samples: Float32Array, channels: number, channel: number, frames: number): void {
    this.scanner.push(samples, channels, channel, frames, () => this.peak, (_index, peak) => {
      if (peak > this.peak) this.peak = peak;
    });
  }
}
