/**
 * A payload's plan check on the wire: reads the top-level members of an
 * encoded google.protobuf.Struct that the contract's limit scan has found
 * plain (wire/struct-scan.ts), with the shared walk (wire/struct-walk.ts),
 * and checks each against a payload rule as it reads it, without making
 * objects. Only what a rule needs is decoded: a key the rule does not declare
 * (declared keys are found by their bytes, property-table.ts), and a string
 * value when its property has a string constraint or an enum; nested values
 * are skipped, not walked.
 *
 * It reads as the object path sees the payload: the last of a repeated key
 * counts, a Value with no kind is dropped (an earlier value of its key
 * stands), a Value whose kind is set twice keeps the last, an entry's value
 * that a later one in the entry overrides is not read, and the key
 * `__proto__`, which the decoded object and the stored row drop, is not a
 * property (test/unit/plan/plan-check-agreement.test.ts).
 *
 * The module keeps one walk for each ArrayBuffer that records were checked
 * in, held weakly by that ArrayBuffer: a walk lives no longer than the bytes
 * it reads, and holds nothing of a check once the check returns.
 */
import { BOOL_TAG, LIST_TAG, NULL_TAG, NUMBER_TAG, STRING_TAG, STRUCT_TAG, StructWalk } from '../contract/wire/struct-walk';
import { fieldEnd, skipField } from '../contract/wire/wire-cursor';
import {
  additionalProperty,
  JSON_TYPES,
  propertyViolation,
  requiredMissing,
  type JsonType,
  type PayloadRule,
  type PlanViolation,
  type PropertyKeyword,
  type PropertyRule,
  type PropertyType,
} from './plan';

// The codes of the JSON types (their index in JSON_TYPES) that the walk reads values as.
const NULL = JSON_TYPES.indexOf('null');
const NUMBER = JSON_TYPES.indexOf('number');
const STRING = JSON_TYPES.indexOf('string');
const BOOLEAN = JSON_TYPES.indexOf('boolean');
const OBJECT = JSON_TYPES.indexOf('object');
const ARRAY = JSON_TYPES.indexOf('array');

/**
 * The walk that checks each top-level member of a Struct against a payload
 * rule as it reads it. One walk reads every record whose bytes lie in one
 * ArrayBuffer (the records of one request do), at positions within it: its
 * reader and its Buffer are made once, not for each record (a reader is some
 * 300 bytes, and what the check allocates costs the gateway's young
 * collections more than its own time: each copies the requests in flight).
 */
class MemberCheck extends StructWalk {
  private readonly out: PlanViolation[] = [];
  private rule: PayloadRule | undefined;
  private field = '';

  constructor(
    /** The whole ArrayBuffer as a Buffer: its UTF-8 decoding is the fastest Node has for short strings, and keeps a leading U+FEFF as the generated decoder and the stored row do (a key "\uFEFFtotal" is not "total"). */
    private readonly whole: Buffer,
  ) {
    super(whole, 0);
  }

  /** The violations of `rule` by the Struct at whole[start, end), its members named `${field}.${key}`. */
  check(rule: PayloadRule, field: string, start: number, end: number): readonly PlanViolation[] {
    const { out } = this;
    this.rule = rule;
    this.field = field;
    try {
      const table = rule.declared;
      table.begin();
      if (start < end) {
        this.reader.pos = start;
        this.struct(end, 0);
      }
      for (const slot of table.requiredSlots) if (!table.seen(slot)) out.push(requiredMissing(`${field}.${table.names[slot]}`));
      return out.length === 0 ? NO_VIOLATIONS : [...out];
    } finally {
      // Nothing of this check stays, even when it threw half-way.
      out.length = 0;
      this.rule = undefined;
      this.field = '';
    }
  }

  /** How many bytes the walk reads. */
  get length(): number {
    return this.whole.length;
  }

  private text(start: number, stop: number): string {
    return this.whole.toString('utf8', start, stop);
  }

  protected member(keyStart: number, keyEnd: number, end: number): void {
    const { reader } = this;
    let kind = -1;
    let x = 0;
    let start = 0;
    let stop = 0;
    while (reader.pos < end) {
      const tag = reader.uint32();
      switch (tag) {
        case NULL_TAG:
          reader.uint32();
          kind = NULL;
          break;
        case NUMBER_TAG:
          kind = NUMBER;
          x = reader.double();
          break;
        case BOOL_TAG:
          kind = BOOLEAN;
          x = reader.bool() ? 1 : 0;
          break;
        case STRING_TAG:
          kind = STRING;
          stop = fieldEnd(reader, end);
          start = reader.pos;
          reader.pos = stop;
          break;
        case STRUCT_TAG:
          kind = OBJECT;
          reader.pos = fieldEnd(reader, end);
          break;
        case LIST_TAG:
          kind = ARRAY;
          reader.pos = fieldEnd(reader, end);
          break;
        default:
          skipField(reader, tag, end);
      }
    }
    // A Value with no kind is dropped, as the generated decoder and the stored row drop it: an earlier value of its key stands.
    if (kind < 0) return;
    // An entry without a key (keyStart -1) has the key "", as the generated decoder gives it.
    const keyFrom = keyStart < 0 ? 0 : keyStart;
    const keyTo = keyStart < 0 ? 0 : keyEnd;
    const payload = this.rule as PayloadRule;
    const table = payload.declared;
    const slot = table.find(this.bytes, keyFrom, keyTo);
    if (slot < 0) {
      if (!payload.additionalProperties) this.unplanned(this.text(keyFrom, keyTo));
      return;
    }
    table.saw(slot);
    const { out } = this;
    // The common case, a value of a type whose rule says nothing else, reads nothing of the rule.
    const bare = kind === table.kinds[slot] && table.bare[slot] === 1;
    if (bare && out.length === 0) return;
    const rule = table.rules[slot];
    const type = JSON_TYPES[kind];
    const broken = bare ? undefined : brokenKeywords(rule, type, x, kind === STRING && readsText(rule) ? this.text(start, stop) : '');
    if (out.length === 0 && broken === undefined) return;
    const name = `${this.field}.${table.names[slot]}`;
    // A repeated key: the last counts, so what an earlier one broke is dropped.
    this.drop(name);
    if (broken !== undefined) for (const keyword of broken) out.push(propertyViolation(keyword, rule, name, type));
  }

