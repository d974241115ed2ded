/**
 * How the policy ledger names a person's id without keeping it: the
 * SHA-256 of the installation's salt and the id, in lowercase hex (a valid
 * key of a NATS key-value bucket, and what ClickHouse's
 * `lower(hex(SHA256(concat(salt, id))))` gives, so erasure finds rows by the
 * hash alone). The id's kind is not part of the hash, so a
 * regulation of an email covers it wherever records carry it (a user id, a
 * consent's email).
 */
import { hash } from 'node:crypto';

/** Hashes ids under one installation's salt. */
export class IdHasher {
  /** `salt` is the installation's, which erasure also hands to ClickHouse. */
  constructor(readonly salt: string) {}

  /** The ledger's name of `id`. */
  of(id: string): string {
    return hash('sha256', this.salt + id, 'hex');
  }

  /** The same hash as 32 one-byte characters: the in-memory key, smaller than hex and as cheap to make. */
  binary(id: string): string {
    return hash('sha256', this.salt + id, 'binary');
  }

  /** The binary form of a hex hash. */
  static binaryOf(hex: string): string {
    return Buffer.from(hex, 'hex').toString('latin1');
  }

  /** The hex form of a binary hash. */
  static hexOf(binary: string): string {
    return Buffer.from(binary, 'latin1').toString('hex');
  }
}
