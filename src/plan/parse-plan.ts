/**
 * A tracking-plan file's text into a compiled Plan (plan.ts), or a
 * PlanFileError that lists every problem with the line it is on. The file is
 * JSON (docs/tracking-plans.md): its shape is held to PLAN_FILE_SCHEMA, then
 * what a schema cannot say is checked (a pattern that compiles, bounds in
 * order, keywords that fit the property's type, enum values of that type).
 * Each payload's JSON Schema is compiled by Ajv for the object check, at the
 * check's first use of it.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { Plan, PayloadRule, PropertyRule, StringFormat } from './plan';
import { PLAN_FILE_SCHEMA, PROPERTY_TYPES, STRING_FORMATS } from './plan-file-schema';
import { PropertyTable } from './property-table';

/** The line a problem ("line 12: …") is on. */
const lineOfProblem = (problem: string): number => Number(/^line (\d+)/.exec(problem)?.[1] ?? 0);

/** A plan file that cannot be used, with each problem and its line, in the order of the lines. */
export class PlanFileError extends Error {
  readonly problems: readonly string[];

  constructor(
    readonly path: string,
    problems: readonly string[],
  ) {
    const inOrder = [...problems].sort((a, b) => lineOfProblem(a) - lineOfProblem(b));
    super(`${path}: ${inOrder.join('; ')}`);
    this.name = 'PlanFileError';
    this.problems = inOrder;
  }
}

/** A plan file's JSON as PLAN_FILE_SCHEMA allows it. */
interface PlanFile {
  version: string;
  allowUnplannedEvents?: boolean;
  allowUnplannedProperties?: boolean;
  track?: { [name: string]: PayloadFile };
  page?: PayloadFile;
  identify?: PayloadFile;
  group?: PayloadFile;
}
interface PayloadFile {
  properties?: { [name: string]: PropertyFile };
  required?: string[];
  additionalProperties?: boolean;
}
interface PropertyFile {
  type: PropertyRule['type'];
  enum?: (string | number | boolean)[];
  pattern?: string;
  format?: (typeof STRING_FORMATS)[number];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

/**
 * An Ajv: all errors, own properties only (a payload's `constructor` is
 * not Object's), ajv-formats' full formats for the ones a plan may name.
 * Ajv keeps every schema it compiled, so each plan gets its own, which goes
 * with the plan when a reload replaces it.
 */
const newAjv = (): Ajv => addFormats(new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, ownProperties: true }), { mode: 'full', formats: [...STRING_FORMATS] });

/** The check of a plan file's shape, compiled once. */
const checkShape = newAjv().compile<PlanFile>(PLAN_FILE_SCHEMA);

/** The test of format `name`, as ajv-formats defines it. */
function formatOf(name: (typeof STRING_FORMATS)[number]): StringFormat {
  const format = fullFormats[name];
  if (format instanceof RegExp) return { name, test: (s) => format.test(s) };
  if (typeof format === 'function') return { name, test: (s) => (format as (s: string) => boolean)(s) };
  const validate = (format as { validate: RegExp | ((s: string) => boolean) }).validate;
  return { name, test: validate instanceof RegExp ? (s) => validate.test(s) : validate };
}

/** Where the problems of one plan file are gathered, each with its line. */
class Problems {
  readonly list: string[] = [];
  private readonly lineStarts: number[] = [0];

