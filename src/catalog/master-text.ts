import type { MasterInfo, TrackInfo } from './schema.js';
import { formatMasterPlaylist } from '../hls/playlist.js';

/**
 * A master playlist's text from track.json alone: its variants in the master's order, with their
 * measured peak and average bit rates and CODECS. `package` writes masters with it, and rewrites
 * them with it after a rebuild lands (or after one was stopped before it could), so a master on
 * disk always ends up what its track.json says.
 */
export function masterPlaylistText(track: Pick<TrackInfo, 'variants'>, master: MasterInfo): string {
  return formatMasterPlaylist(
    master.profiles.map((qualityId) => {
      const variant = track.variants.find((candidate) => candidate.quality_id === qualityId);
      if (!variant) throw new Error(`${master.file} lists ${qualityId}, which track.json has no variant of`);
      return { uri: variant.playlist, bandwidth: variant.peak_bitrate_bps, averageBandwidth: variant.average_bitrate_bps, codecs: variant.codecs };
    }),
  );
}
