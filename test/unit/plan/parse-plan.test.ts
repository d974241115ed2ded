/**
 * Plan files: a good one compiles with its defaults; one that does not parse,
 * or breaks the plan schema, or says what a schema cannot (a pattern that
 * does not compile, keywords of another type, bounds out of order, an enum
 * value of another type, a required property not declared, a property no
 * payload key can be), is refused with each problem on its line.
 */
import { parsePlan, PlanFileError } from '../../../src/plan/parse-plan';

/** The problems parsePlan finds in `text`. */
function problems(text: string): readonly string[] {
  try {
    parsePlan('plan.json', text);
  } catch (error) {
    if (error instanceof PlanFileError) return error.problems;
    throw error;
  }
  throw new Error('the plan was accepted');
}

it('compiles a plan with its defaults', () => {
  const plan = parsePlan(
    'plan.json',
    JSON.stringify({
      version: '3',
      track: { 'Order Completed': { properties: { total: { type: 'number', minimum: 0 } }, required: ['total'] } },
      identify: { properties: { email: { type: 'string', format: 'email' } }, additionalProperties: false },
    }),
  );
  expect(plan.version).toBe('3');
  expect(plan.allowUnplannedEvents).toBe(false);
  const order = plan.track.get('Order Completed');
  expect(order?.required).toEqual(['total']);
  expect(order?.additionalProperties).toBe(true);
  expect(order?.properties.get('total')).toMatchObject({ type: 'number', minimum: 0 });
  expect(plan.identify?.additionalProperties).toBe(false);
  expect(plan.identify?.properties.get('email')?.format?.test('a@example.com')).toBe(true);
  expect(plan.page).toBeUndefined();
});

it('refuses text that is not JSON, with its line', () => {
  expect(problems('{\n  "version": "1",\n  "track": {,\n}')[0]).toMatch(/^line 3: not JSON \(/);
});

it('refuses what breaks the plan schema, each problem on its line', () => {
  const text = ['{', '  "version": "1",', '  "track": {', '    "a": {', '      "properties": {', '        "x": { "type": "nubmer" }', '      }', '    }', '  },', '  "colour": true', '}'].join('\n');
  expect(problems(text)).toEqual(['line 6: track.a.properties.x.type must be one of "string", "number", "integer", "boolean", "object", "array"', 'line 10: colour is not a field of a plan here']);
});

it('refuses what a schema cannot say, each on its line', () => {
  const text = [
    '{',
    '  "version": "1",',
    '  "identify": {',
    '    "properties": {',
    '      "plan": { "type": "string", "enum": ["free", 3], "pattern": "(" },',
    '      "seats": { "type": "integer", "maxLength": 3, "minimum": 5, "maximum": 1 }',
    '    },',
    '    "required": ["seats", "ghost"]',
    '  }',
    '}',
  ].join('\n');
  expect(problems(text)).toEqual([
    'line 5: identify.properties.plan.enum[1] is not a value of type string',
    expect.stringMatching(/^line 5: identify\.properties\.plan\.pattern does not compile: /),
    'line 6: identify.properties.seats.maxLength applies to strings only, and the type is integer',
    'line 6: identify.properties.seats.minimum is above maximum',
    'line 8: identify.required[1] names "ghost", which is not among the properties',
  ]);
});

it('refuses a property no payload key can be: "__proto__", and a name with a lone surrogate', () => {
  const text = ['{', '  "version": "1",', '  "page": {', '    "properties": {', '      "__proto__": { "type": "string" },', '      "a\\ud800": { "type": "string" }', '    }', '  }', '}'].join('\n');
  expect(problems(text)).toEqual([
    'line 5: page.properties.__proto__ cannot be a property: stored payloads drop this key',
    'line 6: page.properties["a\\ud800"] cannot be a property: it holds a lone surrogate, which no payload key can',
  ]);
});
