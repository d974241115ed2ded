/** docs/configuration.md documents every setting with its real default and description. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../../../src/config/settings';

it('has one row per setting, matching the settings table', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
  const rows = doc.split('\n').filter((line) => /^\| `[A-Z_]+` \|/.test(line));
  const expected = Object.values(SETTINGS).map((s) => `| \`${s.env}\` | ${s.fallback === '' ? '(none)' : `\`${s.fallback}\``} | ${s.doc} |`);
  expect(rows).toEqual(expected);
});
