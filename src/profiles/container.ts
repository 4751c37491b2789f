import { type AdaptiveProfile, CODEC_CONTAINERS, type Container, fileExtensionFor } from './profile.js';

/**
 * `package --container <packed|fmp4>`: every profile whose codec can be packaged that way takes it
 * (AAC); the others keep theirs, since MP3 is only packed (Chromium's MSE refuses it in fMP4) and
 * FLAC only fMP4. The media file's extension follows the container.
 */
export function withContainer(ladder: readonly AdaptiveProfile[], container: Container): AdaptiveProfile[] {
  return ladder.map((profile) => {
    if (!CODEC_CONTAINERS[profile.codec].includes(container)) return profile;
    const { container: _previous, ...rest } = profile;
    const changed: AdaptiveProfile = { ...rest, file_extension: fileExtensionFor(profile.codec, container) };
    if (container === 'fmp4') changed.container = 'fmp4';
    return changed;
  });
}
