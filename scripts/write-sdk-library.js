// Writes sdk/src/gen/library.ts from sdk/package.json, so that the SDK's name
// and version (every event's context.library) are written in one place only.
// Run by `make proto`, after buf has generated (and cleaned) sdk/src/gen/.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const sdk = join(__dirname, '..', 'sdk');
const { name, version } = require(join(sdk, 'package.json'));
writeFileSync(
  join(sdk, 'src', 'gen', 'library.ts'),
  `// Generated from sdk/package.json by scripts/write-sdk-library.js (make proto): never edit.\n\n/** The SDK as it names itself in every event's context.library. */\nexport const LIBRARY = ${JSON.stringify({ name, version })} as const;\n`,
);
