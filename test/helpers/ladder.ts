import { readFileSync } from 'node:fs';
import type { TrackInfo } from '../../src/catalog/schema.js';
import type { AdaptiveProfile } from '../../src/profiles/profile.js';
import type { Ladder } from '../../src/streaming/choose-profile.js';

/** The spec's four profiles, as profiles/default/*.json ship them, grouped as `package` groups them. */
const read = (id: string) => JSON.parse(readFileSync(new URL(`../../profiles/default/${id}.json`, import.meta.url), 'utf8')) as AdaptiveProfile;
export const PROFILES = ['high', 'medium', 'low', 'mobile'].map(read);
export const LADDER: Ladder = {
  profiles: PROFILES,
  masters: [
    { file: 'master.m3u8', codec_family: 'aac', container: 'packed', profiles: ['high', 'medium', 'mobile'] },
    { file: 'master-mp3.m3u8', codec_family: 'mp3', container: 'packed', profiles: ['low'] },
  ],
};

/** Just what the manager reads of a track.json. */
export function fakeTrack(id: string): TrackInfo {
  return { id, profiles: LADDER.profiles, masters: LADDER.masters, variants: [] } as unknown as TrackInfo;
}
