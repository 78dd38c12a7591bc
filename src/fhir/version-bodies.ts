/** A bounded in-memory cache of stored JSON by resource version, so a read need not decode the same body again. */
import type { StoredVersion } from "../store/port.js";

/** Bounds of a {@link VersionBodies} cache. */
export interface VersionBodiesLimits {
  /** Most versions held (least recently used dropped first). */
  maxEntries: number;
  /** Most JSON characters held in all. */
  maxChars: number;
}

/** About 8 MB of one-byte JSON text at most: small beside a Worker isolate's 128 MB. */
const DEFAULT_LIMITS: VersionBodiesLimits = { maxEntries: 10_000, maxChars: 8_000_000 };

/**
 * The JSON of versions already decoded or written, keyed by type, id and version. A version is written once
 * and never changes (the store's version key is its optimistic lock), so an entry can never be stale, whichever
 * process wrote the version: the store is still asked which version is current on every read.
 */
export class VersionBodies {
  private readonly bodies = new Map<string, string>();
  private chars = 0;

  constructor(private readonly limits: VersionBodiesLimits = DEFAULT_LIMITS) {}

  /** The cached JSON of a version, marking it recently used. */
  get(resourceType: string, id: string, versionId: number): string | undefined {
    const key = `${resourceType}/${id}/${versionId}`;
    const json = this.bodies.get(key);
    if (json !== undefined) {
      this.bodies.delete(key);
      this.bodies.set(key, json);
    }
    return json;
  }

  /** Remembers the JSON of a version that is stored (call only after it was committed or read back). */
  set(resourceType: string, id: string, versionId: number, json: string): void {
    if (json.length > this.limits.maxChars) return;
    const key = `${resourceType}/${id}/${versionId}`;
    const old = this.bodies.get(key);
    if (old !== undefined) {
      this.bodies.delete(key);
      this.chars -= old.length;
    }
    this.bodies.set(key, json);
    this.chars += json.length;
    while (this.bodies.size > this.limits.maxEntries || this.chars > this.limits.maxChars) {
      const [oldest, body] = this.bodies.entries().next().value as [string, string];
      this.bodies.delete(oldest);
      this.chars -= body.length;
    }
  }

  /** Number of versions held. */
  get size(): number {
    return this.bodies.size;
  }

  /**
   * `v` with its JSON from the cache when this version is held there (the stored body is then not decoded);
   * otherwise `v` itself, its JSON remembered once decoded. Deletions and versions without text pass through.
   */
  serve(v: StoredVersion): StoredVersion {
    if (v.deleted) return v;
    const json = this.get(v.resourceType, v.id, v.versionId);
    if (json === undefined) {
      const text = v.json;
      if (typeof text === "string") this.set(v.resourceType, v.id, v.versionId, text);
      return v;
    }
    return new CachedVersion(v.resourceType, v.id, v.versionId, v.lastUpdated, json);
  }
}

/** A version served from the cache: `json` as held, `resource` parsed from it on first access (as the stores do). */
class CachedVersion implements StoredVersion {
  readonly deleted = false;
  #parsed: Record<string, unknown> | undefined;

  constructor(
    readonly resourceType: string,
    readonly id: string,
    readonly versionId: number,
    readonly lastUpdated: string,
    readonly json: string,
  ) {}

  get resource(): Record<string, unknown> {
    this.#parsed ??= JSON.parse(this.json) as Record<string, unknown>;
    return this.#parsed;
  }

  set resource(value: Record<string, unknown>) {
    this.#parsed = value;
  }
}
