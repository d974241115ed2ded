/**
 * The rules of a CreateRegulationRequest: a known type, 1 to 5,000
 * subjects each holding one well-formed id, and only sources the
 * installation knows, for a suppression alone (an erasure covers every
 * source). A request that breaks any is refused whole with
 * INVALID_ARGUMENT naming every field at fault.
 */
import { checkLabel, type Violations } from '../contract/field-checks';
import { IngestError } from '../errors/ingest-error';
import { RegulationType, type CreateRegulationRequest } from '../gen/tributary/admin/v1/admin_service';
import type { RegulationKind } from '../policy/regulation-store';

/** Most subjects in one request. */
export const MAX_SUBJECTS = 5000;

/** The kind of each type a request may ask for. */
const KINDS: { readonly [type: number]: RegulationKind } = {
  [RegulationType.SUPPRESS]: 'SUPPRESS',
  [RegulationType.UNSUPPRESS]: 'UNSUPPRESS',
  [RegulationType.DELETE]: 'DELETE',
  [RegulationType.SUPPRESS_WITH_DELETE]: 'SUPPRESS_WITH_DELETE',
};

/** A request that passed: its kind, its subjects' ids, its sources (sorted, without repeats) and whether it expands to identity groups. */
export interface ValidRegulationRequest {
  readonly kind: RegulationKind;
  readonly ids: readonly string[];
  readonly sources: readonly string[];
  readonly expandIdentity: boolean;
}

/** Checks `request` against the rules; `known` says whether a source id is one the installation knows; `maxIdLength` bounds each id. */
export function checkRegulationRequest(request: CreateRegulationRequest, known: (source: string) => boolean, maxIdLength: number): ValidRegulationRequest {
  const out: Violations = [];
  const kind = KINDS[request.type];
  if (kind === undefined) out.push({ field: 'type', reason: 'REQUIRED', message: 'type must be SUPPRESS, UNSUPPRESS, DELETE or SUPPRESS_WITH_DELETE.' });
  const count = request.subjects.length;
  if (count === 0) out.push({ field: 'subjects', reason: 'REQUIRED', message: 'subjects must name at least one person.' });
  if (count > MAX_SUBJECTS) out.push({ field: 'subjects', reason: 'TOO_MANY', message: `at most ${MAX_SUBJECTS} subjects per request; it has ${count}.` });
  const ids: string[] = [];
  request.subjects.slice(0, MAX_SUBJECTS).forEach((subject, i) => {
    const id = subject.id;
    if (id === undefined) {
      out.push({ field: `subjects[${i}]`, reason: 'REQUIRED', message: `subjects[${i}] must set profile_id, user_id or email.` });
      return;
    }
    const field = `subjects[${i}].${id.$case === 'profileId' ? 'profile_id' : id.$case === 'userId' ? 'user_id' : 'email'}`;
    const before = out.length;
    checkLabel(id.value, field, 'for a subject', maxIdLength, out);
    if (out.length === before) ids.push(id.value);
  });
  request.sourceIds.forEach((source, i) => {
    if (!known(source)) out.push({ field: `source_ids[${i}]`, reason: 'UNKNOWN_SOURCE', message: `source_ids[${i}] is not a source this installation knows.` });
  });
  if (request.sourceIds.length > 0 && (kind === 'DELETE' || kind === 'SUPPRESS_WITH_DELETE')) {
    out.push({ field: 'source_ids', reason: 'NOT_SCOPABLE', message: "an erasure covers every source (a person's identity and profile span them): leave source_ids empty." });
  }
  if (out.length > 0) {
    throw new IngestError('INVALID_ADMIN_REQUEST', `the regulation request breaks ${out.length} rule(s): ${out[0].message}`, {
      violations: out.map((v) => ({ field: v.field, description: `${v.reason}: ${v.message}` })),
    });
  }
  return { kind, ids: [...new Set(ids)], sources: [...new Set(request.sourceIds)].sort(), expandIdentity: request.expandIdentity ?? true };
}
