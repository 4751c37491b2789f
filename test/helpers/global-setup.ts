import { makeFixtures } from '../../fixtures/make-fixtures.js';

/** Makes fixtures/generated once per run (existing files are kept). */
export default function setup(): void {
  makeFixtures();
}
