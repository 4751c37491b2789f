import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { masterPlaylistText } from '../catalog/master-text.js';
import { listedFiles, SCHEMA_VERSION, TRACK_FILE, type TrackInfo } from '../catalog/schema.js';
import { ownTrackFiles } from '../catalog/track-folder.js';
import { lintMasterPlaylist } from '../hls/lint.js';
import { readMasterPlaylist } from '../hls/parse.js';
import type { MediaTools } from '../media/locate.js';
import { runMediaTool } from '../media/run.js';
import { codecOfCodecs } from '../profiles/profile.js';
import { FindingList } from './findings.js';
import { checkVariant, type MeasuredVariant } from './variant.js';

/** Apple's authoring spec (1.26, 1.27): declared average within 10% of measured. */
const AVERAGE_BANDWIDTH_TOLERANCE = 0.1;

export interface TrackReport {
  id: string;
  findings: FindingList;
  /** The track.json read, when it could be. */
  track: TrackInfo | undefined;
}


/**
 * Validates one track folder: its track.json, every variant (see checkVariant), every master against
 * the measured variants (BANDWIDTH at least the measured peak, AVERAGE-BANDWIDTH within 10%, CODECS
 * equal to the media's, one codec family), profile conformance through ffprobe, track.json's
 * figures against what was measured, the files of earlier builds it keeps (retired), and what it
 * does not list.
 */
export async function checkTrack(outDir: string, id: string, tools: MediaTools): Promise<TrackReport> {
  const findings = new FindingList();
  const trackFile = posix.join(id, TRACK_FILE);
  let track: TrackInfo | undefined;
  try {
    track = JSON.parse(await readFile(join(outDir, trackFile), 'utf8')) as TrackInfo;
    if (track.schema === 1) findings.warning('track-json', trackFile, `schema 1: no loudness, waveform peaks or fMP4; \`hlsaudio package\` rebuilds it as schema ${SCHEMA_VERSION}`);
    else if (track.schema !== SCHEMA_VERSION) findings.error('track-json', trackFile, `schema ${String(track.schema)}, expected ${SCHEMA_VERSION}`);
    if (track.id !== id) findings.error('track-json', trackFile, `id "${track.id}" differs from the folder name "${id}"`);
    if (!Array.isArray(track.variants) || !Array.isArray(track.masters) || !Array.isArray(track.profiles)) throw new Error('variants, masters or profiles missing');
  } catch (error) {
    findings.error('track-json', trackFile, `unreadable: ${(error as Error).message}`);
    return { id, findings, track: undefined };
  }

  const measured = new Map<string, MeasuredVariant>();
  for (const variant of track.variants) {
    const playlist = posix.join(id, variant.playlist);
    const result = await checkVariant(outDir, playlist, findings);
    if (!result) continue;
    measured.set(playlist, result);
    const profile = track.profiles.find((p) => p.quality_id === variant.quality_id);
    if (!profile) findings.error('track-json', trackFile, `variant ${variant.quality_id} has no profile`);
    else await checkConformance(outDir, result, profile, variant.sample_rate, tools, findings);
    compareRecorded(trackFile, variant, result, findings);
  }
  const targets = new Set([...measured.values()].map((v) => v.targetDurationSec));
  if (targets.size > 1) findings.warning('target-duration', trackFile, `variants declare different EXT-X-TARGETDURATION values (${[...targets].join(', ')}); Apple's authoring spec 8.2 asks for one`);

  const topLevel = (await readdir(join(outDir, id))).filter((name) => name.endsWith('.m3u8'));
  for (const master of track.masters) {
    const file = posix.join(id, master.file);
    if (!topLevel.includes(master.file)) findings.error('missing-file', file, 'a master listed in track.json is missing');
    else if ((await readFile(join(outDir, file), 'utf8')) !== masterPlaylistText(track, master)) {
      findings.warning('master-stale', file, 'differs from what track.json describes (a rebuild stopped before rewriting it, or an edit by hand); the next `hlsaudio package` run rewrites it');
    }
  }
  // The player fetches the peaks by the name track.json gives (serve's peaks.json follows it).
  if (track.peaks && !(await stat(join(outDir, id, track.peaks.file)).then((info) => info.isFile(), () => false))) {
    findings.error('missing-file', posix.join(id, track.peaks.file), 'the waveform peaks listed in track.json are missing');
  }
  // Masters may name the variants of track.json, or retired ones (a master of an earlier build).
  const playlists = new Set(listedFiles(track).filter((file) => file.endsWith('.m3u8')).map((file) => posix.join(id, file)));
  const measure = async (playlist: string) => {
    if (!measured.has(playlist)) {
      const result = await checkVariant(outDir, playlist, findings);
      if (result) measured.set(playlist, result);
    }
    return measured.get(playlist);
  };
  for (const file of topLevel) await checkMaster(outDir, posix.join(id, file), playlists, measure, findings);
  await checkRetired(outDir, id, track, findings);
  await checkUnlisted(outDir, id, track, findings);
  if (track.damage) {
    findings.warning('damaged-source', trackFile, `built from a damaged source (--accept-damaged): decoded ${track.damage.decoded_s} s of ${track.damage.probed_s ?? 'unknown'} s, ${track.damage.decoder_errors} decoding errors`);
  }
  return { id, findings, track };
}

