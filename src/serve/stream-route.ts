import type { IncomingMessage } from 'node:http';
import { posix } from 'node:path';
import { HlsaudioError } from '../errors.js';
import type { TrackInfo } from '../catalog/schema.js';
import { type AdaptiveProfile, containerOf } from '../profiles/profile.js';
import { chooseInitialProfile, type Ladder, profileById } from '../streaming/choose-profile.js';
import { parseCapabilities } from '../streaming/validate.js';
import type { ServeContext } from './context.js';
import { answerFromFreshFiles, sendEntity } from './entity.js';
import { notFound } from '../http/reply.js';
import { unknownTrack } from './hls-routes.js';
import { frameViewBody } from './progressive.js';
import type { RequestContext, Router } from './router.js';

const STREAM_FILENAME = /^([a-z0-9](?:[a-z0-9_-]{0,126}[a-z0-9])?)(?:\.([a-z0-9]{1,8}))?$/;
const CODEC_CONTENT_TYPE: Record<string, string> = { aac: 'audio/aac', mp3: 'audio/mpeg' };
/** Request headers the automatic choice reads (Client Hints); named in Vary. */
const HINT_HEADERS = 'Downlink, ECT, Sec-CH-UA-Mobile';

/**
 * `/stream/:filename`: a whole variant as one plain audio file for players without HLS, the
 * `<track_id>` or `<track_id>.<ext>` (`.mp3` limits the choice to MP3 profiles, `.mp4` to fMP4 ones). The profile is, in
 * order: `?quality=`, the current one of `?session=`, or the session rules applied to the request
 * (`?estimated_bandwidth_kbps=`, `?connection_type=`, `?device_type=`, else the Client Hints `Downlink`, `ECT`
 * and `Sec-CH-UA-Mobile`). No session is created: an audio element makes a request per seek, and
 * each would leave a session behind. The body leaves out the ID3 tags between packed-audio segments
 * (see progressive.ts); an fMP4 variant is its init segment and fragments, a fragmented MP4 file.
 * Ranges run over that view, with its exact length.
 */
export function addStreamRoute(router: Router, context: ServeContext): void {
  router.add('GET', '/stream/:filename', async (request) => {
    const match = STREAM_FILENAME.exec(request.params.filename!);
    if (!match) throw notFound('Expected a stream name `<track_id>` or `<track_id>.<extension>`');
    const [, trackId, extension] = match as unknown as [string, string, string | undefined];
    // A rebuilt track may replace a file between its (cached) lookup and its read: answer again afresh.
    return answerFromFreshFiles(request.res, () => context.files.forget([trackId]), () => sendStream(request, context, trackId, extension));
  });
}

async function sendStream(request: RequestContext, context: ServeContext, trackId: string, extension: string | undefined): Promise<void> {
  const track = await context.tracks.getTrack(trackId);
  if (!track) throw unknownTrack(trackId);
  const { profile, chosenByRequest } = await pickProfile(request, context, track, extension);
  const variant = track.variants.find((candidate) => candidate.quality_id === profile.quality_id);
  const media = variant && (await context.tracks.trackFile(trackId, variant.file))?.file;
  const playlist = variant && (await context.tracks.trackFile(trackId, variant.playlist))?.file;
  if (!media || !playlist) throw notFound(`Track ${JSON.stringify(trackId)} has no ${profile.quality_id} variant on disk`);
  const view = await context.views.get(media, playlist, posix.relative(posix.dirname(variant.playlist), variant.file));
  return sendEntity(request.req, request.res, {
    size: view.size,
    etag: view.etag,
    lastModified: media.lastModified,
    contentType: containerOf(profile) === 'fmp4' ? 'audio/mp4' : (CODEC_CONTENT_TYPE[profile.codec] ?? 'application/octet-stream'),
    cacheControl: chosenByRequest ? 'private, no-cache' : `public, max-age=${context.options.mediaMaxAgeSec}, immutable`,
    headers: {
      'X-Hlsaudio-Quality': profile.quality_id,
      'Content-Disposition': `inline; filename="${trackId}.${profile.file_extension}"`,
      ...(chosenByRequest ? { Vary: HINT_HEADERS } : {}),
    },
    ranges: true,
    body: frameViewBody(media, view, context.options.readChunkBytes),
  });
}

async function pickProfile(request: RequestContext, context: ServeContext, track: TrackInfo, extension: string | undefined): Promise<{ profile: AdaptiveProfile; chosenByRequest: boolean }> {
  const profiles = extension === undefined ? track.profiles : track.profiles.filter((profile) => profile.file_extension === extension);
  if (profiles.length === 0) {
    throw notFound(`Track ${JSON.stringify(track.id)} has no .${extension} variant; it has ${[...new Set(track.profiles.map((p) => `.${p.file_extension}`))].join(', ')}`);
  }
  const ladder: Ladder = {
    profiles,
    masters: track.masters.filter((master) => master.profiles.some((id) => profiles.some((profile) => profile.quality_id === id))),
  };
  const quality = request.query.get('quality');
  const sessionId = request.query.get('session');
  if (quality !== null) return { profile: inExtension(profileById({ profiles: track.profiles, masters: track.masters }, quality, 'quality'), extension), chosenByRequest: false };
  if (sessionId !== null) {
    const { session, profile } = await context.streaming.sessionProfile(sessionId);
    if (session.track_id !== track.id) {
      throw new HlsaudioError('E_FIELD', `Expected \`session\` to be a session of track ${JSON.stringify(track.id)}, got one of track ${JSON.stringify(session.track_id)}`, { field: 'session' });
    }
    return { profile: inExtension(profile, extension), chosenByRequest: true };
  }
  return { profile: chooseInitialProfile(ladder, capabilitiesOf(request.req, request.query)), chosenByRequest: true };
}

function inExtension(profile: AdaptiveProfile, extension: string | undefined): AdaptiveProfile {
  if (extension !== undefined && profile.file_extension !== extension) {
    throw new HlsaudioError('E_FIELD', `Expected \`quality\` to be a .${extension} profile, got ${JSON.stringify(profile.quality_id)} (.${profile.file_extension})`, { field: 'quality' });
  }
  return profile;
}

/** ClientCapabilities from the query, falling back to Client Hints (Downlink is in Mbit/s). */
function capabilitiesOf(req: IncomingMessage, query: URLSearchParams) {
  const raw: Record<string, unknown> = {};
  const bandwidth = query.get('estimated_bandwidth_kbps');
  const downlink = Number(req.headers.downlink);
  if (bandwidth !== null) raw.estimated_bandwidth_kbps = bandwidth.trim() === '' ? bandwidth : Number.isNaN(Number(bandwidth)) ? bandwidth : Number(bandwidth);
  else if (Number.isFinite(downlink) && downlink > 0) raw.estimated_bandwidth_kbps = downlink * 1000;
  raw.connection_type = query.get('connection_type') ?? req.headers.ect ?? undefined;
  raw.device_type = query.get('device_type') ?? (req.headers['sec-ch-ua-mobile'] === '?1' ? 'Mobile' : undefined);
  return parseCapabilities(raw, '');
}
