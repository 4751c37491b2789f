import type { SourceDamage } from '../catalog/schema.js';
import { packageDefaults } from '../defaults.js';
import { HlsaudioError } from '../errors.js';
import type { ProbedSource } from '../media/probe.js';

/**
 * Counts the messages ffmpeg prints while decoding at `-loglevel error` (each one an error: a CRC
 * mismatch of an Ogg page, a damaged MP3 frame, …), and keeps the first. ffmpeg folds repeats into
 * `Last message repeated N times`, which counts N.
 */
export class DecoderMessages {
  count = 0;
  first: string | null = null;
  private partial = '';

  push(text: string): void {
    const lines = (this.partial + text).split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** Counts the last line if it had no newline. */
  end(): void {
    this.line(this.partial);
    this.partial = '';
  }

  private line(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    const repeated = /^Last message repeated (\d+) times?$/.exec(line);
    if (repeated) {
      this.count += Number(repeated[1]);
      return;
    }
    this.count += 1;
    // `[ogg @ 0x55584e7f2580] CRC mismatch!` → `[ogg] CRC mismatch!`: the address means nothing to anyone.
    this.first ??= line.replace(/^\[(\S+) @ 0x[0-9a-f]+\]/, '[$1]');
  }
}

/**
 * What is wrong with a decoded source, or undefined when nothing is: ffmpeg printed errors, or the
 * audio is more than sourceShortfallToleranceSec shorter than the container announces (a demuxer
 * that skips damaged pages, such as Ogg's, prints a CRC error and carries on; a truncated file may
 * print nothing). A duration ffprobe only estimated from the bit rate is not compared.
 */
export function sourceDamage(decodedSec: number, probe: ProbedSource, messages: DecoderMessages): SourceDamage | undefined {
  const probedSec = probe.durationEstimated ? undefined : probe.durationSec;
  const short = probedSec !== undefined && probedSec - decodedSec > packageDefaults.sourceShortfallToleranceSec;
  if (messages.count === 0 && !short) return undefined;
  return {
    decoded_s: Number(decodedSec.toFixed(3)),
    probed_s: probedSec === undefined ? null : Number(probedSec.toFixed(3)),
    decoder_errors: messages.count,
    first_error: messages.first,
  };
}

/** What the damage is, in words: `it decodes to 6.0 s of the 8.0 s its container announces; ffmpeg reported 5 errors (first: …)`. */
export function describeDamage(damage: SourceDamage): string {
  const parts: string[] = [];
  if (damage.probed_s !== null && damage.probed_s - damage.decoded_s > packageDefaults.sourceShortfallToleranceSec) {
    parts.push(`it decodes to ${damage.decoded_s.toFixed(1)} s of the ${damage.probed_s.toFixed(1)} s its container announces`);
  }
  if (damage.decoder_errors > 0) {
    parts.push(`ffmpeg reported ${damage.decoder_errors} decoding error${damage.decoder_errors === 1 ? '' : 's'} (first: ${JSON.stringify(damage.first_error)})`);
  }
  return parts.join('; ');
}

export function damagedSourceError(displayFile: string, file: string, damage: SourceDamage): HlsaudioError {
  return new HlsaudioError(
    'E_INPUT_CORRUPT',
    `${displayFile}: damaged source: ${describeDamage(damage)}; --accept-damaged builds it anyway and records the damage in track.json`,
    { file },
  );
}
