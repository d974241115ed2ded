/**
 * The SDK's client: one method per call of the contract, each turning its
 * arguments into a Record (a time-ordered UUIDv7 event id, a timestamp, the
 * profile, the session) and queueing it for delivery. Typed from the
 * generated contract; the gateway's validator is the one judge of a record,
 * and its verdict comes back as the record's outcome.
 */
import { v7 as uuidv7 } from 'uuid';
import { ConsentAction, Context, ProductRecord, type BehavioralEvent, type Record } from './gen/tributary/ingest/v1/record';
import { Delivery, type DeliveryOptions, type Outcome } from './delivery';
import { SESSION_TIMEOUT_MS, SessionTracker, type Platform } from './session';
import type { Transport } from './transport';

/** A JSON object, as Struct payloads take. */
export type Payload = { readonly [key: string]: unknown };

/** What every event may set; the client fills in what is left out. */
export interface EventOptions {
  /** Default: the client's profile. */
  readonly profileId?: string;
  /** Default: the user of the last identify. */
  readonly userId?: string;
  readonly accountId?: string;
  readonly pageId?: string;
  /** Default: the client's current session (none on servers). */
  readonly sessionId?: string;
  /** Merged over the client's context. */
  readonly context?: Parameters<typeof Context.fromPartial>[0];
  /** Default: now. */
  readonly timestamp?: Date;
  /** Default: a new UUIDv7. Set it to make a retry of your own deduplicate. */
  readonly eventId?: string;
}

/** What an identify may set besides an event's options. */
export interface IdentifyOptions extends EventOptions {
  /**
   * The proof of identity verification: the hex HMAC-SHA256 of the user id
   * under the source's identity secret, computed by your server (never in
   * the browser, which must not hold the secret). A source with a secret
   * links no identify without it.
   */
  readonly userHash?: string;
}

/** The settings of a client, beyond where it sends. */
export interface ClientSettings extends Partial<Omit<DeliveryOptions, 'onProblem' | 'onRetry'>> {
  /** Sets the session rule: 30 min of inactivity on web, 5 on mobile, no session on servers. */
  readonly platform?: Platform;
  /** Overrides the platform's session timeout. */
  readonly sessionTimeoutMs?: number;
  /** The profile events name unless they say otherwise. */
  readonly profileId?: string;
  /** Context sent with every event (library, app, device, …). */
  readonly context?: Parameters<typeof Context.fromPartial>[0];
  /** How long close() lets queued records go out. */
  readonly closeTimeoutMs?: number;
  /** Makes the anonymous profile id of {@link TributaryClient.reset}; default a new UUIDv7 (browsers also keep it in localStorage). */
  readonly newProfileId?: () => string;
  /** Told of every record rejected, failed or dropped, with its outcome. */
  readonly onProblem?: DeliveryOptions['onProblem'];
  /** Told of every failed attempt that will be retried (with the same event ids). */
  readonly onRetry?: DeliveryOptions['onRetry'];
}

/** Defaults of delivery: batches of 100 or every second, at most 10,000 waiting, retries from 100 ms up to 30 s. */
export const DEFAULTS = { batchSize: 100, flushIntervalMs: 1000, maxQueue: 10_000, requestTimeoutMs: 10_000, retryBaseMs: 100, retryMaxMs: 30_000, closeTimeoutMs: 10_000 } as const;

/** A Tributary client. Every method returns the record's outcome, and never rejects. */
export class TributaryClient {
  private readonly delivery: Delivery;
  private readonly session: SessionTracker;
  /** The context of every event that sets none of its own, built once. */
  private readonly context: Context;
  private profileId: string | undefined;
  private userId: string | undefined;

  constructor(
    transport: Transport,
    private readonly settings: ClientSettings & { readonly library: { readonly name: string; readonly version: string } },
  ) {
    const platform = settings.platform ?? 'server';
    this.session = new SessionTracker(settings.sessionTimeoutMs ?? SESSION_TIMEOUT_MS[platform]);
    this.profileId = settings.profileId;
    this.context = Context.fromPartial({ ...settings.context, library: settings.library });
    this.delivery = new Delivery(transport, { ...DEFAULTS, ...settings });
  }

  /** Sets the profile later events name. */
  setProfile(profileId: string): void {
    this.profileId = profileId;
  }

