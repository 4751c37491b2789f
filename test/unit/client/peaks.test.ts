import { expect, it } from 'vitest';
import { parsePeaks, peaksDurationSec, waveformBars } from '../../../src/client/peaks.js';

/** A synthetic peaks.json as audiowaveform writes it: 2 channels, 8 bits, 4 pixels of 512 samples. */
const stereo = {
  version: 2,
  channels: 2,
  sample_rate: 44100,
  samples_per_pixel: 512,
  bits: 8,
  length: 4,
  // pixel: [min L, max L, min R, max R]
  data: [-10, 12, -4, 4, -128, 127, -64, 64, 0, 0, 0, 0, -32, 16, -8, 96],
};

it('reads audiowaveform version 2 and says how long it lasts', () => {
  const peaks = parsePeaks(stereo);
  expect(peaks.length).toBe(4);
  expect(peaksDurationSec(peaks)).toBeCloseTo((4 * 512) / 44100, 9);
});

it('makes one bar per share of the pixels: the largest absolute sample of any channel, over full scale', () => {
  const peaks = parsePeaks(stereo);
  expect(waveformBars(peaks, 4)).toEqual([12 / 128, 1, 0, 96 / 128]);
  expect(waveformBars(peaks, 2)).toEqual([1, 96 / 128]);
  // More bars than pixels: each pixel spreads over several bars.
  expect(waveformBars(peaks, 8)).toEqual([12 / 128, 12 / 128, 1, 1, 0, 0, 96 / 128, 96 / 128]);
  expect(waveformBars(parsePeaks({ ...stereo, bits: 16, data: stereo.data.map((v) => v * 256) }), 1)).toEqual([1]) // -128 x 256: full scale;
});

it('refuses a file that is not one, naming the field', () => {
  expect(() => parsePeaks({ ...stereo, version: 1 })).toThrow('peaks.json: Expected `version` to be 2, got 1');
  expect(() => parsePeaks({ ...stereo, bits: 12 })).toThrow('peaks.json: Expected `bits` to be 8 or 16, got 12');
  expect(() => parsePeaks({ ...stereo, channels: 0 })).toThrow('peaks.json: Expected `channels` to be a positive integer, got 0');
  expect(() => parsePeaks({ ...stereo, data: [1, 2] })).toThrow('peaks.json: Expected `data` to be 16 numbers (length x channels x 2), got 2 items');
  expect(() => parsePeaks(null)).toThrow('peaks.json: Expected `version` to be 2, got undefined');
});
