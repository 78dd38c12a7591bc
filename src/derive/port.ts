/**
 * Derivation port: what is computed from stored records rather than sent (person links, households,
 * flags, notifications), recomputed in the same commit as the records that change it.
 *
 * A commit's source writes are planned first; then each {@link Deriver} in order sees them (and the
 * resources earlier derivers produced) through a {@link DeriveView} — committed data overlaid with
 * this commit's pending writes — and returns the resources it derives. The runner keeps only those
 * whose content changed, gives them their next version and index, and commits everything at once:
 * derived state is never out of step with its sources. Derivers are pure functions of what they
 * read: no clock, no randomness, so replaying an ingest derives nothing new.
 */
import type { OutboxMessage, SearchCriterion } from "../store/port.js";

/** A FHIR resource as derivers read and write it. */
export type DerivedResource = Record<string, unknown> & { resourceType: string; id: string };

/** What a deriver reads: committed data overlaid with this commit's earlier (pending) writes. */
export interface DeriveView {
  /** The current resource (a pending write wins), or undefined when absent or deleted. */
  read(resourceType: string, id: string): Promise<DerivedResource | undefined>;
  /**
   * Every current resource of a type matching all criteria (ANDed; a criterion's values ORed), pending
   * writes included and pending deletions excluded. Criteria kinds `id`, `token`, `reference` and
   * `string` (`exact` or `prefix` on the normalised value) are supported. Not paged: use selective
   * criteria (a reference to one subject, a blocking key), never a scan.
   */
  find(resourceType: string, criteria: SearchCriterion[]): Promise<DerivedResource[]>;
  /**
   * As {@link find}, but undefined when more than `limit` resources match (counted, not read): how a caller
   * leaves out a block too big to compare pairwise without reading it.
   */
  findWithin(resourceType: string, criteria: SearchCriterion[], limit: number): Promise<DerivedResource[] | undefined>;
  /**
   * Optional, for views over committed data only: for each of `targets`, the current resources of `resourceType`
   * whose reference parameter `param` points at it (what `find` with a reference criterion for that one target
   * returns, in id order), in few queries however many targets; a target nothing points at maps to `[]`.
   */
  findReferencingEach?(
    resourceType: string,
    param: string,
    targets: readonly string[],
  ): Promise<Map<string, DerivedResource[]>>;
  /** Optional, as {@link findReferencingEach}: the current resources of `keys` (`Type/id`), absent or deleted left out. */
  readEach?(keys: readonly string[]): Promise<Map<string, DerivedResource>>;
}

/** One deriver's input. */
export interface DeriveInput {
  view: DeriveView;
  /**
   * Keys (`Type/id`) of every resource this commit writes so far, created, changed or deleted: the
   * source writes, then what earlier derivers produced. Unchanged resources are not listed.
   */
  touched: readonly string[];
}

/** One deriver's output. */
export interface DeriveOutput {
  /**
   * Resources to write, whole, with deterministic ids (src/mapping/ids.ts `deterministicId`). The
   * runner drops those whose content equals what is stored, versions and indexes the rest.
   */
  resources: DerivedResource[];
  /** Keys (`Type/id`) of derived resources that no longer hold and are to be deleted. */
  deletes?: string[];
  /** Messages to deliver after the commit (notifications), with deterministic ids (idempotency keys). */
  outbox?: OutboxMessage[];
}

/** A step of derivation. */
export interface Deriver {
  /** A short name for logs and reports (`person-index`, `households`, `flags`, `notifications`). */
  readonly name: string;
  derive(input: DeriveInput): Promise<DeriveOutput>;
}
