/**
 * The Tributary SDK for browsers: gRPC-Web over fetch, web sessions (30
 * minutes of inactivity), and an anonymous profile id kept in localStorage
 * until the page names one.
 */
import { v7 as uuidv7 } from 'uuid';
import { TributaryClient } from './client';
import { LIBRARY, webTransport, type ClientOptions } from './options';

export { TributaryClient, DEFAULTS, type ClientSettings, type EventOptions, type Payload } from './client';
export type { Outcome } from './delivery';
export type { ClientOptions } from './options';
export { TributaryError } from './transport';

const PROFILE_KEY = 'tributary.anonymousProfileId';

/** The browser's anonymous profile id, made once and kept in localStorage where there is one. */
function anonymousProfileId(): string {
  const storage = (globalThis as { localStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void } }).localStorage;
  const kept = storage?.getItem(PROFILE_KEY);
  if (kept) return kept;
  const id = uuidv7();
  storage?.setItem(PROFILE_KEY, id);
  return id;
}

/** A client for browsers; transport must be grpc-web or grpc-web-text. */
export function createClient(options: ClientOptions): TributaryClient {
  if (options.transport === 'grpc') throw new Error('browsers reach Tributary over gRPC-Web: use transport "grpc-web"');
  return new TributaryClient(webTransport(options), { platform: 'web', ...options, profileId: options.profileId ?? anonymousProfileId(), library: LIBRARY });
}