/**
 * Retired files are what players holding an earlier playlist still fetch: one missing before its
 * expiry is an error (those players get 404s); one kept past it is left over for `package` to remove.
 */
async function checkRetired(outDir: string, id: string, track: TrackInfo, findings: FindingList): Promise<void> {
  const trackFile = posix.join(id, TRACK_FILE);
  for (const retired of track.retired ?? []) {
    const file = posix.join(id, retired.file);
    const expiresAt = Date.parse(retired.expires_at);
    if (!Number.isFinite(expiresAt)) {
      findings.error('track-json', trackFile, `retired file ${retired.file}: expires_at ${JSON.stringify(retired.expires_at)} is not a date`);
      continue;
    }
    const present = await stat(join(outDir, file)).then((info) => info.isFile(), () => false);
    if (!present && expiresAt > Date.now()) findings.error('retired-missing', file, `retired until ${retired.expires_at}, for players holding an earlier playlist, but missing`);
    if (present && expiresAt <= Date.now()) findings.warning('retired-expired', file, `retired file past its expiry (${retired.expires_at}); the next \`hlsaudio package\` run removes it`);
  }
}

/** Playlists and media in the track folder that track.json does not list: left by a stopped rebuild. */
async function checkUnlisted(outDir: string, id: string, track: TrackInfo, findings: FindingList): Promise<void> {
  const listed = new Set(listedFiles(track));
  for (const file of await ownTrackFiles(join(outDir, id))) {
    if (!listed.has(file)) findings.warning('leftover', posix.join(id, file), 'not listed in track.json (left by a stopped rebuild); the next `hlsaudio package` run removes it');
  }
}

