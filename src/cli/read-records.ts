/**
 * Reads records for `tributary send`: a JSON file holding one record, an
 * array of records or an IngestRequest ({"records": [...]}), or NDJSON with
 * one record per line. Records are proto3 JSON.
 */
import { Record } from '../gen/tributary/ingest/v1/record';

/** The records in `text`, in order; throws with the line at fault when it is not JSON. */
export function readRecords(text: string, name: string): Record[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let values: unknown[];
  try {
    const whole: unknown = JSON.parse(trimmed);
    values = Array.isArray(whole) ? whole : typeof whole === 'object' && whole !== null && 'records' in whole && Array.isArray(whole.records) ? whole.records : [whole];
  } catch {
    values = trimmed.split('\n').flatMap((line, i) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch (error) {
        throw new Error(`${name}:${i + 1} is not JSON: ${(error as Error).message}`);
      }
    });
  }
  return values.map((value) => Record.fromJSON(value));
}
