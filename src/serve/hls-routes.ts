import { HlsaudioError } from '../errors.js';
import { PEAKS_FILE, type TrackInfo } from '../catalog/schema.js';
import { contentTypeOf, isPlaylist } from './content-type.js';
import type { ServeContext } from './context.js';
import { answerFromFreshFiles, cachedFileBody, type Entity, sendEntity } from './entity.js';
import type { FileInfo } from './file-cache.js';
import { notFound } from './http-error.js';
import { contentEtag, textEntity } from './respond.js';
import { masterWithVariantFirst } from './session-master.js';
import { gzipBytes } from './text-files.js';
import type { RequestContext, Router } from './router.js';
import { mediaVersionOf } from './versioned-playlists.js';

/**
 * The spec's HLS routes, on the layout `package` writes:
 *   /hls/:track_id/master.m3u8 (and master-<codec>.m3u8)   ?session=ID: that session's master
 *   /hls/:track_id/:quality/playlist.m3u8
 *   /hls/:track_id/:quality/audio.<ext>                    the media file, byte ranges
 *   /hls/:track_id/peaks.json                              the waveform peaks, cached as media
 * Only files that the track's track.json lists are served.
 */
export function addHlsRoutes(router: Router, context: ServeContext): void {
  // A rebuilt track may replace a file between its (cached) lookup and its read: answer again afresh.
  const fresh = (request: RequestContext, trackId: string, answer: () => Promise<void>) => answerFromFreshFiles(request.res, () => context.files.forget([trackId]), answer);
  router.add('GET', '/hls/:track_id/:file', async (request) => {
    const { track_id: trackId, file } = request.params as { track_id: string; file: string };
    const session = request.query.get('session');
    if (session !== null && isPlaylist(file)) return fresh(request, trackId, () => sendSessionMaster(request, context, trackId, file, session));
    if (file === PEAKS_FILE) return fresh(request, trackId, () => sendPeaks(request, context, trackId));
    return fresh(request, trackId, () => sendTrackFile(request, context, trackId, file));
  });
  router.add('GET', '/hls/:track_id/:quality/:file', (request) => {
    const { track_id: trackId, quality, file } = request.params as { track_id: string; quality: string; file: string };
    return fresh(request, trackId, () => sendTrackFile(request, context, trackId, `${quality}/${file}`, quality));
  });
}

async function sendTrackFile(request: RequestContext, context: ServeContext, trackId: string, relative: string, quality?: string): Promise<void> {
  const found = await context.tracks.trackFile(trackId, relative);
  if (!found) throw unknownTrack(trackId);
  if (!found.file) {
    if (quality !== undefined && !found.track.profiles.some((profile) => profile.quality_id === quality)) throw unknownQuality(found.track, quality);
    throw notFound(`Track ${JSON.stringify(trackId)} has no file ${JSON.stringify(relative)}`);
  }
  const file = found.file;
  if (isPlaylist(relative)) {
    const entity = quality === undefined ? await playlistEntity(request, context, file) : await variantPlaylistEntity(request, context, file, trackId, quality);
    return sendEntity(request.req, request.res, entity);
  }
  return sendEntity(request.req, request.res, mediaEntity(context, file, contentTypeOf(relative), request.query.get('v')));
}

/**
 * A media file is `immutable` for a year when asked for with its current version (the `?v=` of the
 * served variant playlist); any other request for it revalidates (`no-cache`), so no cache keeps
 * old bytes under a name a rebuild reused.
 */
function mediaEntity(context: ServeContext, file: FileInfo, contentType: string, version: string | null): Entity {
  const current = version === mediaVersionOf(file);
  return {
    size: file.size,
    etag: file.etag,
    lastModified: file.lastModified,
    contentType,
    cacheControl: current ? `public, max-age=${context.options.mediaMaxAgeSec}, immutable` : 'public, no-cache',
    ranges: true,
    body: cachedFileBody(file, context.ranges, context.openFiles, context.options.readChunkBytes),
  };
}

/**
 * `peaks.json`, the file track.json names: gzipped for clients that accept it, and cached as media
 * are (immutable under its current `?v=`, revalidated otherwise). A track of schema 1 has none.
 */