  constructor(
    text: string,
    private readonly tree: Node | undefined,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** The 1-based line of character `offset`. */
  lineOf(offset: number): number {
    let line = 0;
    while (line + 1 < this.lineStarts.length && this.lineStarts[line + 1] <= offset) line++;
    return line + 1;
  }

  /** Adds `what`, said of the value at `path` (its line, or the nearest enclosing value's). */
  at(path: (string | number)[], what: string): void {
    let node: Node | undefined;
    for (let n = path.length; node === undefined && n >= 0; n--) node = this.tree === undefined ? undefined : findNodeAtLocation(this.tree, path.slice(0, n));
    const named = path.map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join('');
    this.list.push(`line ${node === undefined ? 1 : this.lineOf(node.offset)}: ${named === '' ? 'the plan' : named.replace(/^\./, '')} ${what}`);
  }
}

/** The path segments of an Ajv error's instance path. */
const segmentsOf = (error: ErrorObject): string[] =>
  error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** What PLAN_FILE_SCHEMA's `error` says, in words. */
function shapeProblem(error: ErrorObject): { path: string[]; what: string } {
  const path = segmentsOf(error);
  const params = error.params as { additionalProperty?: string; allowedValues?: unknown[]; missingProperty?: string };
  if (params.additionalProperty !== undefined) return { path: [...path, params.additionalProperty], what: 'is not a field of a plan here' };
  if (params.missingProperty !== undefined) return { path, what: `must have ${params.missingProperty}` };
  if (params.allowedValues !== undefined) return { path, what: `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  return { path, what: error.message ?? 'is not valid' };
}

/** Checks what the schema cannot say of the property at `path`, and compiles it. */
function propertyRule(file: PropertyFile, path: string[], problems: Problems): PropertyRule {
  const numeric = file.type === 'number' || file.type === 'integer';
  for (const keyword of ['pattern', 'format', 'minLength', 'maxLength'] as const) {
    if (file[keyword] !== undefined && file.type !== 'string') problems.at([...path, keyword], `applies to strings only, and the type is ${file.type}`);
  }
  for (const keyword of ['minimum', 'maximum'] as const) {
    if (file[keyword] !== undefined && !numeric) problems.at([...path, keyword], `applies to numbers only, and the type is ${file.type}`);
  }
  if (file.minimum !== undefined && file.maximum !== undefined && file.minimum > file.maximum) problems.at([...path, 'minimum'], 'is above maximum');
  if (file.minLength !== undefined && file.maxLength !== undefined && file.minLength > file.maxLength) problems.at([...path, 'minLength'], 'is above maxLength');
  (file.enum ?? []).forEach((value, i) => {
    const fits = typeof value === 'number' ? numeric && (file.type === 'number' || Number.isInteger(value)) : typeof value === file.type;
    if (!fits) problems.at([...path, 'enum', i], `is not a value of type ${file.type}`);
  });
  let pattern: RegExp | undefined;
  if (file.pattern !== undefined) {
    try {
      pattern = new RegExp(file.pattern, 'u');
    } catch (error) {
      problems.at([...path, 'pattern'], `does not compile: ${(error as Error).message}`);
    }
  }
  return {
    // The constant of that name, not the file's own string: two such constants compare as one pointer.
    type: PROPERTY_TYPES.find((type) => type === file.type) ?? file.type,
    enum: file.enum,
    pattern,
    format: file.format === undefined ? undefined : formatOf(file.format),
    minimum: file.minimum,
    maximum: file.maximum,
    minLength: file.minLength,
    maxLength: file.maxLength,
  };
}

/** A payload rule before Ajv compiles its schema. */
type PayloadDraft = Omit<PayloadRule, 'validator' | 'declared'> & { readonly schema: object };

/** Checks the payload at `path`; others may come when it says so, or else as the plan says. */
function payloadDraft(file: PayloadFile, path: string[], allowUnplannedProperties: boolean, problems: Problems): PayloadDraft {
  const properties = new Map<string, PropertyRule>();
  for (const [name, property] of Object.entries(file.properties ?? {})) {
    if (name === '__proto__') problems.at([...path, 'properties', name], 'cannot be a property: stored payloads drop this key');
    else if (Buffer.from(name, 'utf8').toString('utf8') !== name) problems.at([...path, 'properties', name], 'cannot be a property: it holds a lone surrogate, which no payload key can');
    else properties.set(name, propertyRule(property, [...path, 'properties', name], problems));
  }
  const required = file.required ?? [];
  required.forEach((name, i) => {
    if (!properties.has(name)) problems.at([...path, 'required', i], `names ${JSON.stringify(name)}, which is not among the properties`);
  });
  const additionalProperties = file.additionalProperties ?? allowUnplannedProperties;
  return { properties, required, additionalProperties, schema: { type: 'object', properties: file.properties ?? {}, required, additionalProperties } };
}

/** A checked payload rule, with its table of properties for the wire check; `ajv` compiles its schema when the object check first needs it. */
function payloadRule(ajv: Ajv, { schema, ...rule }: PayloadDraft): PayloadRule {
  let validate: ValidateFunction | undefined;
  return { ...rule, declared: new PropertyTable(rule.properties, rule.required), validator: () => (validate ??= ajv.compile(schema)) };
}

/** Parses and compiles the plan file at `path` whose text is `text`; throws a PlanFileError naming each problem's line. */
export function parsePlan(path: string, text: string): Plan {
  const syntax: ParseError[] = [];
  const tree = parseTree(text, syntax, { disallowComments: true, allowTrailingComma: false });
  const problems = new Problems(text, tree);
  for (const error of syntax) problems.list.push(`line ${problems.lineOf(error.offset)}: not JSON (${printParseErrorCode(error.error)})`);
  if (problems.list.length > 0 || tree === undefined) throw new PlanFileError(path, problems.list.length > 0 ? problems.list : ['line 1: empty']);
  const file: unknown = getNodeValue(tree);
  if (!checkShape(file)) {
    for (const error of checkShape.errors ?? []) {
      const { path: at, what } = shapeProblem(error);
      problems.at(at, what);
    }
    throw new PlanFileError(path, problems.list);
  }
  const allowUnplannedProperties = file.allowUnplannedProperties ?? true;
  const draft = (payload: PayloadFile | undefined, path: string[]) => (payload === undefined ? undefined : payloadDraft(payload, path, allowUnplannedProperties, problems));
  const track = Object.entries(file.track ?? {}).map(([name, payload]) => [name, draft(payload, ['track', name]) as PayloadDraft] as const);
  const [page, identify, group] = (['page', 'identify', 'group'] as const).map((name) => draft(file[name], [name]));
  if (problems.list.length > 0) throw new PlanFileError(path, problems.list);
  const ajv = newAjv();
  const plan: Plan = {
    version: file.version,
    allowUnplannedEvents: file.allowUnplannedEvents ?? false,
    track: new Map(track.map(([name, payload]) => [name, payloadRule(ajv, payload)])),
    page: page && payloadRule(ajv, page),
    identify: identify && payloadRule(ajv, identify),
    group: group && payloadRule(ajv, group),
  };
  return plan;
}
