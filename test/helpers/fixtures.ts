/**
 * Loads the shared record fixtures: valid records in proto3 JSON, and invalid
 * ones, each with the one violation (field path and reason) it must produce.
 * An invalid record that proto3 JSON cannot express (bytes that do not
 * decode) is given as its binary encoding, in base64.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Record } from '../../src/gen/tributary/ingest/v1/record';

/** The folder of the record fixtures. */
export const FIXTURES_DIR = join(__dirname, '..', 'fixtures', 'records');

/** One fixture file: its name and its parsed content. */
export interface Fixture<T> {
  readonly name: string;
  readonly content: T;
}

/** An invalid fixture's content: the record in proto3 JSON, or its bytes. */
export interface InvalidFixture {
  readonly expect: { readonly field: string; readonly reason: string };
  readonly record?: unknown;
  readonly recordBytesBase64?: string;
}

/** An invalid fixture's record as it goes on the wire. */
export const fixtureBytes = (fixture: InvalidFixture): Uint8Array =>
  fixture.recordBytesBase64 === undefined ? Record.encode(Record.fromJSON(fixture.record)).finish() : Buffer.from(fixture.recordBytesBase64, 'base64');

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
