/**
 * Which stream messages a replay sends through: where its window ends, and
 * which messages its filters select, by the subject a record was published
 * on (`<prefix>.<source>.event.<call>`, `<prefix>.<source>.product`:
 * src/publish/subjects.ts) and, for event names, by the record itself. Pure.
 */
import type { Envelope } from '../gen/tributary/ingest/v1/envelope';
import type { ReplaySpec } from '../tasks/task-store';

/** The source and call a record's subject names (call `product` for a product record), or undefined for a subject of another shape. */
export function subjectParts(prefix: string, subject: string): { readonly source: string; readonly call: string } | undefined {
  if (!subject.startsWith(prefix + '.')) return undefined;
  const [source, kind, call, ...rest] = subject.slice(prefix.length + 1).split('.');
  if (rest.length > 0 || source === undefined || source === '') return undefined;
  if (kind === 'product' && call === undefined) return { source, call: 'product' };
  return kind === 'event' && call !== undefined ? { source, call } : undefined;
}

/** The one subject filter of a replay's consumer: exact for one source and one call, the whole prefix otherwise (nats-server 2.9 takes one filter per consumer; the rest is filtered here). */
export function replayFilterSubject(prefix: string, spec: ReplaySpec): string {
  const calls = spec.names.length > 0 ? ['track'] : spec.calls;
  const source = spec.sources.length === 1 ? spec.sources[0] : '*';
  if (calls.length !== 1) return source === '*' ? `${prefix}.>` : `${prefix}.${source}.>`;
  return calls[0] === 'product' ? `${prefix}.${source}.product` : `${prefix}.${source}.event.${calls[0]}`;
}

/** Whether a message of stream sequence `seq`, stored at `timeMs`, lies past the end of the window of `spec`. */
export function pastWindow(spec: ReplaySpec, seq: number, timeMs: number): boolean {
  return (spec.toSeq !== undefined && seq > spec.toSeq) || (spec.toTime !== undefined && timeMs > Date.parse(spec.toTime));
}

/** Whether the filters of `spec` select a message on `subject` (under `prefix`); `envelope` reads its record, for a filter by event name. */
export function selected(spec: ReplaySpec, prefix: string, subject: string, envelope: () => Envelope): boolean {
  const parts = subjectParts(prefix, subject);
  if (parts === undefined) return false;
  if (spec.sources.length > 0 && !spec.sources.includes(parts.source)) return false;
  if (spec.calls.length > 0 && !spec.calls.includes(parts.call)) return false;
  if (spec.names.length === 0) return true;
  if (parts.call !== 'track') return false;
  const record = envelope().record;
  return record?.kind?.$case === 'event' && record.kind.value.call?.$case === 'track' && spec.names.includes(record.kind.value.call.value.name);
}