  /**
   * Forgets the user and starts a new anonymous profile and a new session,
   * as Segment's and PostHog's reset() do on a shared device when someone
   * signs out. Records already queued keep the ids they were made with.
   * Returns the new profile id.
   */
  reset(): string {
    this.userId = undefined;
    this.session.reset();
    this.profileId = (this.settings.newProfileId ?? uuidv7)();
    return this.profileId;
  }

  /** A named behavioral event with its data. */
  track(name: string, data?: Payload, options: EventOptions = {}): Promise<Outcome> {
    return this.event({ $case: 'track', value: { name, data } }, options);
  }

  /** Links the profile to a known user, proven by `options.userHash` where the source verifies identities; later events carry `userId`. */
  identify(userId: string, userAttributes?: Payload, options: IdentifyOptions = {}): Promise<Outcome> {
    this.userId = userId;
    const { userHash, ...eventOptions } = options;
    return this.event({ $case: 'identify', value: { userAttributes, userHash } }, { ...eventOptions, userId });
  }

  /** Joins the current user (or options.userId) with another user id. */
  alias(anotherUserId: string, options: EventOptions = {}): Promise<Outcome> {
    return this.event({ $case: 'alias', value: { anotherUserId } }, options);
  }

  /** Puts the profile in an account. */
  group(accountId: string, accountAttributes?: Payload, options: EventOptions = {}): Promise<Outcome> {
    return this.event({ $case: 'group', value: { accountAttributes } }, { ...options, accountId });
  }

  /** Records a consent decision. */
  consent(consent: { action: 'accept' | 'reject'; validUntil: Date; source: string; category?: string; message?: string; email?: string }, options: EventOptions = {}): Promise<Outcome> {
    const action = consent.action === 'accept' ? ConsentAction.ACCEPT : ConsentAction.REJECT;
    return this.event({ $case: 'consent', value: { category: '', message: '', email: '', ...consent, action } }, options);
  }

  /** A page view. */
  page(page: { url?: string; title?: string; referrer?: string; path?: string; data?: Payload } = {}, options: EventOptions = {}): Promise<Outcome> {
    return this.event({ $case: 'page', value: { url: '', title: '', referrer: '', path: '', ...page } }, options);
  }

  /** A product catalog record; it names no profile unless given one, and never creates one. */
  product(product: Parameters<typeof ProductRecord.fromPartial>[0] & { productId: string }, options: Pick<EventOptions, 'eventId' | 'timestamp'> = {}): Promise<Outcome> {
    return this.delivery.enqueue({ eventId: options.eventId ?? uuidv7(), timestamp: options.timestamp ?? new Date(), kind: { $case: 'product', value: ProductRecord.fromPartial(product) } });
  }

  /** Sends everything queued; resolves when each record has its outcome. */
  flush(): Promise<void> {
    return this.delivery.flush();
  }

  /** Flushes (for at most closeTimeoutMs), then closes the connection; later calls are dropped as closed. */
  close(): Promise<void> {
    return this.delivery.close(this.settings.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs);
  }

  /** Records waiting or being sent. */
  get queued(): number {
    return this.delivery.size;
  }

  /** The records waiting or being sent, oldest first, for a page that is going away to save (they stay queued). */
  queuedRecords(): Record[] {
    return this.delivery.records();
  }

  /** Queues records made earlier (a page's saved queue), with their own event ids, so the gateway answers a resent one DUPLICATE. */
  requeue(records: readonly Record[]): void {
    for (const record of records) void this.delivery.enqueue(record);
  }

  private event(call: NonNullable<BehavioralEvent['call']>, options: EventOptions): Promise<Outcome> {
    const timestamp = options.timestamp ?? new Date();
    const record: Record = {
      eventId: options.eventId ?? uuidv7(),
      timestamp,
      kind: {
        $case: 'event',
        value: {
          profileId: options.profileId ?? this.profileId ?? '',
          userId: options.userId ?? this.userId ?? '',
          sessionId: options.sessionId ?? this.session.touch(timestamp.getTime()) ?? '',
          accountId: options.accountId ?? '',
          pageId: options.pageId ?? '',
          context: options.context === undefined ? this.context : Context.fromPartial({ ...this.settings.context, library: this.settings.library, ...options.context }),
          call,
        },
      },
    };
    return this.delivery.enqueue(record);
  }
}
