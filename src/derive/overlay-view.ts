/** The {@link DeriveView} a deriver sees during a commit: committed data overlaid with the commit's pending writes. */
import { normaliseString } from "../fhir/search-strings.js";
import type { DateValue, ResourceWrite, SearchCriterion, Store } from "../store/port.js";
import type { DerivedResource, DeriveView } from "./port.js";
import { storeView } from "./store-view.js";

const keyOf = (w: { resourceType: string; id: string }) => `${w.resourceType}/${w.id}`;

/** One date search value against an index range, as the SQL stores decide it (src/store/sql/sql-store.ts). */
function dateMatches(low: string, high: string, v: DateValue): boolean {
  const [lo, hi, start, end] = [Date.parse(low), Date.parse(high), Date.parse(v.start), Date.parse(v.end)];
  const within = lo >= start && hi <= end;
  switch (v.prefix) {
    case "eq":
      return within;
    case "ne":
      return lo < start || hi > end;
    case "gt":
      return hi > end;
    case "lt":
      return lo < start;
    case "ge":
      return hi > end || within;
    case "le":
      return lo < start || within;
    case "sa":
      return lo >= end;
    case "eb":
      return hi <= start;
    case "ap":
      return lo < end && hi > start;
  }
}

/**
 * True when a pending write matches one criterion, judged on the index entries the write carries (the
 * same entries the store will hold once committed). Kinds `id`, `token`, `reference`, `string` and `date`.
 */
export function writeMatches(w: ResourceWrite, c: SearchCriterion): boolean {
  switch (c.kind) {
    case "id":
      return c.values.includes(w.id);
    case "token": {
      const hit = w.tokens.some(
        (t) =>
          t.param === c.param &&
          c.values.some(
            (v) => (v.system === undefined || v.system === t.system) && (v.value === undefined || v.value === t.value),
          ),
      );
      return c.not ? !hit : hit;
    }
    case "reference":
      return w.references.some((r) => r.param === c.param && c.targets.includes(r.target));
    case "string":
      return (w.strings ?? []).some(
        (s) =>
          s.param === c.param &&
          c.values.some((v) =>
            c.match === "exact"
              ? s.exact === v
              : c.match === "prefix"
                ? s.value.startsWith(normaliseString(v))
                : s.value.includes(normaliseString(v)),
          ),
      );
    case "date":
      return (w.dates ?? []).some((d) => d.param === c.param && c.values.some((v) => dateMatches(d.low, d.high, v)));
    default:
      throw new Error(`A deriver's find supports id, token, reference, string and date criteria, not ${c.kind}`);
  }
}

/** Characters of a normalised string value the pending-write index is keyed by (for prefix finds). */
const PREFIX_KEY = 3;

/** The UTC year an instant (ISO 8601) falls in; NaN when it does not parse. */
const yearOf = (instant: string): number => new Date(Date.parse(instant)).getUTCFullYear();

/** The keys of every set given, in first-seen order. */
function union(sets: (Set<string> | undefined)[]): Set<string> {
  if (sets.length === 1) return sets[0] ?? new Set();
  const out = new Set<string>();
  for (const set of sets) for (const k of set ?? []) out.add(k);
  return out;
}

/** Pending writes of one commit, latest per resource, that a deriver's view overlays on the store. */
export class Overlay {
  /**
   * Keys of pending writes by reference target, token value, the first characters of a string value and the year a
   * date range starts in (`Type|param|target`, `Type|param|system|value`, `Type|param|s|abc`, `Type|param|y|1980`),
   * every version's entries kept: a candidate list that {@link writeMatches} then checks against the latest
   * version, so a find costs what its matches cost, not what the whole commit holds.
   */
  private readonly byEntry = new Map<string, Set<string>>();

  private indexEntry(entry: string, key: string): void {
    const keys = this.byEntry.get(entry);
    if (keys) keys.add(key);
    else this.byEntry.set(entry, new Set([key]));
  }

  /** Per type, the pending keys written at a version after the first (those can replace a committed version). */
  private readonly rewritten = new Map<string, Set<string>>();

  /** How many pending writes of `resourceType` replace a committed version (versions after the first). */
  private rewrites(resourceType: string): number {
    return this.rewritten.get(resourceType)?.size ?? 0;
  }

