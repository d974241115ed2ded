/**
 * Calls of the privacy and consent tests, over the Connect routes of a
 * gateway's HTTP endpoint: records in (JSON), regulations made and followed
 * through AdminService with the admin key, a counter read from /metrics,
 * and a second gateway process beside a `serve`.
 */
import { randomBytes } from 'node:crypto';
import { ANY_PORTS, listeningPorts, startCli, type CliProcess } from './cli-process';
import { waitReady } from './serve-process';
import { waitFor } from './wait';

/** `name` with a random suffix, so runs never share ids. */
export const unique = (name: string): string => `${name}-${randomBytes(4).toString('hex')}`;

/** A track (proto3 JSON) of a profile, and of a user id when given, with a fresh event id. */
export const trackJson = (profileId: string, userId = '') => ({ eventId: unique('evt'), timestamp: new Date().toISOString(), event: { profileId, userId, track: { name: 'Viewed' } } });

/** An identify (proto3 JSON) of a profile as a user id, with a fresh event id. */
export const identifyJson = (profileId: string, userId: string) => ({ eventId: unique('idf'), timestamp: new Date().toISOString(), event: { profileId, userId, identify: {} } });

/** The value of one line of an endpoint's /metrics, such as `tributary_records_dropped_total{source="web",reason="suppressed"}`; 0 when absent. */
export const metricValue = async (url: string, line: string): Promise<number> =>
  Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);

/** Starts `tributary gateway` with `env` (NATS, stream, keys) on any ports; gives it once ready, with its HTTP URL. */
export async function startGatewayProcess(env: NodeJS.ProcessEnv): Promise<{ process: CliProcess; url: string }> {
  const process = startCli(['gateway'], { ...ANY_PORTS, ...env });
  const { http } = await listeningPorts(process, true);
  await waitReady(http);
  return { process, url: `http://127.0.0.1:${http}` };
}

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
