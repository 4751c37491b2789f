// The player page's entry point, bundled by esbuild into dist/web/app.js (see docs/design-notes.md).
import { PlayerPage } from './player-page.js';

const page = new PlayerPage(document, location, localStorage);
page.start();

// Test hook: the browser tests read the playback state from here, and what the server holds for the
// page's connection (GetStatus).
Object.assign(window, {
  hlsaudioPlayer: {
    playback: page.playback,
    selectTrack: (id: string) => page.selectTrack(id),
    seekTo: (seconds: number) => page.seekTo(seconds),
    session: () => page.sync.state.session,
    serverPlayback: () => page.sync.serverPlayback(),
    loudnessFactor: () => page.loudnessFactor,
  },
});
