import { describe, expect, it } from 'vitest';
import { formatMasterPlaylist } from '../../../src/hls/playlist.js';
import { masterWithVariantFirst } from '../../../src/serve/session-master.js';

const variants = [
  { uri: 'high/playlist.m3u8', bandwidth: 305189, averageBandwidth: 296663, codecs: 'mp4a.40.2' },
  { uri: 'medium/playlist.m3u8', bandwidth: 207846, averageBandwidth: 206548, codecs: 'mp4a.40.2' },
  { uri: 'mobile/playlist.m3u8', bandwidth: 110526, averageBandwidth: 109413, codecs: 'mp4a.40.2' },
];
const master = formatMasterPlaylist(variants);

describe('masterWithVariantFirst', () => {
  it('moves the session\'s variant to the top and keeps the others in order, with the exact text package writes', () => {
    expect(masterWithVariantFirst(master, 'mobile/playlist.m3u8')).toBe(
      [
        '#EXTM3U',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-STREAM-INF:BANDWIDTH=110526,AVERAGE-BANDWIDTH=109413,CODECS="mp4a.40.2"',
        'mobile/playlist.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=305189,AVERAGE-BANDWIDTH=296663,CODECS="mp4a.40.2"',
        'high/playlist.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=207846,AVERAGE-BANDWIDTH=206548,CODECS="mp4a.40.2"',
        'medium/playlist.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('matches a variant URI that carries a query to its playlist file, and keeps the query', () => {
    const busted = formatMasterPlaylist(variants.map((variant, index) => ({ ...variant, uri: `${variant.uri}?v=${'0123456789abcdef'.slice(index, index + 10)}` })));
    expect(masterWithVariantFirst(busted, 'medium/playlist.m3u8').split('\n').filter((line) => !line.startsWith('#'))).toEqual([
      'medium/playlist.m3u8?v=123456789a',
      'high/playlist.m3u8?v=0123456789',
      'mobile/playlist.m3u8?v=23456789ab',
      '',
    ]);
  });

  it('gives the packaged master back unchanged when its variant is first already', () => {
    expect(masterWithVariantFirst(master, 'high/playlist.m3u8')).toBe(master);
  });
});