async function sendPeaks(request: RequestContext, context: ServeContext, trackId: string): Promise<void> {
  const track = await context.tracks.getTrack(trackId);
  if (!track) throw unknownTrack(trackId);
  if (!track.peaks) throw notFound(`Track ${JSON.stringify(trackId)} has no peaks.json; it was packaged before waveform peaks: run \`hlsaudio package\` again`);
  const file = (await context.tracks.trackFile(trackId, track.peaks.file))?.file;
  if (!file) throw notFound(`Track ${JSON.stringify(trackId)} has no ${track.peaks.file} on disk`);
  const current = request.query.get('v') === mediaVersionOf(file);
  const entity = await textEntity(
    request.req,
    {
      bytes: await context.texts.read(file),
      gzipped: () => context.texts.gzipped(file),
      etag: file.etag,
      lastModified: file.lastModified,
      contentType: contentTypeOf(PEAKS_FILE),
      cacheControl: current ? `public, max-age=${context.options.mediaMaxAgeSec}, immutable` : 'public, no-cache',
    },
    context.options.gzipMinBytes,
  );
  return sendEntity(request.req, request.res, entity);
}

/** A variant playlist with versioned media URIs (VersionedPlaylists). */
async function variantPlaylistEntity(request: RequestContext, context: ServeContext, file: FileInfo, trackId: string, quality: string): Promise<Entity> {
  const versioned = await context.playlists.get(file, async (media) => (await context.tracks.trackFile(trackId, `${quality}/${media}`))?.file);
  return textEntity(
    request.req,
    { ...versioned, lastModified: file.lastModified, contentType: 'application/vnd.apple.mpegurl', cacheControl: `public, max-age=${context.options.playlistMaxAgeSec}` },
    context.options.gzipMinBytes,
  );
}

function playlistEntity(request: RequestContext, context: ServeContext, file: FileInfo): Promise<Entity> {
  return context.texts.read(file).then((bytes) =>
    textEntity(
      request.req,
      {
        bytes,
        gzipped: () => context.texts.gzipped(file),
        etag: file.etag,
        lastModified: file.lastModified,
        contentType: 'application/vnd.apple.mpegurl',
        cacheControl: `public, max-age=${context.options.playlistMaxAgeSec}`,
      },
      context.options.gzipMinBytes,
    ),
  );
}

/**
 * `?session=ID`: the master of the session's codec family (whichever master was asked for: players
 * cannot switch families), its profile's variant listed first so that players start on it.
 * Private and revalidated: it changes when the session's profile does.
 */
async function sendSessionMaster(request: RequestContext, context: ServeContext, trackId: string, requested: string, sessionId: string): Promise<void> {
  const { session, profile, masterFile } = context.streaming.sessionProfile(sessionId);
  if (session.track_id !== trackId) {
    throw new HlsaudioError('E_FIELD', `Expected \`session\` to be a session of track ${JSON.stringify(trackId)}, got one of track ${JSON.stringify(session.track_id)}`, { field: 'session' });
  }
  const found = await context.tracks.trackFile(trackId, masterFile);
  if (!found) throw unknownTrack(trackId);
  if (!found.file || !found.track.masters.some((master) => master.file === requested)) {
    throw notFound(`Track ${JSON.stringify(trackId)} has no master ${JSON.stringify(requested)}`);
  }
  const variant = found.track.variants.find((candidate) => candidate.quality_id === profile.quality_id);
  const text = (await context.texts.read(found.file)).toString('utf8');
  const bytes = Buffer.from(variant ? masterWithVariantFirst(text, variant.playlist) : text);
  const entity = await textEntity(
    request.req,
    {
      bytes,
      gzipped: () => gzipBytes(bytes),
      etag: contentEtag(bytes),
      contentType: 'application/vnd.apple.mpegurl',
      cacheControl: 'private, no-cache',
    },
    context.options.gzipMinBytes,
  );
  return sendEntity(request.req, request.res, entity);
}

export function unknownTrack(trackId: string): HlsaudioError {
  return new HlsaudioError('E_UNKNOWN_TRACK', `No track ${JSON.stringify(trackId)} in this folder`, { field: 'track_id' });
}

export function unknownQuality(track: TrackInfo, quality: string): HlsaudioError {
  return new HlsaudioError('E_UNKNOWN_QUALITY', `Track ${JSON.stringify(track.id)} has no quality ${JSON.stringify(quality)}; it has ${track.profiles.map((p) => p.quality_id).join(', ')}`, {
    field: 'quality',
  });
}
