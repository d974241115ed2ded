/**
 * `tributary tail`: a gateway's answers as they happen, one JSON line per
 * record (`ts, source, event_id, call, name, status, reason, seq`), read
 * from its GET /admin/tail (server-sent events). Above --max-rate lines a
 * second it says on stderr how many it skipped. It holds no state on the
 * server: ending it (Ctrl-C, or --limit lines) ends the watch.
 */
import { getAdmin } from '../http/admin-query-client';

/** What `tail` needs. */
export interface TailOptions {
  /** The gateway's HTTP endpoint, host:port. */
  readonly address: string;
  readonly adminKey: string;
  /** Filters: each given field must equal the line's. */
  readonly filter: { readonly [field in 'source' | 'call' | 'name' | 'status' | 'reason']?: string };
  readonly maxRate: number;
  /** Lines after which it ends; unlimited when undefined. */
  readonly limit?: number;
  /** Ends the tail. */
  readonly signal?: AbortSignal;
}

/** Tails until the signal, the limit or the server ends it. */
export async function tail(options: TailOptions): Promise<void> {
  const params = new URLSearchParams({ max_rate: String(options.maxRate) });
  for (const [field, value] of Object.entries(options.filter)) if (value !== undefined) params.set(field, value);
  const ended = new AbortController();
  options.signal?.addEventListener('abort', () => ended.abort());
  const response = await getAdmin(options.address, options.adminKey, `/admin/tail?${params}`, ended.signal);
  const decoder = new TextDecoder();
  let buffered = '';
  let lines = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = event
          .split('\n')
          .find((line) => line.startsWith('data: '))
          ?.slice(6);
        if (data === undefined) continue;
        if (event.startsWith('event: skipped')) {
          console.error(`skipped ${(JSON.parse(data) as { skipped: number }).skipped} records (above --max-rate ${options.maxRate}/s, or read too slowly)`);
          continue;
        }
        process.stdout.write(`${data}\n`);
        if (options.limit !== undefined && ++lines >= options.limit) return;
      }
    }
  } catch (error) {
    if (!ended.signal.aborted) throw error;
  } finally {
    ended.abort();
  }
}
