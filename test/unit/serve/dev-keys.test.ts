/** Dev mode: keys made once and reused, readable by their user alone, and which addresses count as loopback. */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devKeys, isLoopback } from '../../../src/serve/dev-keys';

it('makes dev keys once, for their user alone, and reuses them', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'dev-keys-')), 'data');
  const first = devKeys(dir);
  expect([statSync(dir).mode & 0o777, statSync(join(dir, 'dev-keys.json')).mode & 0o777]).toEqual([0o700, 0o600]);
  expect(first.apiKey).toMatch(/^trib_dev_[A-Za-z0-9_-]{32}$/);
  expect(first.adminKey).toMatch(/^trib_admin_/);
  expect(devKeys(dir)).toEqual(first);
});

it('knows loopback addresses', () => {
  for (const address of ['127.0.0.1:50051', 'localhost:8080', '[::1]:8080', '127.1.2.3:1']) expect(isLoopback(address)).toBe(true);
  for (const address of ['0.0.0.0:50051', '10.0.0.5:8080', 'example.com:80', '[::]:8080']) expect(isLoopback(address)).toBe(false);
});