async function checkMaster(
  outDir: string,
  master: string,
  variants: ReadonlySet<string>,
  measure: (playlist: string) => Promise<MeasuredVariant | undefined>,
  findings: FindingList,
): Promise<void> {
  const text = await readFile(join(outDir, master), 'utf8');
  for (const lint of lintMasterPlaylist(text)) {
    if (lint.severity === 'error') findings.error(lint.rule, master, lint.message, lint.line);
    else findings.warning(lint.rule, master, lint.message, lint.line);
  }
  const families = new Set<string>();
  const containers = new Set<string>();
  const sampleRates = new Set<number>();
  for (const variant of readMasterPlaylist(text).variants) {
    const playlist = posix.join(posix.dirname(master), variant.uri);
    if (!variants.has(playlist)) {
      findings.error('unknown-variant', master, `variant ${variant.uri} is not a variant of this track.json`);
      continue;
    }
    // A variant that failed its own checks has been reported already.
    const real = await measure(playlist);
    if (!real) continue;
    // Players cannot switch between codec families, nor (in one buffer) containers.
    if (variant.codecs) families.add(codecOfCodecs(variant.codecs) ?? variant.codecs);
    containers.add(real.mediaFile?.endsWith('.mp4') ? 'fmp4' : 'packed');
    if (real.sampleRate) sampleRates.add(real.sampleRate);
    if (variant.bandwidth !== undefined && variant.bandwidth < real.peakBitrate) {
      findings.error('BANDWIDTH', master, `${variant.uri}: BANDWIDTH ${variant.bandwidth} is below the measured peak segment bit rate ${real.peakBitrate} (RFC 8216 section 4.3.4.2)`);
    }
    if (variant.averageBandwidth !== undefined && Math.abs(variant.averageBandwidth - real.averageBitrate) > AVERAGE_BANDWIDTH_TOLERANCE * real.averageBitrate) {
      findings.error('AVERAGE-BANDWIDTH', master, `${variant.uri}: AVERAGE-BANDWIDTH ${variant.averageBandwidth} is more than 10% from the measured ${real.averageBitrate}`);
    }
    if (variant.codecs !== undefined && real.codecs !== undefined && variant.codecs.toLowerCase() !== real.codecs.toLowerCase()) {
      findings.error('CODECS', master, `${variant.uri}: CODECS "${variant.codecs}", but the media is ${real.codecs}`);
    }
  }
  if (families.size > 1) {
    findings.error('mixed-codec-family', master, `the master mixes codec families (${[...families].join(', ')}); players cannot switch between them, so each family needs its own master`);
  }
  if (containers.size > 1) {
    findings.error('mixed-container', master, 'the master mixes packed audio and fMP4; a player\'s buffer takes one container, so each needs its own master');
  }
  if (sampleRates.size > 1) {
    findings.warning(
      'mixed-sample-rates',
      master,
      `the master mixes sample rates (${[...sampleRates].sort((a, b) => a - b).join(', ')} Hz): players that restart their decoder on such a switch lose audio around it (VLC 3.0: 45 to 530 ms); a ladder of one rate (profiles/aac-44k.json) avoids it`,
    );
  }
}

/**
 * The media file as ffprobe sees it must match the profile: codec, sample rate (track.json's, which
 * for FLAC may be the source's lower rate), channels.
 */
async function checkConformance(
  outDir: string,
  measured: MeasuredVariant,
  profile: TrackInfo['profiles'][number],
  recordedRate: number,
  tools: MediaTools,
  findings: FindingList,
): Promise<void> {
  const file = measured.mediaFile!;
  let stream: { codec_name?: string; sample_rate?: string; channels?: number } | undefined;
  try {
    const text = await runMediaTool(tools.ffprobe.path, ['-v', 'error', '-print_format', 'json', '-show_streams', join(outDir, file)], { file, what: 'probing' });
    stream = (JSON.parse(text) as { streams?: (typeof stream)[] }).streams?.[0];
  } catch (error) {
    findings.error('profile', file, `ffprobe cannot read it: ${(error as Error).message}`);
    return;
  }
  const differences: string[] = [];
  if (stream?.codec_name !== profile.codec) differences.push(`codec ${stream?.codec_name ?? 'none'} (profile: ${profile.codec})`);
  const rateAllowed = profile.codec === 'flac' ? recordedRate <= profile.sample_rate : recordedRate === profile.sample_rate;
  if (Number(stream?.sample_rate) !== recordedRate || !rateAllowed) differences.push(`sample rate ${stream?.sample_rate ?? 'none'} Hz (profile: ${profile.sample_rate}${profile.codec === 'flac' ? ' at most' : ''})`);
  if (stream?.channels !== profile.channels) differences.push(`${stream?.channels ?? 0} channels (profile: ${profile.channels})`);
  if (differences.length > 0) findings.error('profile', file, `does not match profile ${profile.quality_id}: ${differences.join(', ')}`);
}

function compareRecorded(trackFile: string, recorded: TrackInfo['variants'][number], real: MeasuredVariant, findings: FindingList): void {
  const pairs: [string, number, number][] = [
    ['bytes', recorded.bytes, real.bytes],
    ['segment_count', recorded.segment_count, real.segmentCount],
    ['peak_bitrate_bps', recorded.peak_bitrate_bps, real.peakBitrate],
    ['average_bitrate_bps', recorded.average_bitrate_bps, real.averageBitrate],
  ];
  for (const [field, said, found] of pairs) {
    if (said !== found) findings.error('track-json', trackFile, `variant ${recorded.quality_id}: ${field} is ${said}, measured ${found}`);
  }
  if (recorded.codecs !== real.codecs) findings.error('track-json', trackFile, `variant ${recorded.quality_id}: codecs "${recorded.codecs}", the media is ${real.codecs}`);
}
