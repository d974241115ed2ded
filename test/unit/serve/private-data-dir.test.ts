/**
 * The data folder is for the service's user alone: made mode 700 when new,
 * and, when group or others can open it, tightened with everything in it
 * (symbolic links left as they are).
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DataDirNotOwnedError, makeDataDirPrivate } from '../../../src/serve/private-data-dir';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

/** A logger that keeps its lines. */
function capturing(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }), lines };
}

it('creates a new data folder, and its missing parents, for its user alone, without a warning', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'private-data-')), 'parent', 'data');
  const { logger, lines } = capturing();
  makeDataDirPrivate(dataDir, logger);
  expect(modeOf(dataDir)).toBe(0o700);
  expect(modeOf(join(dataDir, '..'))).toBe(0o700);
  expect(lines).toEqual([]);
});

it('tightens a folder that others can open, and everything in it, with a warning', () => {
  const root = mkdtempSync(join(tmpdir(), 'private-data-'));
  const dataDir = join(root, 'data');
  const outside = join(root, 'outside');
  writeFileSync(outside, 'not ours to change');
  chmodSync(outside, 0o644);
  mkdirSync(join(dataDir, 'clickhouse', 'store'), { recursive: true });
  writeFileSync(join(dataDir, 'dev-keys.json'), '{}');
  writeFileSync(join(dataDir, 'clickhouse', 'store', 'data.bin'), '');
  writeFileSync(join(dataDir, 'run.sh'), '');
  symlinkSync(outside, join(dataDir, 'clickhouse', 'link'));
  for (const [path, mode] of [
    [dataDir, 0o755],
    [join(dataDir, 'clickhouse'), 0o755],
    [join(dataDir, 'clickhouse', 'store'), 0o750],
    [join(dataDir, 'dev-keys.json'), 0o644],
    [join(dataDir, 'clickhouse', 'store', 'data.bin'), 0o640],
    [join(dataDir, 'run.sh'), 0o755],
  ] as const)
    chmodSync(path, mode);

  const { logger, lines } = capturing();
  makeDataDirPrivate(dataDir, logger);
  expect([dataDir, join(dataDir, 'clickhouse'), join(dataDir, 'clickhouse', 'store')].map(modeOf)).toEqual([0o700, 0o700, 0o700]);
  expect([join(dataDir, 'dev-keys.json'), join(dataDir, 'clickhouse', 'store', 'data.bin'), join(dataDir, 'run.sh')].map(modeOf)).toEqual([0o600, 0o600, 0o700]);
  expect(modeOf(outside)).toBe(0o644);
  expect(lines).toEqual([expect.stringContaining('"tightened":6')]);
  expect(lines[0]).toContain('the data folder was open to other users');
});

it("refuses a folder of another user's, where keys or links could have been planted", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-foreign-'));
  // 65534 is nobody; the suite runs as root, which may give the folder away.
  chownSync(dir, 65534, 65534);
  expect(() => makeDataDirPrivate(dir, pino({ level: 'silent' }))).toThrow(DataDirNotOwnedError);
});
