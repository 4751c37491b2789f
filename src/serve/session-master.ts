import { readMasterPlaylist } from '../hls/parse.js';
import { formatMasterPlaylist } from '../hls/playlist.js';
import { uriFile } from './playlist-uri.js';

/**
 * A master playlist with one variant moved to the top: HLS clients start with the first variant
 * listed, so this is how a session's profile becomes the one a player starts on. The variants are
 * read from the packaged master (measured BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, URIs relative to
 * the track folder) and formatted again by the writer `package` uses; the others keep their order.
 * `variantPlaylist` is the variant's playlist file as track.json names it; the master's URI for it may
 * carry a query, which is kept.
 */
export function masterWithVariantFirst(masterText: string, variantPlaylist: string): string {
  const { variants } = readMasterPlaylist(masterText);
  const isFirst = (variant: { uri: string }) => uriFile(variant.uri) === variantPlaylist;
  const first = variants.filter(isFirst);
  const rest = variants.filter((variant) => !isFirst(variant));
  return formatMasterPlaylist(
    [...first, ...rest].map((variant) => ({
      uri: variant.uri,
      bandwidth: variant.bandwidth ?? 0,
      averageBandwidth: variant.averageBandwidth ?? variant.bandwidth ?? 0,
      codecs: variant.codecs ?? '',
    })),
  );
}
