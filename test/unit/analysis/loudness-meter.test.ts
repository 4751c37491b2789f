import { describe, expect, it } from 'vitest';
import { LoudnessMeter } from '../../../src/analysis/loudness-meter.js';
import { PeaksWriter } from '../../../src/analysis/peaks.js';

/** Interleaved stereo: a sine of `frequency` Hz at `amplitude` on both channels. */
function sine(seconds: number, rate: number, frequency: number, amplitude: number, phase = 0.3): Float32Array {
  const samples = new Float32Array(Math.round(seconds * rate) * 2);
  for (let n = 0; n < samples.length / 2; n++) samples[2 * n] = samples[2 * n + 1] = amplitude * Math.sin((2 * Math.PI * frequency * n) / rate + phase);
  return samples;
}

describe('LoudnessMeter (ITU-R BS.1770-4, EBU R128)', () => {
  it.each([44100, 48000, 22050])('reads a 997 Hz stereo sine at -20 dBFS as -20 LUFS (BS.1770\'s calibration), at %d Hz, fed in odd chunks', (rate) => {
    const meter = new LoudnessMeter(rate, 2);
    const samples = sine(10, rate, 997, 10 ** (-20 / 20));
    for (let at = 0; at < samples.length; at += 2 * 3001) meter.push(samples.subarray(at, at + 2 * 3001));
    const result = meter.result();
    expect(Math.abs(result.integrated_lufs! + 20)).toBeLessThan(0.05);
    expect(result.range_lu).toBeLessThan(0.1);
    expect(Math.abs(result.sample_peak_dbfs! + 20)).toBeLessThan(0.01);
    expect(result.true_peak_dbtp!).toBeGreaterThanOrEqual(result.sample_peak_dbfs!);
  });

  it('gates: silence after the tone does not lower the integrated loudness; level steps give a loudness range', () => {
    const rate = 48000;
    const meter = new LoudnessMeter(rate, 2);
    meter.push(sine(10, rate, 997, 0.1));
    meter.push(new Float32Array(rate * 2 * 10));
    // Only the blocks straddling the end of the tone, partly silent, pull it down a little.
    expect(Math.abs(meter.result().integrated_lufs! + 20)).toBeLessThan(0.1);
    const steps = new LoudnessMeter(rate, 2);
    for (const db of [-30, -20, -25]) steps.push(sine(10, rate, 997, 10 ** (db / 20)));
    expect(Math.abs(steps.result().range_lu! - 10)).toBeLessThan(0.3);
  });

  it('finds the peak between samples: a sine at a quarter of the rate, sampled off its peaks, reads 3 dB over its samples', () => {
    const rate = 48000;
    const meter = new LoudnessMeter(rate, 2);
    meter.push(sine(1, rate, rate / 4, 0.5, Math.PI / 4));
    const { true_peak_dbtp: truePeak, sample_peak_dbfs: samplePeak } = meter.result();
    expect(Math.abs(samplePeak! - 20 * Math.log10(0.5 * Math.SQRT1_2))).toBeLessThan(0.01);
    expect(Math.abs(truePeak! - 20 * Math.log10(0.5))).toBeLessThan(0.2);
  });

  it('measures the stereo-to-mono fold from the same pass: opposite channels cancel', () => {
    const meter = new LoudnessMeter(48000, 2, true);
    const samples = sine(5, 48000, 997, 0.1);
    for (let n = 1; n < samples.length; n += 2) samples[n] = -samples[n]!;
    meter.push(samples);
    expect(meter.result().integrated_lufs).not.toBeNull();
    expect(meter.foldedResult().integrated_lufs).toBeNull();
    expect(new LoudnessMeter(48000, 1).result()).toEqual({ integrated_lufs: null, range_lu: null, true_peak_dbtp: null, sample_peak_dbfs: null });
  });
});

describe('PeaksWriter (audiowaveform JSON v2)', () => {
  it('keeps min and max per channel per pixel, interleaved, a last partial pixel included', () => {
    const writer = new PeaksWriter(8000, 2, 4);
    writer.push(new Float32Array([0.5, -1, -0.5, 0.25, 0, 0, 1, 0]));
    writer.push(new Float32Array([0.1, 0.2, -0.1, -0.2]));
    expect(writer.result()).toEqual({ version: 2, channels: 2, sample_rate: 8000, samples_per_pixel: 4, bits: 8, length: 2, data: [-63, 127, -127, 32, -13, 13, -25, 25] });
  });
});
