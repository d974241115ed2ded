/**
 * Clock correction: a producer's timestamps are moved onto the server's clock
 * by the difference between when the server received a batch and when the
 * producer says it sent it (the batch's sent_at), as Segment and RudderStack do.
 */

/**
 * Milliseconds to add to a producer's timestamps to put them on the server's
 * clock: `receivedAt - sentAt`, or 0 when the batch has no sent_at.
 */
export function clockSkewMs(sentAt: Date | undefined, receivedAt: Date): number {
  return sentAt === undefined ? 0 : receivedAt.getTime() - sentAt.getTime();
}

/**
 * A record's timestamp on the server's clock: the producer's timestamp shifted
 * by `skewMs`, or `receivedAt` when the record has none.
 */
export function correctTimestamp(timestamp: Date | undefined, skewMs: number, receivedAt: Date): Date {
  return timestamp === undefined ? receivedAt : new Date(timestamp.getTime() + skewMs);
}
