import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analysePcm, type PcmAnalysis } from '../analysis/analyse-pcm.js';
import { contentAddressedName, PEAKS_FILE_STEM, type PeaksInfo } from '../catalog/schema.js';
import { packageDefaults } from '../defaults.js';
import type { PcmFormat } from '../media/args.js';
import type { AdaptiveProfile } from '../profiles/profile.js';

/**
 * The track's one pass over its decoded PCM: loudness (and the stereo-to-mono fold's when a profile
 * folds) and waveform peaks. Run beside the encoders (or before them when a loudness target needs
 * the gains); the rejection is kept for whoever awaits it, never left unhandled.
 */
export function startTrackAnalysis(pcmFile: string, pcm: PcmFormat, profiles: readonly AdaptiveProfile[], signal: AbortSignal): Promise<PcmAnalysis> {
  const analysis = analysePcm(pcmFile, {
    sampleRate: pcm.sampleRate,
    channels: pcm.channels,
    samplesPerPixel: packageDefaults.peaksSamplesPerPixel,
    foldToMono: pcm.channels === 2 && profiles.some((profile) => profile.channels === 1),
    chunkBytes: packageDefaults.analysisChunkBytes,
    signal,
  });
  analysis.catch(() => {});
  return analysis;
}

/** Writes the peaks (`peaks.<content hash>.json`) into the track folder being built. */
export async function writePeaksFile(trackDir: string, analysis: PcmAnalysis): Promise<PeaksInfo> {
  const { peaks } = analysis;
  const text = `${JSON.stringify(peaks)}\n`;
  const file = contentAddressedName(PEAKS_FILE_STEM, createHash('sha256').update(text).digest('hex'), 'json');
  await writeFile(join(trackDir, file), text);
  return { file, samples_per_pixel: peaks.samples_per_pixel, bits: peaks.bits, length: peaks.length };
}
