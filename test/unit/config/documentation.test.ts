/** docs/configuration.md documents every setting, and every field of the sources file, with its real default and description. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../../../src/config/settings';
import { SOURCE_FIELDS } from '../../../src/config/sources-file';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');

it('has one row per setting, matching the settings table', () => {
  const rows = doc.split('\n').filter((line) => /^\| `[A-Z_]+` \|/.test(line));
  const expected = Object.values(SETTINGS).map((s) => `| \`${s.env}\` | ${s.fallback === '' ? '(none)' : `\`${s.fallback}\``} | ${s.doc} |`);
  expect(rows).toEqual(expected);
});

it("has one row per field of a source's settings, matching the sources file's fields", () => {
  const rows = doc.split('\n').filter((line) => /^\| `[a-z][A-Za-z.]*` \|/.test(line));
  expect(rows).toEqual(SOURCE_FIELDS.map((f) => `| \`${f.field}\` | ${f.fallback} | ${f.doc} |`));
});
