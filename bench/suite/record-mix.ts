/**
 * The benchmark's records: a realistic mix made from a fixed seed, so every
 * run and every process sends the same records. Mostly track events with 5
 * to 20 properties (240 distinct keys, each with one type), some identify,
 * page and product records, over a few thousand profiles, with context as an
 * SDK would send it.
 */
import { unsafeUniformIntDistribution, xoroshiro128plus, type RandomGenerator } from 'pure-rand';
import { Record as RecordCodec, type Record } from '../../src/gen/tributary/ingest/v1/record';
import { encodeEnvelope } from '../../src/publish/envelope';

/** The profiles the mix's events come from: `prof_1` to `prof_<MIX_PROFILES>`; an identify names `<profile>@example.com` as its user id. */
export const MIX_PROFILES = 5000;

/** The seed of every benchmark run. */
export const SEED = 20261126;

const EVENT_NAMES = ['Product Viewed', 'Added To Cart', 'Checkout Started', 'Order Completed', 'Search', 'Video Played', 'Signed In'];
const WORDS = ['red', 'wine', 'cart', 'blue', 'summer', 'sale', 'gift', 'box', 'premium', 'fresh', 'north', 'coffee'];

/** Most properties one payload of the mix has; keys are `<word>_<i>` for i below it. */
const MAX_PROPERTIES = 20;

/** Makes records `from` (inclusive) to `to` of the sequence seeded by `seed`; the same index is always the same record. */
export function recordMix(from: number, to: number, run: string, seed = SEED): Record[] {
  return Array.from({ length: to - from }, (_, i) => recordAt(from + i, run, seed));
}

function recordAt(index: number, run: string, seed: number): Record {
  const rng = xoroshiro128plus(seed ^ Math.imul(index + 1, 2654435761));
  const int = (min: number, max: number) => unsafeUniformIntDistribution(min, max, rng);
  const pick = <T>(list: readonly T[]) => list[int(0, list.length - 1)];
  const eventId = `${run}-${index.toString(36)}`;
  const timestamp = new Date(Date.now() - int(0, 60_000));
  const kind = int(1, 100);
  if (kind <= 4) {
    return { eventId, timestamp, kind: { $case: 'product', value: product(int, pick, index) } };
  }
  const profileId = `prof_${int(1, MIX_PROFILES)}`;
  const base = { profileId, userId: '', sessionId: `sess_${int(1, 20000)}`, accountId: '', pageId: '', context: context(int, pick) };
  if (kind <= 12)
    return { eventId, timestamp, kind: { $case: 'event', value: { ...base, userId: `${profileId}@example.com`, call: { $case: 'identify', value: { userAttributes: properties(rng, int(3, 8)) } } } } };
  if (kind <= 20) {
    const path = `/${pick(WORDS)}/${pick(WORDS)}`;
    return {
      eventId,
      timestamp,
      kind: {
        $case: 'event',
        value: { ...base, call: { $case: 'page', value: { url: `https://shop.example.com${path}`, title: `${pick(WORDS)} ${pick(WORDS)}`, referrer: '', path, data: properties(rng, int(1, 4)) } } },
      },
    };
  }
  return { eventId, timestamp, kind: { $case: 'event', value: { ...base, call: { $case: 'track', value: { name: pick(EVENT_NAMES), data: properties(rng, int(5, MAX_PROPERTIES)) } } } } };
}

/** The type of the mix's key `<WORDS[word]>_<i>`: 1 number, 2 string, 3 boolean, 4 list. */
const typeOf = (word: number, i: number): number => ((word + i) % 4) + 1;

/**
 * A tracking plan (docs/tracking-plans.md) that every record of the mix
 * passes, with `events` track events (the mix's, then made-up names): each
 * payload declares every key the mix may send with its type, numbers within
 * bounds and strings to a pattern, and allows no other.
 */
export function mixPlan(events: number): object {
  const property = (word: number, i: number) =>
    [{ type: 'number', minimum: 0, maximum: 1000 }, { type: 'string', pattern: '^[a-z]+-[0-9]+$', maxLength: 20 }, { type: 'boolean' }, { type: 'array' }][typeOf(word, i) - 1];
  const payload = {
    properties: Object.fromEntries(WORDS.flatMap((name, word) => Array.from({ length: MAX_PROPERTIES }, (_, i) => [`${name}_${i}`, property(word, i)]))),
    additionalProperties: false,
  };
  const names = [...EVENT_NAMES, ...Array.from({ length: Math.max(0, events - EVENT_NAMES.length) }, (_, i) => `Planned Event ${i + 1}`)];
  return { version: 'bench-1', allowUnplannedEvents: false, track: Object.fromEntries(names.map((name) => [name, payload])), page: payload, identify: payload };
}

function properties(rng: RandomGenerator, count: number): { [key: string]: unknown } {
  const int = (min: number, max: number) => unsafeUniformIntDistribution(min, max, rng);
  const data: { [key: string]: unknown } = {};
  for (let i = 0; i < count; i++) {
    const word = int(0, WORDS.length - 1);
    const key = `${WORDS[word]}_${i}`;
    // Each key keeps one type, as real properties do (a price is always a number).
    const type = typeOf(word, i);
    data[key] = type === 1 ? int(0, 100_000) / 100 : type === 2 ? `${WORDS[int(0, WORDS.length - 1)]}-${int(1, 999)}` : type === 3 ? int(0, 1) === 1 : [int(1, 9), int(1, 9)];
  }
  return data;
}

function context(int: (min: number, max: number) => number, pick: <T>(list: readonly T[]) => T) {
  return {
    library: { name: '@tributary/sdk', version: '0.1.0' },
    device: { id: `dev_${int(1, 9000)}`, manufacturer: pick(['Apple', 'Samsung', 'Google']), model: `m${int(1, 40)}`, type: pick(['mobile', 'desktop']), advertisingId: '' },
    os: { name: pick(['iOS', 'Android', 'macOS', 'Windows']), version: `${int(10, 18)}.${int(0, 9)}` },
    app: undefined,
    campaign: undefined,
    locale: pick(['en-US', 'de-DE', 'fr-FR']),
    timezone: pick(['Europe/Berlin', 'America/New_York']),
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36',
    ip: `10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
  };
}

function product(int: (min: number, max: number) => number, pick: <T>(list: readonly T[]) => T, index: number) {
  return {
    productId: `sku_${index % 2000}`,
    title: `${pick(WORDS)} ${pick(WORDS)}`,
    description: `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)}`,
    url: `https://shop.example.com/p/${index % 2000}`,
    imageLink: `https://cdn.example.com/p/${index % 2000}.jpg`,
    price: int(100, 10_000) / 100,
    currency: 'EUR',
    brand: pick(WORDS),
    category: pick(WORDS),
    tags: [pick(WORDS), pick(WORDS)],
    availability: 1,
    rating: int(10, 50) / 10,
    data: { stock: int(0, 500) },
  };
}

/** The records as the gateway would publish them: Envelopes of source "bench", received now. */
export function envelopesOf(records: readonly Record[]): Uint8Array[] {
  const now = new Date();
  return records.map((record) => encodeEnvelope(RecordCodec.encode(record).finish(), { sourceId: 'bench', receivedAt: now, timestamp: record.timestamp ?? now, sentAt: undefined }));
}
