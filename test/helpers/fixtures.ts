/**
 * Loads the shared record fixtures: valid records in proto3 JSON, and invalid
 * ones, each with the one violation (field path and reason) it must produce.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The folder of the record fixtures. */
export const FIXTURES_DIR = join(__dirname, '..', 'fixtures', 'records');

/** One fixture file: its name and its parsed content. */
export interface Fixture<T> {
  readonly name: string;
  readonly content: T;
}

/** An invalid fixture's content. */
export interface InvalidFixture {
  readonly expect: { readonly field: string; readonly reason: string };
  readonly record: unknown;
}

function load<T>(kind: 'valid' | 'invalid'): Fixture<T>[] {
  const dir = join(FIXTURES_DIR, kind);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ name: file.replace(/\.json$/, ''), content: JSON.parse(readFileSync(join(dir, file), 'utf8')) as T }));
}

/** Every valid fixture: a record in proto3 JSON. */
export const validFixtures = (): Fixture<unknown>[] => load<unknown>('valid');

/** Every invalid fixture. */
export const invalidFixtures = (): Fixture<InvalidFixture>[] => load<InvalidFixture>('invalid');
