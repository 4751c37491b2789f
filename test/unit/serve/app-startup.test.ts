import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { STATS_FILE } from '../../../src/realtime/attach.js';
import { startServeApp } from '../../../src/serve/app.js';
import { tempDir } from '../../helpers/temp.js';
import { logTo } from '../../../src/log.js';

// The last step of the startup fails: everything started before it must be stopped again.
vi.mock('../../../src/serve/web-routes.js', () => ({
  addWebRoutes: async () => {
    throw new Error('the player page cannot be mounted');
  },
}));

describe('startServeApp failing after the event server started', () => {
  it('closes the event server too (its shutdown writes the stats file), then rejects with the error', async () => {
    const dataDir = tempDir();
    await expect(startServeApp({ root: tempDir(), dataDir, logger: logTo(() => {}) })).rejects.toThrow('the player page cannot be mounted');
    expect(existsSync(join(dataDir, STATS_FILE))).toBe(true);
  });
});
