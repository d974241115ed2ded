/**
 * Calls of the privacy tests, over the Connect routes of a gateway's HTTP
 * endpoint: records in (JSON), regulations made and followed through
 * AdminService with the admin key.
 */
import { waitFor } from './wait';

/** A regulation as AdminService's JSON gives it. */
export interface RegulationJson {
  id: string;
  type: string;
  status: string;
  coveredIdCount?: number;
  erased?: { rowsDeleted?: { table: string; rows?: number }[]; streamMessagesErased?: number; deadLettersRemoved?: number };
  error?: string;
}

/** A Connect call: the HTTP status and the JSON body. */
export async function connectCall(httpUrl: string, path: string, key: string | undefined, body: unknown): Promise<{ status: number; body: { [key: string]: unknown } }> {
  const headers: { [name: string]: string } = { 'content-type': 'application/json' };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${httpUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { [key: string]: unknown } };
}

/** Sends records (proto3 JSON) with `apiKey`; gives each record's status (and drop reason). */
export async function ingestJson(httpUrl: string, apiKey: string, records: unknown[]): Promise<string[]> {
  const { status, body } = await connectCall(httpUrl, '/tributary.ingest.v1.IngestService/Ingest', apiKey, { records });
  if (status !== 200) throw new Error(`ingest answered ${status}: ${JSON.stringify(body)}`);
  return (body.results as { status: string; dropReason?: string }[]).map((r) => (r.dropReason === undefined ? r.status : `${r.status}/${r.dropReason}`));
}

/** Creates a regulation with the admin key; gives it as answered. */
export async function createRegulation(httpUrl: string, adminKey: string, request: unknown): Promise<RegulationJson> {
  const { status, body } = await connectCall(httpUrl, '/tributary.admin.v1.AdminService/CreateRegulation', adminKey, request);
  if (status !== 200) throw new Error(`CreateRegulation answered ${status}: ${JSON.stringify(body)}`);
  return body.regulation as RegulationJson;
}

/** Waits until the regulation `id` is no longer RUNNING; gives it. */
export function regulationEnd(httpUrl: string, adminKey: string, id: string, timeoutMs = 60_000): Promise<RegulationJson> {
  return waitFor(
    `regulation ${id} to end`,
    async () => {
      const { body } = await connectCall(httpUrl, '/tributary.admin.v1.AdminService/GetRegulation', adminKey, { id });
      const regulation = body.regulation as RegulationJson | undefined;
      return regulation === undefined || regulation.status === 'REGULATION_STATUS_RUNNING' ? undefined : regulation;
    },
    timeoutMs,
    100,
  );
}

/** A regulation made and run to its end (within `timeoutMs`). */
export async function regulate(httpUrl: string, adminKey: string, request: unknown, timeoutMs?: number): Promise<RegulationJson> {
  const created = await createRegulation(httpUrl, adminKey, request);
  return regulationEnd(httpUrl, adminKey, created.id, timeoutMs);
}
