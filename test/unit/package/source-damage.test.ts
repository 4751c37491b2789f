import { describe, expect, it } from 'vitest';
import type { ProbedSource } from '../../../src/media/probe.js';
import { DecoderMessages, describeDamage, sourceDamage } from '../../../src/package/source-damage.js';

const probe = (durationSec: number | undefined, durationEstimated = false) => ({ durationSec, durationEstimated }) as ProbedSource;

describe('DecoderMessages', () => {
  it('counts ffmpeg\'s error lines, repeats included, across chunk boundaries, and keeps the first without its address', () => {
    const messages = new DecoderMessages();
    messages.push('[ogg @ 0x55584e7f2580] CRC mis');
    messages.push('match!\n    Last message repeated 3 times\n[vorbis @ 0x55961d6f28c0] Invalid packet');
    messages.end();
    expect(messages.count).toBe(5);
    expect(messages.first).toBe('[ogg] CRC mismatch!');
  });
});

describe('sourceDamage', () => {
  const none = new DecoderMessages();

  it('is nothing for a clean decode within the tolerance (encoder delay and padding)', () => {
    expect(sourceDamage(8.0, probe(8.071837), none)).toBeUndefined();
    expect(sourceDamage(9.00934, probe(9), none)).toBeUndefined();
  });

  it('is a shortfall past the tolerance, but not against a duration ffprobe only estimated', () => {
    expect(sourceDamage(5.99728, probe(8), none)).toEqual({ decoded_s: 5.997, probed_s: 8, decoder_errors: 0, first_error: null });
    expect(sourceDamage(5.04163, probe(7.816495, true), none)).toBeUndefined();
  });

  it('is any decoding error, whatever the length', () => {
    const messages = new DecoderMessages();
    messages.push('[mp3float @ 0x1] Header missing\n');
    const damage = sourceDamage(8, probe(8), messages)!;
    expect(damage).toEqual({ decoded_s: 8, probed_s: 8, decoder_errors: 1, first_error: '[mp3float] Header missing' });
    expect(describeDamage(damage)).toBe('ffmpeg reported 1 decoding error (first: "[mp3float] Header missing")');
    expect(describeDamage({ decoded_s: 6, probed_s: 8, decoder_errors: 0, first_error: null })).toBe('it decodes to 6.0 s of the 8.0 s its container announces');
  });
});