  /** A key the rule does not declare, where its payload allows no others: one violation, however often it comes. */
  private unplanned(key: string): void {
    // `__proto__` is no property: the decoded object and the stored row drop it.
    if (key === '__proto__') return;
    const name = `${this.field}.${key}`;
    if (!this.out.some((violation) => violation.field === name)) this.out.push(additionalProperty(name));
  }

  /** Drops the violations found so far at `name` (of an earlier value of a repeated key), if any. */
  private drop(name: string): void {
    const kept = this.out.filter((violation) => violation.field !== name);
    if (kept.length === this.out.length) return;
    this.out.length = 0;
    this.out.push(...kept);
  }

  // Only members count: nothing below the top is read, and the walk's other hooks have nothing to do. An overridden value
  // counts for nothing either (the limit scan has read its bytes): walked, its Struct's members would pass for the payload's.
  protected override overridden(): void {}
  protected skippedKey(): void {}
  protected item(): void {}
  protected openObject(): void {}
  protected closeObject(): void {}
  protected openList(): void {}
  protected closeList(): void {}
  protected nullValue(): void {}
  protected number(): void {}
  protected string(): void {}
  protected bool(): void {}
  protected mark(): number {
    return 0;
  }
  protected rollback(): void {}
}

/** Whether a number is of `type` (number or integer). */
const numberFits = (type: PropertyType, x: number): boolean => type === 'number' || (type === 'integer' && Number.isInteger(x));

/** Whether a property's checks read a string's text. */
const readsText = (rule: PropertyRule): boolean => rule.enum !== undefined || rule.pattern !== undefined || rule.format !== undefined || rule.maxLength !== undefined || rule.minLength !== undefined;

/**
 * The keywords of the property `rule` that a member of JSON type `type`
 * breaks (its number, or 1 or 0 for a boolean, in `x`; its string in `s`,
 * decoded only when a keyword reads it); undefined when it breaks none (the
 * common case, which allocates nothing). The checks are those JSON Schema
 * makes with every error reported: the type; the enum, whatever the type;
 * the string keywords on strings and the number keywords on numbers only.
 */
function brokenKeywords(rule: PropertyRule, type: JsonType, x: number, s: string): PropertyKeyword[] | undefined {
  let broken: PropertyKeyword[] | undefined;
  if (!(type === 'number' ? numberFits(rule.type, x) : type === rule.type)) (broken ??= []).push('type');
  if (rule.enum !== undefined) {
    const value = type === 'string' ? s : type === 'number' ? x : type === 'boolean' ? x === 1 : undefined;
    if (value === undefined || !rule.enum.includes(value)) (broken ??= []).push('enum');
  }
  if (type === 'string') {
    // A string has at most as many code points as UTF-16 units, and at least half as many: most are counted without a count.
    if (rule.maxLength !== undefined && s.length > rule.maxLength && codePoints(s) > rule.maxLength) (broken ??= []).push('maxLength');
    if (rule.minLength !== undefined && s.length < 2 * rule.minLength && codePoints(s) < rule.minLength) (broken ??= []).push('minLength');
    if (rule.pattern !== undefined && !rule.pattern.test(s)) (broken ??= []).push('pattern');
    if (rule.format !== undefined && !rule.format.test(s)) (broken ??= []).push('format');
  } else if (type === 'number') {
    if (rule.maximum !== undefined && x > rule.maximum) (broken ??= []).push('maximum');
    if (rule.minimum !== undefined && x < rule.minimum) (broken ??= []).push('minimum');
  }
  return broken;
}

/** A string's length as JSON Schema counts it: in code points. */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    n++;
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return n;
}

/** What a payload that keeps to its rule breaks: one frozen list for all. */
const NO_VIOLATIONS: readonly PlanViolation[] = Object.freeze([]);

/** The walk of each ArrayBuffer that records were checked in; held weakly, so that a walk lives no longer than the bytes it reads. */
const walks = new WeakMap<ArrayBufferLike, MemberCheck>();

/**
 * Checks the Struct at bytes[start, end) (its content, after the length
 * prefix; start === end for an absent payload) against `rule`, naming each
 * property `${field}.${key}`; returns the violations, none for a payload
 * that keeps to its rule.
 */
export function wirePlanCheck(rule: PayloadRule, field: string, bytes: Uint8Array, start: number, end: number): readonly PlanViolation[] {
  let walk = walks.get(bytes.buffer);
  // A walk made before a resizable ArrayBuffer grew does not reach its new bytes.
  if (walk === undefined || walk.length < bytes.byteOffset + end) walks.set(bytes.buffer, (walk = new MemberCheck(Buffer.from(bytes.buffer))));
  return walk.check(rule, field, bytes.byteOffset + start, bytes.byteOffset + end);
}
