import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made = new Set<string>();
// Registered when a test file first imports this helper, so it runs after that file's tests wherever
// tempDir was called (a hook registered inside a test would never run).
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
});

/** A fresh temporary folder, removed after the test file's tests. */
export function tempDir(prefix = 'hlsaudio-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
