/**
 * The Tributary SDK for browsers: gRPC-Web over fetch, web sessions (30
 * minutes of inactivity), an anonymous profile id kept in localStorage
 * until the page names one, and a queue that survives the page going away.
 */
import { v7 as uuidv7 } from 'uuid';
import { TributaryClient } from './client';
import { LIBRARY, webTransport, type ClientOptions } from './options';
import { takeSavedQueue, watchPageUnload, type KeyValueStorage, type PageEvents } from './page-unload';

export { TributaryClient, DEFAULTS, type ClientSettings, type EventOptions, type IdentifyOptions, type Payload } from './client';
export type { DropCause, Outcome } from './delivery';
export type { ClientOptions } from './options';
export { TributaryError } from './transport';

const PROFILE_KEY = 'tributary.anonymousProfileId';

const storage = (): KeyValueStorage | undefined => (globalThis as { localStorage?: KeyValueStorage }).localStorage;

type Listener = () => void;
type BrowserGlobals = { addEventListener?(type: string, listener: Listener): void; document?: { addEventListener(type: string, listener: Listener): void; readonly visibilityState: string } };

/** The page's unload events, where there is a page: pagehide on the window, visibilitychange on the document. */
function pageEvents(): PageEvents | undefined {
  const { addEventListener, document } = globalThis as BrowserGlobals;
  if (addEventListener === undefined || document === undefined) return undefined;
  return {
    addEventListener: (type, listener) => (type === 'pagehide' ? addEventListener.call(globalThis, type, listener) : document.addEventListener(type, listener)),
    get visibilityState() {
      return document.visibilityState;
    },
  };
}

/** A new anonymous profile id, kept in localStorage where there is one. */
function newAnonymousProfileId(): string {
  const id = uuidv7();
  storage()?.setItem(PROFILE_KEY, id);
  return id;
}

/** The browser's anonymous profile id: the one kept in localStorage, or a new one. */
const anonymousProfileId = (): string => storage()?.getItem(PROFILE_KEY) || newAnonymousProfileId();

/**
 * A client for browsers; transport must be grpc-web or grpc-web-text. It
 * first queues what a page of this origin saved as it went away, and saves
 * and sends its own queue when its page goes away (page-unload.ts).
 */
export function createClient(options: ClientOptions): TributaryClient {
  if (options.transport === 'grpc') throw new Error('browsers reach Tributary over gRPC-Web: use transport "grpc-web"');
  const transport = webTransport(options);
  const client = new TributaryClient(transport, { platform: 'web', ...options, profileId: options.profileId ?? anonymousProfileId(), newProfileId: newAnonymousProfileId, library: LIBRARY });
  const saved = storage();
  const page = pageEvents();
  if (saved !== undefined) client.requeue(takeSavedQueue(saved));
  if (page !== undefined) watchPageUnload(client, transport, saved, page);
  return client;
}
