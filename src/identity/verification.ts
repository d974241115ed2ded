/**
 * Identity verification, as Intercom's: a source with an identity secret
 * vouches for the user id of an identify by sending `user_hash`, the
 * lowercase hex HMAC-SHA256 of the user id under the secret, which the
 * source's own server computes and hands to its client. Pure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Whether `userHash` is the HMAC-SHA256 of `userId` under `secret`, compared in constant time. */
export function verifies(secret: string, userId: string, userHash: string): boolean {
  const expected = Buffer.from(createHmac('sha256', secret).update(userId, 'utf8').digest('hex'), 'latin1');
  const given = Buffer.from(userHash, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
