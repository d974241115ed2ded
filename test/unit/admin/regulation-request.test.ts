// The rules of a CreateRegulationRequest: every field at fault is named.
import { CreateRegulationRequest, RegulationType } from '../../../src/gen/tributary/admin/v1/admin_service';
import { checkRegulationRequest, MAX_SUBJECTS } from '../../../src/admin/regulation-request';
import { IngestError } from '../../../src/errors/ingest-error';

const known = (source: string) => source === 'web';
const check = (partial: Parameters<typeof CreateRegulationRequest.fromPartial>[0]) => checkRegulationRequest(CreateRegulationRequest.fromPartial(partial), known, 256);
const fieldsOf = (partial: Parameters<typeof CreateRegulationRequest.fromPartial>[0]): string[] => {
  try {
    check(partial);
  } catch (error) {
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).reason).toBe('INVALID_ADMIN_REQUEST');
    return ((error as IngestError).options.violations ?? []).map((v) => v.field);
  }
  throw new Error('the request was not refused');
};

describe('checkRegulationRequest', () => {
  it('takes a good request, its ids without repeats, expanding identity by default', () => {
    expect(check({ type: RegulationType.SUPPRESS, subjects: [{ id: { $case: 'email', value: 'a@b.c' } }, { id: { $case: 'email', value: 'a@b.c' } }], sourceIds: ['web'] })).toEqual({
      kind: 'SUPPRESS',
      ids: ['a@b.c'],
      sources: ['web'],
      expandIdentity: true,
    });
    expect(check({ type: RegulationType.DELETE, subjects: [{ id: { $case: 'userId', value: 'u' } }], expandIdentity: false }).expandIdentity).toBe(false);
  });

  it('names every field at fault', () => {
    expect(fieldsOf({ type: RegulationType.UNSPECIFIED, subjects: [] })).toEqual(['type', 'subjects']);
    expect(
      fieldsOf({ type: 99 as RegulationType, subjects: [{}, { id: { $case: 'profileId', value: ' ' } }, { id: { $case: 'userId', value: 'x'.repeat(257) } }], sourceIds: ['web', 'nope'] }),
    ).toEqual(['type', 'subjects[0]', 'subjects[1].profile_id', 'subjects[2].user_id', 'source_ids[1]']);
    expect(fieldsOf({ type: RegulationType.SUPPRESS, subjects: [{ id: { $case: 'email', value: 'a\u0000b' } }] })).toEqual(['subjects[0].email']);
  });

  it('refuses sources on an erasure, which covers every source', () => {
    expect(fieldsOf({ type: RegulationType.DELETE, subjects: [{ id: { $case: 'userId', value: 'u' } }], sourceIds: ['web'] })).toEqual(['source_ids']);
    expect(fieldsOf({ type: RegulationType.SUPPRESS_WITH_DELETE, subjects: [{ id: { $case: 'userId', value: 'u' } }], sourceIds: ['web'] })).toEqual(['source_ids']);
    expect(check({ type: RegulationType.UNSUPPRESS, subjects: [{ id: { $case: 'userId', value: 'u' } }], sourceIds: ['web'] }).sources).toEqual(['web']);
  });

  it(`refuses more than ${MAX_SUBJECTS} subjects`, () => {
    const subjects = Array.from({ length: MAX_SUBJECTS + 1 }, (_, i) => ({ id: { $case: 'userId' as const, value: `u${i}` } }));
    expect(fieldsOf({ type: RegulationType.SUPPRESS, subjects })).toEqual(['subjects']);
    expect(check({ type: RegulationType.SUPPRESS, subjects: subjects.slice(1) }).ids).toHaveLength(MAX_SUBJECTS);
  });
});
