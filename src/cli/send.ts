/**
 * `tributary send`: sends records to a gateway in batches over gRPC and
 * prints one result per record, for people or (--json) for scripts. Exits 1
 * when any record was rejected, 2 when a call failed.
 */
import { readFileSync } from 'node:fs';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { DropReason, IngestServiceClient, RecordResult, RecordStatus, type IngestResponse } from '../gen/tributary/ingest/v1/ingest_service';
import type { Record } from '../gen/tributary/ingest/v1/record';
import { channelCredentials, type ChannelOptions } from './channel';
import { readRecords } from './read-records';

/** What `send` needs. */
export interface SendOptions {
  readonly address: string;
  readonly apiKey: string;
  readonly batchSize: number;
  readonly json: boolean;
  /** TLS, or plaintext with --insecure. */
  readonly channel: ChannelOptions;
}

function ingest(client: InstanceType<typeof IngestServiceClient>, records: Record[], apiKey: string): Promise<IngestResponse> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${apiKey}`);
  return new Promise((resolve, reject) =>
    client.ingest({ records, sentAt: new Date() }, metadata, (error: ServiceError | null, response: IngestResponse) => (error === null ? resolve(response) : reject(error))),
  );
}

function describe(result: RecordResult): string {
  if (result.status === RecordStatus.DROPPED) return `DROPPED   ${result.eventId}  ${DropReason[result.dropReason]}`;
  if (result.status !== RecordStatus.REJECTED) return `${RecordStatus[result.status].padEnd(9)} ${result.eventId}  seq ${result.sequence}`;
  const reasons = result.violations.map((v) => `\n            ${v.field || '(record)'}: ${v.reason}: ${v.message}`).join('');
  return `REJECTED  ${result.eventId}${reasons}`;
}

/** Reads `files` (stdin when none), sends them, prints results; returns the exit code. */
export async function send(files: readonly string[], options: SendOptions): Promise<number> {
  const sources = files.length === 0 ? [{ name: 'stdin', text: readFileSync(0, 'utf8') }] : files.map((name) => ({ name, text: readFileSync(name, 'utf8') }));
  const records = sources.flatMap(({ name, text }) => readRecords(text, name));
  const client = new IngestServiceClient(options.address, channelCredentials(options.address, options.channel));
  const counts = { ACCEPTED: 0, DUPLICATE: 0, REJECTED: 0 };
  try {
    for (let i = 0; i < records.length; i += options.batchSize) {
      const response = await ingest(client, records.slice(i, i + options.batchSize), options.apiKey);
      for (const result of response.results) {
        counts[RecordStatus[result.status] as keyof typeof counts]++;
        console.log(options.json ? JSON.stringify(RecordResult.toJSON(result)) : describe(result));
      }
    }
  } catch (error) {
    const failure = error as ServiceError;
    console.error(`send failed: ${failure.details ?? failure.message} (gRPC code ${failure.code})`);
    return 2;
  } finally {
    client.close();
  }
  if (!options.json) console.log(`${records.length} records: ${counts.ACCEPTED} accepted, ${counts.DUPLICATE} duplicate, ${counts.REJECTED} rejected`);
  return counts.REJECTED > 0 ? 1 : 0;
}