  /** The pending keys that may match `criteria`: from the entry index when a criterion allows, else every one of the type. */
  private candidates(resourceType: string, criteria: SearchCriterion[]): Iterable<string> {
    for (const c of criteria) {
      if (c.kind === "reference")
        return union(c.targets.map((t) => this.byEntry.get(`${resourceType}|${c.param}|${t}`)));
      // A string prefix of at least PREFIX_KEY characters: only values sharing its first characters can start with it.
      if (c.kind === "string" && c.match === "prefix") {
        const keys = c.values.map((v) => normaliseString(v));
        if (keys.every((k) => k.length >= PREFIX_KEY))
          return union(keys.map((k) => this.byEntry.get(`${resourceType}|${c.param}|s|${k.slice(0, PREFIX_KEY)}`)));
      }
      // `eq` dates of a few years at most: a match's range starts inside the searched one, so in one of its years.
      if (c.kind === "date" && c.values.every((v) => v.prefix === "eq")) {
        const years = c.values.map((v) => [yearOf(v.start), yearOf(v.end)] as const);
        if (years.every(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && b - a <= 2)) {
          const sets: (Set<string> | undefined)[] = [];
          for (const [a, b] of years)
            for (let y = a; y <= b; y++) sets.push(this.byEntry.get(`${resourceType}|${c.param}|y|${y}`));
          return union(sets);
        }
      }
      if (c.kind === "token" && !c.not && c.values.every((v) => v.value !== undefined)) {
        return union(
          c.values.map((v) =>
            this.byEntry.get(
              v.system === undefined
                ? `${resourceType}|${c.param}|*|${v.value}`
                : `${resourceType}|${c.param}|${v.system}|${v.value}`,
            ),
          ),
        );
      }
    }
    return this.byType.get(resourceType) ?? [];
  }

  /** `committed` matches with this commit's pending versions in place of theirs, and its pending matches added. */
  private merge(resourceType: string, criteria: SearchCriterion[], committed: DerivedResource[]): DerivedResource[] {
    const found = committed.filter((r) => !this.byKey.has(keyOf(r)));
    for (const key of this.candidates(resourceType, criteria)) {
      const w = this.byKey.get(key);
      if (!w?.resource) continue;
      if (criteria.every((c) => writeMatches(w, c))) found.push(w.resource as DerivedResource);
    }
    return found;
  }

  private readonly byKey = new Map<string, ResourceWrite>();
  private readonly byType = new Map<string, Set<string>>();
  /** Keys in the order they were first written (the `touched` list derivers get). */
  readonly touched: string[] = [];

  constructor(writes: Iterable<ResourceWrite> = []) {
    for (const w of writes) this.add(w);
  }

  /** Adds a planned write (a later version of the same resource replaces the earlier one). */
  add(w: ResourceWrite): void {
    const key = keyOf(w);
    if (!this.byKey.has(key)) {
      this.touched.push(key);
      const keys = this.byType.get(w.resourceType) ?? new Set<string>();
      keys.add(key);
      this.byType.set(w.resourceType, keys);
    }
    this.byKey.set(key, w);
    // A resource's versions only grow, so a key once written after its first version stays counted.
    if (w.versionId > 1) {
      const keys = this.rewritten.get(w.resourceType) ?? new Set<string>();
      keys.add(key);
      this.rewritten.set(w.resourceType, keys);
    }
    for (const r of w.references) this.indexEntry(`${w.resourceType}|${r.param}|${r.target}`, key);
    for (const t of w.tokens) {
      this.indexEntry(`${w.resourceType}|${t.param}|${t.system}|${t.value}`, key);
      this.indexEntry(`${w.resourceType}|${t.param}|*|${t.value}`, key);
    }
    for (const e of w.strings ?? [])
      this.indexEntry(`${w.resourceType}|${e.param}|s|${e.value.slice(0, PREFIX_KEY)}`, key);
    for (const d of w.dates ?? []) this.indexEntry(`${w.resourceType}|${d.param}|y|${yearOf(d.low)}`, key);
  }

  /** The latest pending write of a resource, if this commit writes it. */
  get(key: string): ResourceWrite | undefined {
    return this.byKey.get(key);
  }

  /** A view of `store` with these writes overlaid: pending resources win, pending deletions hide. */
  view(store: Store): DeriveView {
    const base = storeView(store);
    return {
      read: async (resourceType, id) => {
        const w = this.byKey.get(`${resourceType}/${id}`);
        if (w) return w.resource as DerivedResource | undefined;
        return base.read(resourceType, id);
      },
      find: async (resourceType, criteria) =>
        this.merge(resourceType, criteria, await base.find(resourceType, criteria)),
      findWithin: async (resourceType, criteria, limit) => {
        // A committed match this commit rewrites is replaced by its pending version: only a write of a version after
        // the first can do that, so the committed side may hold that many more matches than `limit`.
        const committed = await base.findWithin(resourceType, criteria, limit + this.rewrites(resourceType));
        if (!committed) return undefined;
        const found = this.merge(resourceType, criteria, committed);
        return found.length > limit ? undefined : found;
      },
    };
  }
}
