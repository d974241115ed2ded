/**
 * Track names the platform keeps for its own automatic events (Intempt's
 * autocapture and calls). A custom track event may not use them, in any case.
 */

const RESERVED = new Set(['auto-track', 'view page', 'leave page', 'change on', 'click on', 'submit on', 'identify', 'consent']);

/** Whether a track name is reserved, ignoring case and surrounding whitespace. */
export function isReservedTrackName(name: string): boolean {
  return RESERVED.has(name.trim().toLowerCase());
}
