/**
 * The steps of landing a rebuilt track (package/land.ts) after which the process can be stopped for
 * a test: with `HLSAUDIO_TEST_PAUSE_AT=<step>` it prints `hlsaudio: paused at <step>` on stderr and
 * waits forever there, so that a test can `kill -9` it at exactly that step and check what a crash
 * there leaves. Unset (always, outside tests), a step costs one comparison.
 */
export type LandingStep =
  | 'placing' // the first new file of the build is in the track folder, the others not yet
  | 'placed' // every new file is in, track.json is still the previous build's
  | 'committed' // the new track.json is in, catalog.json not updated
  | 'cataloged' // catalog.json updated, masters not rewritten
  | 'replacing-masters' // the first master rewritten, not the others
  | 'masters-replaced' // every master rewritten, expired files still listed
  | 'unlisted-expired' // track.json no longer lists the expired files, which are still on disk
  | 'removing' // the first file no longer listed removed, not the others
  | 'tidied'; // the track folder is final, the build's temporary folder not yet removed

export async function pauseAt(step: LandingStep): Promise<void> {
  if (process.env.HLSAUDIO_TEST_PAUSE_AT !== step) return;
  process.stderr.write(`hlsaudio: paused at ${step} (HLSAUDIO_TEST_PAUSE_AT)\n`);
  await new Promise(() => setInterval(() => {}, 60_000));
}
