import { expect, it } from 'vitest';
import { dbToGain, loudnessOf, normalisationGainDb } from '../../../src/client/loudness.js';

it('reads the loudness figures of a catalog entry, none when absent or not numbers', () => {
  expect(loudnessOf({ id: 'a', loudness: { integrated_lufs: -9.5, true_peak_dbtp: -0.3, range_lu: 6 } })).toEqual({ integratedLufs: -9.5, truePeakDbtp: -0.3 });
  expect(loudnessOf({ id: 'a' })).toBeUndefined();
  expect(loudnessOf({ id: 'a', loudness: { integrated_lufs: '-9' } })).toBeUndefined();
  expect(loudnessOf(null)).toBeUndefined();
});

it('brings a track to -16 LUFS, lowering the gain so that the true peak stays under -1 dBTP', () => {
  // A loud master is turned down by the difference.
  expect(normalisationGainDb({ integratedLufs: -8, truePeakDbtp: 0.5 })).toBe(-8);
  // A quiet track with room to spare is raised to the target.
  expect(normalisationGainDb({ integratedLufs: -22, truePeakDbtp: -10 })).toBe(6);
  // A quiet track with loud peaks is raised only as far as its peak allows.
  expect(normalisationGainDb({ integratedLufs: -22, truePeakDbtp: -3 })).toBe(2);
  expect(normalisationGainDb(undefined)).toBe(0);
  expect(normalisationGainDb({ integratedLufs: -20, truePeakDbtp: -6 }, -14, -2)).toBe(4);
});

it('turns dB into an amplitude factor', () => {
  expect(dbToGain(0)).toBe(1);
  expect(dbToGain(-20)).toBeCloseTo(0.1, 12);
  expect(dbToGain(6)).toBeCloseTo(1.995, 3);
});
