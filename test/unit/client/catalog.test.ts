import { expectTypeOf, it } from 'vitest';
import type { CatalogEntry } from '../../../src/catalog/schema.js';
import type { ClientCatalogEntry } from '../../../src/client/catalog.js';

it('reads catalog.json entries as the packager writes them', () => {
  expectTypeOf<CatalogEntry>().toExtend<ClientCatalogEntry>();
});
