/**
 * A track's waveform as `audiowaveform` writes it (JSON format version 2): per pixel, for each
 * channel, a min and a max sample value, `bits` wide. Served at `/hls/:track_id/peaks.json`.
 */
export interface Peaks {
  version: 2;
  channels: number;
  sample_rate: number;
  samples_per_pixel: number;
  bits: 8 | 16;
  /** Pixels. */
  length: number;
  data: number[];
}

/** Checks a peaks.json; throws a TypeError naming the field that is wrong. */
export function parsePeaks(value: unknown): Peaks {
  const peaks = value as Partial<Peaks> | null;
  const positive = (name: keyof Peaks) => {
    const field = peaks?.[name];
    if (typeof field !== 'number' || !Number.isInteger(field) || field <= 0) throw new TypeError(`peaks.json: Expected \`${name}\` to be a positive integer, got ${JSON.stringify(field)}`);
    return field;
  };
  if (peaks?.version !== 2) throw new TypeError(`peaks.json: Expected \`version\` to be 2, got ${JSON.stringify(peaks?.version)}`);
  if (peaks.bits !== 8 && peaks.bits !== 16) throw new TypeError(`peaks.json: Expected \`bits\` to be 8 or 16, got ${JSON.stringify(peaks.bits)}`);
  const channels = positive('channels');
  positive('sample_rate');
  positive('samples_per_pixel');
  const length = typeof peaks.length === 'number' && Number.isInteger(peaks.length) && peaks.length >= 0 ? peaks.length : -1;
  if (length < 0) throw new TypeError(`peaks.json: Expected \`length\` to be a whole number, got ${JSON.stringify(peaks.length)}`);
  if (!Array.isArray(peaks.data) || peaks.data.length !== length * channels * 2 || !peaks.data.every((sample) => typeof sample === 'number')) {
    throw new TypeError(`peaks.json: Expected \`data\` to be ${length * channels * 2} numbers (length x channels x 2), got ${Array.isArray(peaks.data) ? `${peaks.data.length} items` : typeof peaks.data}`);
  }
  return peaks as Peaks;
}

/** Seconds the waveform covers. */
export function peaksDurationSec(peaks: Peaks): number {
  return (peaks.length * peaks.samples_per_pixel) / peaks.sample_rate;
}

/**
 * `count` bar heights from 0 to 1 (full scale), for a seek bar `count` bars wide: each bar is the
 * largest absolute sample of its share of the pixels, over every channel.
 */
export function waveformBars(peaks: Peaks, count: number): number[] {
  const fullScale = 2 ** (peaks.bits - 1);
  const stride = peaks.channels * 2;
  const bars: number[] = [];
  for (let bar = 0; bar < count; bar++) {
    const from = Math.floor((bar * peaks.length) / count);
    const to = Math.max(from + 1, Math.floor(((bar + 1) * peaks.length) / count));
    let largest = 0;
    for (let pixel = from; pixel < Math.min(to, peaks.length); pixel++) {
      for (let i = pixel * stride; i < (pixel + 1) * stride; i++) largest = Math.max(largest, Math.abs(peaks.data[i]!));
    }
    bars.push(Math.min(1, largest / fullScale));
  }
  return bars;
}
