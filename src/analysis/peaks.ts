/**
 * Waveform peaks in the JSON format of BBC's audiowaveform (version 2), which peaks.js and
 * wavesurfer.js load as they are: for each pixel of `samples_per_pixel` frames, the minimum and
 * maximum of each channel, interleaved (pixel 0 channel 0 min, max, channel 1 min, max, pixel 1 …).
 */
export interface WaveformPeaks {
  version: 2;
  channels: number;
  sample_rate: number;
  samples_per_pixel: number;
  bits: 8;
  length: number;
  data: number[];
}

/**
 * 8-bit values: a float sample x becomes round(x * 127), clamped to -128..127. Eight bits are what a
 * waveform drawing resolves, and half the size of sixteen.
 */
export function toPeakValue(sample: number): number {
  return Math.max(-128, Math.min(127, Math.round(sample * 127)));
}

/** Accumulates min/max per pixel from interleaved float frames, fed in any chunking. */
export class PeaksWriter {
  private readonly data: number[] = [];
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private fill = 0;

  constructor(
    readonly sampleRate: number,
    readonly channels: number,
    readonly samplesPerPixel: number,
  ) {
    this.min = new Float64Array(channels).fill(Infinity);
    this.max = new Float64Array(channels).fill(-Infinity);
  }

  push(samples: Float32Array): void {
    const { channels, samplesPerPixel, min, max } = this;
    const frames = Math.floor(samples.length / channels);
    for (let frame = 0; frame < frames; ) {
      // One pixel's run (or what this chunk holds of it), one channel at a time, in locals.
      const run = Math.min(samplesPerPixel - this.fill, frames - frame);
      for (let channel = 0; channel < channels; channel++) {
        let low = min[channel]!;
        let high = max[channel]!;
        const end = (frame + run) * channels;
        for (let at = frame * channels + channel; at < end; at += channels) {
          const x = samples[at]!;
          if (x < low) low = x;
          if (x > high) high = x;
        }
        min[channel] = low;
        max[channel] = high;
      }
      frame += run;
      this.fill += run;
      if (this.fill === samplesPerPixel) this.flush();
    }
  }

  /** The peaks of everything fed; a last, partial pixel counts as a pixel. */
  result(): WaveformPeaks {
    if (this.fill > 0) this.flush();
    return {
      version: 2,
      channels: this.channels,
      sample_rate: this.sampleRate,
      samples_per_pixel: this.samplesPerPixel,
      bits: 8,
      length: this.data.length / (2 * this.channels),
      data: this.data,
    };
  }

  private flush(): void {
    for (let channel = 0; channel < this.channels; channel++) {
      this.data.push(toPeakValue(this.min[channel]!), toPeakValue(this.max[channel]!));
      this.min[channel] = Infinity;
      this.max[channel] = -Infinity;
    }
    this.fill = 0;
  }
}
