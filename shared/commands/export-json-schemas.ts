import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allCommandJsonSchemas } from './json-schemas';

/** `npm run schemas`: writes the command JSON Schemas; a unit test fails when they are stale. */
const outDir = join(__dirname, 'json-schema');
mkdirSync(outDir, { recursive: true });
for (const [file, text] of Object.entries(allCommandJsonSchemas())) {
  writeFileSync(join(outDir, file), text);
  console.log(`wrote ${join('shared/commands/json-schema', file)}`);
}
