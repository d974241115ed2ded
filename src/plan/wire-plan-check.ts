/**
 * A payload's plan check on the wire: reads the top-level members of an
 * encoded google.protobuf.Struct that the contract's limit scan has found
 * plain (wire/struct-scan.ts), with the shared walk (wire/struct-walk.ts),
 * and checks them against a payload rule without making objects. Only what
 * a rule needs is decoded: the keys, and a string value when its property
 * has a string constraint or an enum; nested values are skipped, not walked.
 *
 * It reads as the object path sees the payload: the last of a repeated key
 * counts, a Value whose kind is set twice keeps the last, and the key
 * `__proto__`, which the decoded object and the stored row drop, is not a
 * property (test/unit/plan/plan-check-agreement.test.ts).
 */
import { BOOL_TAG, LIST_TAG, NULL_TAG, NUMBER_TAG, STRING_TAG, STRUCT_TAG, StructWalk } from '../contract/wire/struct-walk';
import { fieldEnd, skipField } from '../contract/wire/wire-cursor';
import { additionalProperty, propertyViolation, requiredMissing, type JsonType, type PayloadRule, type PlanViolation, type PropertyKeyword, type PropertyRule, type PropertyType } from './plan';

/** One top-level member as read: its JSON type, its number (1 or 0 for a boolean), and where its string lies. */
interface Member {
  type: JsonType;
  x: number;
  start: number;
  stop: number;
}

/** The walk that gathers the top-level members of one Struct. */
class MemberScan extends StructWalk {
  readonly members = new Map<string, Member>();
  /** The bytes, as a Buffer to decode strings from: its UTF-8 decoding is the fastest Node has for short strings, and keeps a leading U+FEFF as the generated decoder and the stored row do (a key "\uFEFFtotal" is not "total"). */
  readonly text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);

  protected member(keyStart: number, keyEnd: number, end: number): void {
    const key = this.text.toString('utf8', keyStart, keyEnd);
    if (key === '__proto__') return;
    const { reader } = this;
    const found: Member = { type: 'null', x: 0, start: 0, stop: 0 };
    let any = false;
    while (reader.pos < end) {
      const tag = reader.uint32();
      switch (tag) {
        case NULL_TAG:
          reader.uint32();
          found.type = 'null';
          break;
        case NUMBER_TAG:
          found.type = 'number';
          found.x = reader.double();
          break;
        case BOOL_TAG:
          found.type = 'boolean';
          found.x = reader.bool() ? 1 : 0;
          break;
        case STRING_TAG:
          found.type = 'string';
          found.stop = fieldEnd(reader, end);
          found.start = reader.pos;
          reader.pos = found.stop;
          break;
        case STRUCT_TAG:
        case LIST_TAG:
          found.type = tag === STRUCT_TAG ? 'object' : 'array';
          reader.pos = fieldEnd(reader, end);
          break;
        default:
          skipField(reader, tag, end);
          continue;
      }
      any = true;
    }
    // A Value with no kind is no member, as the decoded object has none.
    if (any) this.members.set(key, found);
    else this.members.delete(key);
  }

  // Only members count: nothing below the top is read, and the walk's other hooks have nothing to do.
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
 * The keywords of the property `rule` that the member `member` breaks, its
 * string read from `text` only when a keyword needs it; undefined when it
 * breaks none (the common case, which allocates nothing). The checks are
 * those JSON Schema makes with every error reported: the type; the enum,
 * whatever the type; the string keywords on strings and the number keywords
 * on numbers only.
 */
function brokenKeywords(rule: PropertyRule, member: Member, text: Buffer): PropertyKeyword[] | undefined {
  const { type, x } = member;
  let broken: PropertyKeyword[] | undefined;
  if (!(type === 'number' ? numberFits(rule.type, x) : type === rule.type)) (broken ??= []).push('type');
  const s = type === 'string' && readsText(rule) ? text.toString('utf8', member.start, member.stop) : '';
  if (rule.enum !== undefined) {
    const value = type === 'string' ? s : type === 'number' ? x : type === 'boolean' ? x === 1 : undefined;
    if (value === undefined || !rule.enum.includes(value)) (broken ??= []).push('enum');
  }
  if (type === 'string') {
    if (rule.maxLength !== undefined || rule.minLength !== undefined) {
      const length = codePoints(s);
      if (rule.maxLength !== undefined && length > rule.maxLength) (broken ??= []).push('maxLength');
      if (rule.minLength !== undefined && length < rule.minLength) (broken ??= []).push('minLength');
    }
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

/**
 * Checks the Struct at bytes[start, end) (its content, after the length
 * prefix; start === end for an absent payload) against `rule`, naming each
 * property `${field}.${key}`; returns the violations, none for a payload
 * that keeps to its rule.
 */
export function wirePlanCheck(rule: PayloadRule, field: string, bytes: Uint8Array, start: number, end: number): PlanViolation[] {
  const scan = new MemberScan(bytes, start);
  if (start < end) scan.struct(end, 0);
  const { members } = scan;
  const out: PlanViolation[] = [];
  for (const name of rule.required) if (!members.has(name)) out.push(requiredMissing(`${field}.${name}`));
  for (const [name, member] of members) {
    const property = rule.properties.get(name);
    if (property === undefined) {
      if (!rule.additionalProperties) out.push(additionalProperty(`${field}.${name}`));
      continue;
    }
    const broken = brokenKeywords(property, member, scan.text);
    if (broken !== undefined) for (const keyword of broken) out.push(propertyViolation(keyword, property, `${field}.${name}`, member.type));
  }
  return out;
}
