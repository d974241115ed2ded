// How regulations change a ledger entry, and which sources an entry covers.
import { covers, parseSuppression, suppress, unsuppress, type Suppression } from '../../../src/policy/suppression';

const all = (except: string[] = []): Suppression => ({ all: true, sources: [], except, regulation: 'r0' });
const only = (...sources: string[]): Suppression => ({ all: false, sources, except: [], regulation: 'r0' });

describe('a suppression', () => {
  it('of every source covers every source but those lifted for', () => {
    expect(covers(all(), 'web')).toBe(true);
    expect(covers(all(['web']), 'web')).toBe(false);
    expect(covers(all(['web']), 'ios')).toBe(true);
  });

  it('of some sources covers only them', () => {
    expect(covers(only('web'), 'web')).toBe(true);
    expect(covers(only('web'), 'ios')).toBe(false);
  });

  it('widens: scoped ones add up, and an unscoped one covers everything again', () => {
    expect(suppress(undefined, ['web'], 'r1')).toEqual({ all: false, sources: ['web'], except: [], regulation: 'r1' });
    expect(suppress(only('web'), ['ios', 'web'], 'r2')).toEqual({ all: false, sources: ['ios', 'web'], except: [], regulation: 'r2' });
    expect(suppress(all(['web']), [], 'r3')).toEqual({ all: true, sources: [], except: [], regulation: 'r3' });
    expect(suppress(all(['web', 'ios']), ['web'], 'r4')).toEqual({ all: true, sources: [], except: ['ios'], regulation: 'r4' });
  });

  it('is lifted whole by an unscoped unsuppression, and per source by a scoped one', () => {
    expect(unsuppress(all(), [], 'r1')).toBeUndefined();
    expect(unsuppress(only('web', 'ios'), ['web'], 'r1')).toEqual({ all: false, sources: ['ios'], except: [], regulation: 'r1' });
    expect(unsuppress(only('web'), ['web'], 'r1')).toBeUndefined();
    expect(unsuppress(all(), ['web'], 'r1')).toEqual({ all: true, sources: [], except: ['web'], regulation: 'r1' });
    expect(unsuppress(undefined, ['web'], 'r1')).toBeUndefined();
  });

  it('reads back what it wrote, and refuses anything else', () => {
    expect(parseSuppression(JSON.stringify(only('web')))).toEqual(only('web'));
    expect(parseSuppression('{"all":"yes","sources":[],"except":[],"regulation":"r"}')).toBeUndefined();
    expect(parseSuppression('{"all":false,"sources":[1],"except":[],"regulation":"r"}')).toBeUndefined();
    expect(parseSuppression('not json')).toBeUndefined();
  });
});
