import { hash } from 'node:crypto';
import { DigestSet } from './hash-table';

/**
 * The external ids a roster file has had so far, to tell a later row with the same id (first in the
 * file wins). Ids are compared as Postgres compares them: byte for byte (a deterministic collation's
 * equality). Each id is kept as the first 16 bytes of the sha256 of its UTF-8 bytes in a DigestSet
 * (hash-table.ts): about 24 bytes an id and no string or map entry, far less than a Set of strings. Two different ids share a
 * hash with a probability of about n²/2¹²⁹ (10⁻²⁷ for a million ids).
 */
export class ExternalIdSet {
  private readonly digests = new DigestSet();

  get size(): number {
    return this.digests.size;
  }

  /** Bytes of its typed arrays. */
  get bytes(): number {
    return this.digests.bytes;
  }

  /** Adds `id`; false when the set had it already. */
  add(id: string): boolean {
    return this.digests.add(hash('sha256', id, 'binary'));
  }
}
