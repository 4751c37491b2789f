import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type NormalizationInfo, SCHEMA_VERSION } from '../catalog/schema.js';
import { packageDefaults } from '../defaults.js';
import type { AdaptiveProfile } from '../profiles/profile.js';
import { VERSION } from '../version.js';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface CacheInputs {
  sourceSha256: string;
  profiles: readonly AdaptiveProfile[];
  segmentDurationSec: number;
  tailMergeMaxSec: number;
  compensateDelay: boolean;
  normalization: NormalizationInfo | null;
}

/**
 * Everything a track's output depends on: source content, ladder (containers included), segment
 * and loudness options, the peaks resolution, the track.json schema and the hlsaudio version. A
 * track whose track.json holds the same key is not rebuilt (unless `--force`).
 */
export function cacheKey(inputs: CacheInputs): string {
  return createHash('sha256')
    .update(JSON.stringify({ version: VERSION, schema: SCHEMA_VERSION, peaksSamplesPerPixel: packageDefaults.peaksSamplesPerPixel, ...inputs }))
    .digest('hex');
}
