/**
 * Session ids with the seed's inactivity rules: a session ends after 30
 * minutes without events on the web and 5 on mobile (configurable); the next
 * event starts a new one. Server-side callers get no session unless they set
 * one, as the seed says.
 */
import { v7 as uuidv7 } from 'uuid';

/** Where the SDK runs, which sets the session rule. */
export type Platform = 'web' | 'mobile' | 'server';

/** Inactivity after which a session ends, by platform (none on servers). */
export const SESSION_TIMEOUT_MS: Readonly<Record<Platform, number | undefined>> = { web: 30 * 60_000, mobile: 5 * 60_000, server: undefined };

/** The current session, started again after a gap longer than the timeout. */
export class SessionTracker {
  private id: string | undefined;
  private lastEventAt = -Infinity;

  constructor(private readonly timeoutMs: number | undefined) {}

  /** Ends the session: the next event starts a new one. */
  reset(): void {
    this.id = undefined;
    this.lastEventAt = -Infinity;
  }

  /** The session id of an event at `nowMs` (undefined on servers), starting a new session after a long enough gap. */
  touch(nowMs: number): string | undefined {
    if (this.timeoutMs === undefined) return undefined;
    if (this.id === undefined || nowMs - this.lastEventAt > this.timeoutMs) this.id = uuidv7();
    this.lastEventAt = Math.max(this.lastEventAt, nowMs);
    return this.id;
  }
}
