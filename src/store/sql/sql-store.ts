/** The Store port over any SqlExecutor: every query is written once here and compiled per dialect. */
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from "kysely";
import { normaliseString, prefixUpperBound } from "../../fhir/search-strings.js";
import { entryHash, GENESIS_HASH } from "../hash-chain.js";
import type {
  ChangeSet,
  DateValue,
  HistoryQuery,
  IndexKind,
  IndexWrite,
  LogEntry,
  OutboxRecord,
  Page,
  ResourceWrite,
  SearchCriterion,
  SearchPage,
  SearchRequest,
  Store,
  StoredFile,
  StoredVersion,
} from "../port.js";
import { StoreConflictError } from "../port.js";
import { asBytes, decodeBodyBytes, encodeBody } from "./body-codec.js";
import { createCompiler } from "./compiler.js";
import type { SqlExecutor, SqlStatement } from "./executor.js";
import { EMPTY_PRINTS, INDEX_KINDS, IndexPrintCache, type IndexPrints, printIndex, samePrint } from "./index-prints.js";
import { instantMs, isoInstant, splitTarget } from "./index-values.js";
import type { CurrentRow, Database, ResourceRow } from "./schema.js";
import { type CodeKey, codeKeyName, SearchCodes } from "./search-codes.js";
import { StatementCache } from "./statement-cache.js";

type Compilable = { compile(): SqlStatement };

const utf8 = new TextDecoder();

/**
 * The one row → version conversion every query goes through: `json` (the stored body decoded, served
 * as is) and `resource` (that JSON parsed) are computed on first access. Accessors of an object literal,
 * not `Object.defineProperties`, which turns each version into a slow dictionary-mode object.
 */
function toVersion(row: ResourceRow): StoredVersion {
  const resourceType = row.resource_type;
  const id = row.id;
  const versionId = Number(row.version_id);
  const deleted = Number(row.deleted) === 1;
  const content = row.content;
  if (content === null || content === undefined)
    return { resourceType, id, versionId, lastUpdated: isoInstant(row.last_updated), deleted };
  // The instant as ISO text on first read too: a walk that only parses the resources never formats it.
  const stored = row.last_updated;
  let lastUpdated: string | undefined;
  // Decoded and parsed only when read: an update that needs just the version number pays neither.
  // Text, not bytes: a Response sends a string for less than it takes to decode it.
  let json: string | undefined;
  let parsed: Record<string, unknown> | undefined;
  const text = () => {
    json ??= typeof content === "string" ? content : utf8.decode(decodeBodyBytes(asBytes(content)));
    return json;
  };
  return {
    resourceType,
    id,
    versionId,
    get lastUpdated(): string {
      lastUpdated ??= isoInstant(stored);
      return lastUpdated;
    },
    deleted,
    get json(): string {
      return text();
    },
    get resource(): Record<string, unknown> {
      parsed ??= JSON.parse(text()) as Record<string, unknown>;
      return parsed;
    },
    set resource(value: Record<string, unknown>) {
      parsed = value;
    },
  };
}

// Column order of the cached version and current-row inserts: row r's values are arguments r*n … r*n+n-1.
const currentArgs = (row: CurrentRow) => [row.resource_type, row.id, row.version_id, row.last_updated, row.deleted];
const versionArgs = (row: ResourceRow) => [
  row.resource_type,
  row.id,
  row.version_id,
  row.last_updated,
  row.deleted,
  row.content,
];
function currentSlots(slot: (i: number) => string, r: number): CurrentRow {
  const at = (k: number) => slot(r * 5 + k) as never;
  return { resource_type: at(0), id: at(1), version_id: at(2), last_updated: at(3), deleted: at(4) };
}
/** The columns of a version row with its resource's id, from `resource_versions as v` joined to `resources as r`. */
const VERSION_COLUMNS = [
  "v.resource_type",
  "r.id",
  "v.version_id",
  "v.last_updated",
  "v.deleted",
  "v.content",
] as const;

/**
 * The current row's version content. Written as SQL text once: building it with the query builder on
 * every search cost more than SQLite's lookup (Kysely compiles the whole tree per call).
 */
const CONTENT =
  sql<unknown>`(select v.content from resource_versions v where v.rkey = resources.rkey and v.version_id = resources.version_id)`.as(
    "content",
  );

/** Selects current rows with their version's stored content (`resources` points at it). */
function withContent<O>(q: SelectQueryBuilder<Database, "resources", O>) {
  return q.selectAll("resources").select(CONTENT);
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Bytes as lowercase hex (a stored reference target id as a map key). */
function hexOf(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** The distinct ids of `keys`, grouped by resource type (one `IN` list per type). */
function idsByType(keys: Iterable<{ resourceType: string; id: string }>): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const k of keys) {
    const ids = sets.get(k.resourceType) ?? new Set<string>();
    ids.add(k.id);
    sets.set(k.resourceType, ids);
  }
  return new Map([...sets].map(([type, ids]) => [type, [...ids]]));
}

/** The index table of each kind of parameter. */
const INDEX_TABLES = {
  token: "search_tokens",
  reference: "search_references",
  string: "search_strings",
  date: "search_dates",
} as const satisfies Record<IndexKind, keyof Database>;
type IndexTable = (typeof INDEX_TABLES)[IndexKind];

/** PostgreSQL types of the index tables' value columns (for the VALUES list an insert joins to `resources`). */
const PG_INDEX_TYPES: Record<string, string> = {
  value: "text",
  exact: "text",
  target: "bytea",
  low: "bigint",
  high: "bigint",
};

/** The index of a deleted resource: nothing. */
const NO_INDEX = { tokens: [], references: [], strings: [], dates: [] };

/** `LIKE` pattern text for a literal: `\`, `%` and `_` escaped with `\`. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (ch) => `\\${ch}`);

/** One string value against search_strings (`value` is normalised; `exact` as written). */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's expression builder over search_strings.
function stringMatch(t: any, match: "prefix" | "exact" | "contains", v: string): Expression<SqlBool> {
  if (match === "exact") return t.and([t("value", "=", normaliseString(v)), t("exact", "=", v)]);
  if (match === "contains") return sql<SqlBool>`${sql.ref("value")} LIKE ${`%${likeLiteral(v)}%`} ESCAPE ${"\\"}`;
  const upper = prefixUpperBound(v);
  return t.and([t("value", ">=", v), ...(upper === undefined ? [] : [t("value", "<", upper)])]);
}

/**
 * One date value against an index range [low, high) (http://hl7.org/fhir/R4/search.html#prefix):
 * eq — the search range contains the target; gt/lt — the target reaches above/below the search range;
 * ge/le — either; sa/eb — the target starts after / ends before it; ap — the (widened) ranges overlap.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's expression builder over search_dates.
function rangeMatch(t: any, value: DateValue): Expression<SqlBool> {
  const v = { prefix: value.prefix, start: instantMs(value.start), end: instantMs(value.end) };
  // `low <= end` follows from the other two (low < high); stated, it bounds the index range scan on low.
  const within = () => t.and([t("low", ">=", v.start), t("low", "<=", v.end), t("high", "<=", v.end)]);
  switch (v.prefix) {
    case "eq":
      return within();
    case "ne":
      return t.or([t("low", "<", v.start), t("high", ">", v.end)]);
    case "gt":
      return t("high", ">", v.end);
    case "lt":
      return t("low", "<", v.start);
    case "ge":
      return t.or([t("high", ">", v.end), within()]);
    case "le":
      return t.or([t("low", "<", v.start), within()]);
    case "sa":
      return t("low", ">=", v.end);
    case "eb":
      return t("high", "<=", v.start);
    case "ap":
      return t.and([t("low", "<", v.end), t("high", ">", v.start)]);
  }
}

/** One date value against the lastUpdated instant (a range one millisecond wide). */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's expression builder over resources.
function instantMatch(eb: any, v: DateValue): Expression<SqlBool> {
  const at = (op: string, value: string) => eb("last_updated", op, instantMs(value));
  switch (v.prefix) {
    case "eq":
      return eb.and([at(">=", v.start), at("<", v.end)]);
    case "ne":
      return eb.or([at("<", v.start), at(">=", v.end)]);
    case "gt":
    case "sa":
      return at(">=", v.end);
    case "lt":
    case "eb":
      return at("<", v.start);
    case "ge":
      return at(">=", v.start);
    case "le":
      return at("<", v.end);
    case "ap":
      return eb.and([at(">=", v.start), at("<", v.end)]);
  }
}

/** Implements {@link Store} on a SQL database through a thin {@link SqlExecutor}. */
export class SqlStore implements Store {
  private readonly db: Kysely<Database>;
  private readonly statements = new StatementCache();
  private readonly codes: SearchCodes;
  /** Each kind's index entries of the version of each resource this store last wrote (index-prints.ts). */
  private readonly prints = new IndexPrintCache();

  constructor(
    private readonly exec: SqlExecutor,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.db = createCompiler(exec.dialect);
    this.codes = new SearchCodes(exec, this.db);
  }

  private all<R>(q: Compilable): Promise<R[]> {
    return this.exec.all<R>(q.compile());
  }

  /** Versions with their resource's current row (for its id): `resource_versions as v` joined to `resources as r`. */
  private versions() {
    return this.db.selectFrom("resource_versions as v").innerJoin("resources as r", "r.rkey", "v.rkey");
  }

  async read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    const read = this.statements.get("read", (slot) =>
      withContent(this.db.selectFrom("resources").where("resource_type", "=", slot(0)).where("id", "=", slot(1))),
    );
    const rows = await this.exec.all<ResourceRow>(read([resourceType, id]));
    return rows[0] ? toVersion(rows[0]) : undefined;
  }

  async readMany(keys: readonly { resourceType: string; id: string }[]): Promise<Map<string, StoredVersion>> {
    const out = new Map<string, StoredVersion>();
    const perQuery = Math.max(1, Math.min(500, this.exec.maxParameters - 1));
    for (const [resourceType, ids] of idsByType(keys)) {
      for (const part of chunk(ids, perQuery)) {
        const rows = await this.all<ResourceRow>(
          withContent(
            this.db.selectFrom("resources").where("resource_type", "=", resourceType).where("id", "in", part),
          ),
        );
        for (const row of rows) out.set(`${row.resource_type}/${row.id}`, toVersion(row));
      }
    }
    return out;
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    const vread = this.statements.get("vread", (slot) =>
      this.versions()
        .select(VERSION_COLUMNS)
        .where("r.resource_type", "=", slot(0))
        .where("r.id", "=", slot(1))
        .where("v.version_id", "=", slot(2) as unknown as number),
    );
    const rows = await this.exec.all<ResourceRow>(vread([resourceType, id, versionId]));
    return rows[0] ? toVersion(rows[0]) : undefined;
  }

  async history(resourceType: string, id: string, page: Page): Promise<SearchPage> {
    const base = this.versions().where("r.resource_type", "=", resourceType).where("r.id", "=", id);
    const [countRows, rows] = await Promise.all([
      this.all<{ n: number | string }>(base.select((eb) => eb.fn.countAll().as("n"))),
      this.all<ResourceRow>(
        base.select(VERSION_COLUMNS).orderBy("v.version_id", "desc").limit(page.count).offset(page.offset),
      ),
    ]);
    return { total: Number(countRows[0]?.n ?? 0), versions: rows.map(toVersion) };
  }

  async historyAcross(query: HistoryQuery): Promise<SearchPage> {
    let base = this.db.selectFrom("resource_versions as v");
    if (query.resourceType !== undefined) base = base.where("v.resource_type", "=", query.resourceType);
    if (query.since !== undefined) base = base.where("v.last_updated", ">=", instantMs(query.since));
    if (query.until !== undefined) base = base.where("v.last_updated", "<=", instantMs(query.until));
    const at = query.at;
    if (at) {
      // Current at some time in [start, end): written before the end, and no later version written by the start.
      base = base
        .where("v.last_updated", "<", instantMs(at.end))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("resource_versions as n")
                .select("n.version_id")
                .whereRef("n.rkey", "=", "v.rkey")
                .whereRef("n.version_id", ">", "v.version_id")
                .where("n.last_updated", "<=", instantMs(at.start)),
            ),
          ),
        );
    }
    let pageQuery = base.innerJoin("resources as r", "r.rkey", "v.rkey");
    const after = query.after;
    if (after) {
      pageQuery = pageQuery
        .where("v.last_updated", "<=", instantMs(after.lastUpdated))
        .where((eb) =>
          eb(
            eb.refTuple("v.last_updated", "v.resource_type", "r.id", "v.version_id"),
            "<",
            eb.tuple(instantMs(after.lastUpdated), after.resourceType, after.id, after.versionId),
          ),
        );
    }
    const [countRows, rows] = await Promise.all([
      query.withoutTotal
        ? Promise.resolve([{ n: 0 }])
        : this.all<{ n: number | string }>(base.select((eb) => eb.fn.countAll().as("n"))),
      query.count === 0
        ? Promise.resolve([] as ResourceRow[])
        : this.all<ResourceRow>(
            pageQuery
              .select(VERSION_COLUMNS)
              .orderBy("v.last_updated", "desc")
              .orderBy("v.resource_type", "desc")
              .orderBy("r.id", "desc")
              .orderBy("v.version_id", "desc")
              .limit(query.count),
          ),
    ]);
    return { total: Number(countRows[0]?.n ?? 0), versions: rows.map(toVersion) };
  }

  async search(request: SearchRequest): Promise<SearchPage> {
    const { resourceType } = request;
    // With a selective criterion, steer planners (SQLite has no statistics on a young database) to the
    // primary key and the search index rather than scanning every resource of the type in sort order:
    // `+deleted` and an expression sort cannot use resources_by_updated or the primary key order.
    // Listing a whole type still can.
    const selective = request.criteria.some(
      (c) => c.kind !== "lastUpdated" && !(c.kind === "date" && c.param === "_lastUpdated"),
    );
    // A criterion answered by index rows yields rkeys: look those up by rkey (the rowid on SQLite) rather than
    // filter every resource of the type through them, unless an `_id` criterion makes the primary key better.
    const byRkey =
      !request.criteria.some((c) => c.kind === "id") &&
      request.criteria.some(
        (c) =>
          c.kind === "reference" ||
          c.kind === "string" ||
          (c.kind === "token" && !c.not) ||
          (c.kind === "date" && c.param !== "_lastUpdated") ||
          (c.kind === "missing" && !c.missing),
      );
    let base = this.db
      .selectFrom("resources")
      .where(byRkey ? sql<string>`${sql.ref("resource_type")} || ''` : sql.ref("resource_type"), "=", resourceType)
      .where(selective ? sql<number>`+${sql.ref("deleted")}` : sql.ref("deleted"), "=", 0);
    for (const c of request.criteria) {
      base = base.where((eb) => this.criterion(eb, resourceType, c));
    }
    const byId = request.sort === "id" || request.sort === "-id";
    const dir = request.sort.startsWith("-") ? "desc" : "asc";
    const column = byId ? "id" : "last_updated";
    let page = base;
    const after = request.after;
    if (after) {
      const op = dir === "asc" ? ">" : "<";
      page = byId
        ? page.where("id", op, after.id)
        : page.where((eb) =>
            eb.or([
              eb("last_updated", op, instantMs(after.key)),
              eb.and([eb("last_updated", "=", instantMs(after.key)), eb("id", op, after.id)]),
            ]),
          );
    }
    // An expression (not the bare column) so the planner does not pick the sort order's index over the criteria.
    const sortKey = !selective
      ? sql.ref(column)
      : byId
        ? sql<string>`${sql.ref(column)} || ''`
        : sql<number>`${sql.ref(column)} + 0`;
    let rows = page.orderBy(sortKey, dir);
    if (!byId) rows = rows.orderBy("id", dir);
    rows = rows.limit(request.count + 1);
    if (request.offset) rows = rows.offset(request.offset);
    const [countRows, versions] = await Promise.all([
      request.withoutTotal
        ? Promise.resolve([{ n: 0 }])
        : request.totalUpTo !== undefined
          ? this.all<{ n: number | string }>(
              this.db
                .selectFrom(base.select(sql.lit(1).as("one")).limit(request.totalUpTo).as("bounded"))
                .select((eb) => eb.fn.countAll().as("n")),
            )
          : this.all<{ n: number | string }>(base.select((eb) => eb.fn.countAll().as("n"))),
      request.count === 0 ? Promise.resolve([] as StoredVersion[]) : this.currentVersions(rows),
    ]);
    return {
      total: Number(countRows[0]?.n ?? 0),
      versions: versions.slice(0, request.count),
      more: versions.length > request.count,
    };
  }

  async findReferencing(
    resourceType: string,
    param: string,
    targets: readonly string[],
  ): Promise<Map<string, StoredVersion[]>> {
    // Each target's stored id (its bytes as hex) back to the target as given, grouped by target type (one code each).
    const byType = new Map<string, Map<string, { target: string; id: Uint8Array }>>();
    for (const target of new Set(targets)) {
      const split = splitTarget(target);
      if (!split) continue;
      const ids = byType.get(split.type) ?? new Map<string, { target: string; id: Uint8Array }>();
      ids.set(hexOf(split.id), { target, id: split.id });
      byType.set(split.type, ids);
    }
    const out = new Map<string, StoredVersion[]>();
    // Four parameters name the code and keep current rows; the rest are ids.
    const perQuery = Math.max(1, Math.min(500, this.exec.maxParameters - 4));
    for (const [type, ids] of byType) {
      for (const part of chunk([...ids.values()], perQuery)) {
        // The index rows by their primary key (code, target), each joined to its current row by rkey; compiled once
        // per number of targets (slots: type, parameter, target type, then the ids).
        const template = this.statements.get(`referencing:${part.length}`, (slot) =>
          this.db
            .selectFrom("search_references as s")
            .innerJoin("resources", "resources.rkey", "s.rkey")
            .selectAll("resources")
            .select(CONTENT)
            .select("s.target as ref_target")
            .where(
              "s.code",
              "in",
              this.db
                .selectFrom("search_codes")
                .select("code")
                .where("resource_type", "=", slot(0))
                .where("param", "=", slot(1))
                .where("system", "=", slot(2)),
            )
            .where(
              "s.target",
              "in",
              part.map((_, i) => slot(3 + i) as unknown as Uint8Array),
            )
            .where(sql<number>`+${sql.ref("resources.deleted")}`, "=", 0)
            .orderBy("resources.id"),
        );
        const rows = await this.exec.all<ResourceRow & { ref_target: unknown }>(
          template([resourceType, param, type, ...part.map((p) => p.id)]),
        );
        for (const row of rows) {
          const target = ids.get(hexOf(asBytes(row.ref_target)))?.target;
          if (target === undefined) continue;
          const list = out.get(target) ?? [];
          // One row per (code, target, resource) on SQLite; a PostgreSQL heap is not keyed, so repeats are dropped.
          if (list.at(-1)?.id === row.id) continue;
          list.push(toVersion(row));
          out.set(target, list);
        }
      }
    }
    return out;
  }

  /** The stored versions of the `resources` rows a query selects (the one place search reads content). */
  // biome-ignore lint/suspicious/noExplicitAny: any query over `resources`, whatever its where clauses.
  private async currentVersions(query: SelectQueryBuilder<Database, "resources", any>): Promise<StoredVersion[]> {
    return (await this.all<ResourceRow>(withContent(query))).map(toVersion);
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's expression builder type is generic over the query shape.
  private criterion(eb: any, resourceType: string, c: SearchCriterion): Expression<SqlBool> {
    // Index rows name their parameter by code (search_codes) and their resource by rkey.
    const codes = (param: string, systems?: readonly string[]) => {
      let q = this.db
        .selectFrom("search_codes")
        .select("code")
        .where("resource_type", "=", resourceType)
        .where("param", "=", param);
      if (systems) q = q.where("system", "in", systems);
      return q;
    };
    // Every index table has code and rkey; the casts let one helper start each subquery.
    // biome-ignore lint/suspicious/noExplicitAny: the subquery's type differs per table.
    const owners = (table: IndexTable, param: string): any =>
      this.db
        .selectFrom(table as "search_tokens")
        .select("rkey")
        .where("code", "in", codes(param));
    switch (c.kind) {
      case "id":
        return c.values.length === 0 ? sql<SqlBool>`1 = 0` : eb("id", "in", c.values);
      case "token":
        return eb(
          "rkey",
          c.not ? "not in" : "in",
          owners("search_tokens", c.param)
            // biome-ignore lint/suspicious/noExplicitAny: see above.
            .where((t: any) =>
              t.or(
                c.values.map((v) =>
                  t.and([
                    ...(v.value === undefined ? [] : [t("value", "=", v.value)]),
                    ...(v.system === undefined ? [] : [t("code", "in", codes(c.param, [v.system]))]),
                  ]),
                ),
              ),
            ),
        );
      case "reference": {
        // Targets grouped by type, each group `code IN (its code) AND target IN (its ids)`: the planner seeks the
        // (code, target) index once per target. ORing one (target, code) pair per target instead, under the
        // parameter's code, made SQLite scan every reference of the parameter: a cost growing with the population.
        const byType = new Map<string, Uint8Array[]>();
        for (const t of c.targets) {
          const x = splitTarget(t);
          if (!x) continue;
          const ids = byType.get(x.type);
          if (ids) ids.push(x.id);
          else byType.set(x.type, [x.id]);
        }
        if (byType.size === 0) return sql<SqlBool>`1 = 0`;
        return eb(
          "rkey",
          "in",
          this.db
            .selectFrom("search_references")
            .select("rkey")
            .where((t) =>
              t.or(
                [...byType].map(([type, ids]) =>
                  t.and([t("code", "in", codes(c.param, [type])), t("target", "in", ids)]),
                ),
              ),
            ),
        );
      }
      case "string":
        return eb(
          "rkey",
          "in",
          // biome-ignore lint/suspicious/noExplicitAny: see above.
          owners("search_strings", c.param).where((t: any) => t.or(c.values.map((v) => stringMatch(t, c.match, v)))),
        );
      case "date":
        if (c.param === "_lastUpdated") return eb.or(c.values.map((v) => instantMatch(eb, v)));
        return eb(
          "rkey",
          "in",
          // biome-ignore lint/suspicious/noExplicitAny: see above.
          owners("search_dates", c.param).where((t: any) => t.or(c.values.map((v) => rangeMatch(t, v)))),
        );
      case "missing": {
        const types = c.targetTypes;
        const rows =
          c.index === "reference" && types && types.length > 0
            ? this.db.selectFrom("search_references").select("rkey").where("code", "in", codes(c.param, types))
            : owners(INDEX_TABLES[c.index], c.param);
        return eb("rkey", c.missing ? "not in" : "in", rows);
      }
      case "lastUpdated": {
        const op = { eq: "=", gt: ">", ge: ">=", lt: "<", le: "<=" }[c.comparator];
        return eb("last_updated", op, instantMs(c.value));
      }
    }
  }

  async commit(changes: ChangeSet): Promise<void> {
    const now = changes.log?.length || changes.outbox?.length ? this.clock().toISOString() : "";
    const statements: SqlStatement[] = [];
    // Rows per multi-row statement: within the driver's bound-parameter limit (D1: 100), and at most 200.
    const rowsPerInsert = (columns: number) =>
      Math.max(1, Math.min(200, Math.floor(this.exec.maxParameters / columns)));

    const writes = changes.resources ?? [];
    const rows: ResourceRow[] = writes.map((w) => ({
      resource_type: w.resourceType,
      id: w.id,
      version_id: w.versionId,
      last_updated: instantMs(w.lastUpdated),
      deleted: w.resource ? 0 : 1,
      content: w.resource ? encodeBody(w.json ?? JSON.stringify(w.resource)) : null,
    }));
    // The current row and the index follow the newest version of each resource in the change set (one
    // resource may be written twice in a batch; PostgreSQL refuses to upsert one row twice in a statement).
    const newest = new Map<string, number>();
    writes.forEach((w, i) => {
      const key = `${w.resourceType}/${w.id}`;
      const seen = newest.get(key);
      if (seen === undefined || (writes[seen] as ResourceWrite).versionId < w.versionId) newest.set(key, i);
    });
    const latest = [...newest.values()].sort((a, b) => a - b);
    const current = latest.map((i) => rows[i] as CurrentRow); // currentArgs reads the pointer columns only
    for (const part of chunk(current, rowsPerInsert(5))) {
      const upsert = this.statements.get(`current:${part.length}`, (slot) =>
        this.db
          .insertInto("resources")
          .values(part.map((_, r) => currentSlots(slot, r)))
          .onConflict((oc) =>
            oc.columns(["resource_type", "id"]).doUpdateSet((eb) => ({
              version_id: eb.ref("excluded.version_id"),
              last_updated: eb.ref("excluded.last_updated"),
              deleted: eb.ref("excluded.deleted"),
            })),
          ),
      );
      statements.push(upsert(part.flatMap(currentArgs)));
    }
    // Every version goes to history, after the current row, whose rkey it takes (a VALUES list joined to
    // `resources`, as for index rows); the history primary key is the optimistic lock (a version is written once).
    for (const part of chunk(rows, rowsPerInsert(6))) {
      const insert = this.statements.get(`versions:${part.length}`, (slot) => {
        const values = this.valuesList(slot, part.length, ["text", "text", "integer", "bigint", "integer", "bytea"]);
        const query = sql`insert into resource_versions (rkey, version_id, resource_type, last_updated, deleted, content) select r.rkey, v.column3, v.column1, v.column4, v.column5, v.column6 from ${values} join resources r on r.resource_type = v.column1 and r.id = v.column2`;
        return { compile: () => query.compile(this.db) };
      });
      statements.push(insert(part.flatMap(versionArgs)));
    }
    const indexed = latest.map((i) => {
      const w = writes[i] as ResourceWrite;
      return w.resource ? w : { ...w, ...NO_INDEX };
    });
    const prints = indexed.map(printIndex);
    statements.push(
      ...(await this.indexStatements(indexed, prints, (w) =>
        // A first version has no index rows (its history row would conflict otherwise); a version after one this
        // store wrote has the rows it wrote then; otherwise what the index holds is not known here.
        w.versionId === 1
          ? EMPTY_PRINTS
          : w.versionId === undefined
            ? undefined
            : this.prints.get(w.resourceType, w.id, w.versionId - 1),
      )),
    );

    const heads = new Map<string, { seq: number; hash: string }>();
    for (const entry of changes.log ?? []) {
      let head = heads.get(entry.stream);
      if (!head) head = await this.logHead(entry.stream);
      if (entry.expectSeq !== undefined && head.seq !== entry.expectSeq) {
        throw new StoreConflictError("The log stream moved on since it was read");
      }
      const seq = head.seq + 1;
      const hash = entryHash({
        stream: entry.stream,
        seq,
        recorded: now,
        payload: entry.payload,
        prevHash: head.hash,
      });
      statements.push(
        this.db
          .insertInto("log_entries")
          .values({
            stream: entry.stream,
            seq,
            recorded: now,
            payload: JSON.stringify(entry.payload),
            prev_hash: head.hash,
            hash,
          })
          .compile(),
      );
      heads.set(entry.stream, { seq, hash });
    }

    for (const m of changes.outbox ?? []) {
      statements.push(
        this.db
          .insertInto("outbox")
          .values({
            id: m.id,
            topic: m.topic,
            payload: JSON.stringify(m.payload),
            created_at: now,
            available_at: m.availableAt ?? now,
            attempts: 0,
            status: "pending",
            lease_until: null,
            last_error: null,
          })
          // An id is an idempotency key: a message queued again (the same event content) is kept once, as it was.
          .onConflict((oc) => oc.column("id").doNothing())
          .compile(),
      );
    }
    try {
      if (statements.length > 0) await this.exec.batch(statements);
    } catch (err) {
      for (const w of indexed) this.prints.delete(w.resourceType, w.id);
      throw err;
    }
    indexed.forEach((w, k) => {
      this.prints.set(w.resourceType, w.id, w.versionId, prints[k] as IndexPrints);
    });
  }

  /**
   * Statements that replace the index rows of each resource in `entries` (deletes, then multi-row inserts). For an
   * entry whose previous rows `before` knows (each kind's print, `prints[k]` being the entry's own), a kind
   * whose rows did not change is left alone, and a kind that had no rows needs no delete; otherwise every kind is
   * deleted and inserted. Interns the rows' codes first (reads and, for a key never seen, an insert, outside the
   * batch the statements go into). Each row finds its resource's rkey by a join on `resources`, so the batch
   * needs no reads between its statements (D1).
   */
  private async indexStatements(
    entries: (IndexWrite & { versionId?: number })[],
    prints?: readonly IndexPrints[],
    before: (e: IndexWrite & { versionId?: number }) => IndexPrints | undefined = () => undefined,
  ): Promise<SqlStatement[]> {
    const statements: SqlStatement[] = [];
    const rowsPerInsert = (columns: number) =>
      Math.max(1, Math.min(200, Math.floor(this.exec.maxParameters / columns)));
    // Per kind (INDEX_KINDS order): the entries whose rows to delete, and those whose rows to insert.
    const deleting: (IndexWrite & { versionId?: number })[][] = [[], [], [], []];
    const inserting: (IndexWrite & { versionId?: number })[][] = [[], [], [], []];
    entries.forEach((e, i) => {
      const was = before(e);
      const now = prints?.[i];
      for (let k = 0; k < INDEX_KINDS.length; k++) {
        if (was === undefined || now === undefined) {
          (deleting[k] as IndexWrite[]).push(e);
          (inserting[k] as IndexWrite[]).push(e);
        } else if (!samePrint(was, now, k)) {
          if ((was[k] as readonly unknown[]).length > 0) (deleting[k] as IndexWrite[]).push(e);
          (inserting[k] as IndexWrite[]).push(e);
        }
      }
    });
    INDEX_KINDS.forEach((kind, k) => {
      for (const [type, ids] of idsByType(deleting[k] as IndexWrite[])) {
        for (const part of chunk(ids, rowsPerInsert(1) - 1)) {
          statements.push(this.deleteOwned(INDEX_TABLES[kind], type, part));
        }
      }
    });
    // PostgreSQL text cannot hold U+0000, which the store may be given (it stores bodies as bytes): index
    // without it. Validation refuses it on every service write, so rows are copied only in that rare case.
    const clean = <T extends object>(r: T): T => {
      for (const k in r) {
        const v = r[k];
        if (typeof v === "string" && v.includes("\u0000")) {
          return Object.fromEntries(
            Object.entries(r).map(([k, x]) => [k, typeof x === "string" ? x.replaceAll("\u0000", "") : x]),
          ) as T;
        }
      }
      return r;
    };
    // Each kind's rows as [resource type, id, code key, values…] (values in the table's column order after code).
    type Row = { type: string; id: string; key: CodeKey; name: string; values: unknown[] };
    const rowsOf = <T extends object>(
      from: IndexWrite[],
      pick: (e: IndexWrite) => T[] | undefined,
      shape: (r: T) => [string, unknown[]] | undefined,
    ) => {
      const rows: Row[] = [];
      for (const e of from) {
        for (const raw of pick(e) ?? []) {
          const s = shape(clean(raw));
          if (!s) continue;
          const rawParam = (raw as { param: string }).param;
          const key = {
            resourceType: e.resourceType,
            param: rawParam.includes("\u0000") ? rawParam.replaceAll("\u0000", "") : rawParam,
            system: s[0],
          };
          rows.push({ type: e.resourceType, id: e.id, key, name: codeKeyName(key), values: s[1] });
        }
      }
      return rows;
    };
    const kinds = [
      [
        "search_tokens",
        ["value"],
        rowsOf(
          inserting[0] as IndexWrite[],
          (e) => e.tokens,
          (r) => [r.system, [r.value]],
        ),
      ],
      [
        "search_references",
        ["target"],
        rowsOf(
          inserting[1] as IndexWrite[],
          (e) => e.references,
          (r) => {
            const t = splitTarget(r.target);
            return t ? [t.type, [t.id]] : undefined;
          },
        ),
      ],
      [
        "search_strings",
        ["value", "exact"],
        rowsOf(
          inserting[2] as IndexWrite[],
          (e) => e.strings,
          (r) => ["", [r.value, r.exact]],
        ),
      ],
      [
        "search_dates",
        ["low", "high"],
        rowsOf(
          inserting[3] as IndexWrite[],
          (e) => e.dates,
          (r) => ["", [instantMs(r.low), instantMs(r.high)]],
        ),
      ],
    ] as const;
    if (!kinds.every(([, , rows]) => rows.every((r) => this.codes.has(r.name)))) {
      await this.codes.resolve(kinds.flatMap(([, , rows]) => rows.map((r) => r.key)));
    }
    for (const [table, columns, rows] of kinds) {
      // Bound parameters per row: type and id (for the rkey join), code, then the values.
      for (const part of chunk(rows, rowsPerInsert(3 + columns.length))) {
        statements.push(this.insertIndexRows(table, columns, part));
      }
    }
    return statements;
  }

  async searchIndexVersion(): Promise<number> {
    const rows = await this.all<{ version: number | string }>(
      this.db.selectFrom("search_index_state").select("version").where("name", "=", "search"),
    );
    return Number(rows[0]?.version ?? 1);
  }

  async scanCurrent(after: { resourceType: string; id: string } | undefined, limit: number): Promise<StoredVersion[]> {
    let q = this.db.selectFrom("resources").where("deleted", "=", 0);
    if (after) {
      // A row value, which SQLite and PostgreSQL answer as a range of the (type, id) key; the equivalent OR of
      // two comparisons made SQLite scan the key from its start, so each page cost more the further it was.
      q = q.where((eb) => eb(eb.refTuple("resource_type", "id"), ">", eb.tuple(after.resourceType, after.id)));
    }
    return this.currentVersions(q.orderBy("resource_type").orderBy("id").limit(limit));
  }

  async replaceIndex(entries: IndexWrite[], version?: number): Promise<void> {
    // Rows rebuilt (perhaps for a new parameter table): what this store wrote before no longer says what is held.
    this.prints.clear();
    const statements = await this.indexStatements(entries);
    if (version !== undefined) {
      statements.push(
        this.db.deleteFrom("search_index_state").where("name", "=", "search").compile(),
        this.db.insertInto("search_index_state").values({ name: "search", version }).compile(),
      );
    }
    if (statements.length > 0) await this.exec.batch(statements);
  }

  /**
   * A multi-row INSERT of index rows into `table`: (code, `columns`) from a VALUES list joined to `resources`
   * for the rkey of each row's type and id, compiled once per table and size. One join rather than a
   * subquery per row: PostgreSQL plans each statement, and 200 subqueries cost more to plan than to run.
   * A row the table already holds is skipped.
   */
  private insertIndexRows(
    table: IndexTable,
    columns: readonly string[],
    rows: readonly { type: string; id: string; name: string; values: readonly unknown[] }[],
  ): SqlStatement {
    const types = ["text", "text", "integer", ...columns.map((c) => PG_INDEX_TYPES[c] ?? "text")];
    const template = this.statements.get(`insert:${table}:${rows.length}`, (slot) => {
      const values = this.valuesList(slot, rows.length, types);
      const picked = columns.map((_, k) => sql.ref(`v.column${k + 4}`));
      const query = sql`insert into ${sql.table(table)} (code, ${sql.join(columns.map((c) => sql.ref(c)))}, rkey) select v.column3, ${sql.join(picked)}, r.rkey from ${values} join resources r on r.resource_type = v.column1 and r.id = v.column2 where true on conflict do nothing`;
      return { compile: () => query.compile(this.db) };
    });
    const args: unknown[] = [];
    for (const row of rows) args.push(row.type, row.id, this.codes.codeNamed(row.name), ...row.values);
    return template(args);
  }

  /**
   * `(values (…), …) as v` with `count` rows of `types.length` slots each (row r's are slots r*n … r*n+n-1),
   * its columns named column1, column2, … (as SQLite and PostgreSQL both name them). PostgreSQL types the
   * columns from the first row and an untyped parameter as text, so there each slot carries its type.
   */
  private valuesList(slot: (i: number) => string, count: number, types: readonly string[]) {
    const pg = this.exec.dialect === "postgres";
    const n = types.length;
    const rows = Array.from(
      { length: count },
      (_, r) =>
        sql`(${sql.join(
          types.map((type, k) => (pg ? sql`${slot(r * n + k)}::${sql.raw(type)}` : sql`${slot(r * n + k)}`)),
          sql`, `,
        )})`,
    );
    return sql`(values ${sql.join(rows)}) as v`;
  }

  /** DELETE the index rows of `table` that belong to resources `ids` of `resourceType`, compiled once per size. */
  private deleteOwned(table: IndexTable, resourceType: string, ids: readonly string[]) {
    const template = this.statements.get(`delete:${table}:${ids.length}`, (slot) =>
      this.db.deleteFrom(table as "search_tokens").where(
        "rkey",
        "in",
        this.db
          .selectFrom("resources")
          .select("rkey")
          .where("resource_type", "=", slot(0))
          .where(
            "id",
            "in",
            ids.map((_, i) => slot(i + 1)),
          ),
      ),
    );
    return template([resourceType, ...ids]);
  }

  private async logHead(stream: string): Promise<{ seq: number; hash: string }> {
    const rows = await this.all<{ seq: number; hash: string }>(
      this.db
        .selectFrom("log_entries")
        .select(["seq", "hash"])
        .where("stream", "=", stream)
        .orderBy("seq", "desc")
        .limit(1),
    );
    return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : { seq: 0, hash: GENESIS_HASH };
  }

  async readLog(stream: string, afterSeq: number, limit: number): Promise<LogEntry[]> {
    const rows = await this.all<Database["log_entries"]>(
      this.db
        .selectFrom("log_entries")
        .selectAll()
        .where("stream", "=", stream)
        .where("seq", ">", afterSeq)
        .orderBy("seq", "asc")
        .limit(limit),
    );
    return rows.map((r) => ({
      stream: r.stream,
      seq: Number(r.seq),
      recorded: r.recorded,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  async claimOutbox(now: string, leaseUntil: string, limit: number): Promise<OutboxRecord[]> {
    const due = (eb: ExpressionBuilder<Database, "outbox">) =>
      eb.or([
        eb.and([eb("status", "=", "pending"), eb("available_at", "<=", now)]),
        eb.and([eb("status", "=", "leased"), eb("lease_until", "<", now)]),
      ]);
    const candidates = await this.all<{ id: string }>(
      this.db.selectFrom("outbox").select("id").where(due).orderBy("available_at").orderBy("id").limit(limit),
    );
    const claimed: OutboxRecord[] = [];
    for (const { id } of candidates) {
      // A guarded update: only one instance can move a due message to leased.
      const changed = await this.exec.run(
        this.db
          .updateTable("outbox")
          .set((eb) => ({ status: "leased", lease_until: leaseUntil, attempts: eb("attempts", "+", 1) }))
          .where("id", "=", id)
          .where(due)
          .compile(),
      );
      if (changed === 1) {
        const rec = await this.getOutbox(id);
        if (rec) claimed.push(rec);
      }
    }
    return claimed;
  }

  async markDelivered(id: string): Promise<void> {
    await this.exec.run(
      this.db.updateTable("outbox").set({ status: "delivered", lease_until: null }).where("id", "=", id).compile(),
    );
  }

  async markFailed(id: string, error: string, retryAt?: string): Promise<void> {
    await this.exec.run(
      this.db
        .updateTable("outbox")
        .set(
          retryAt
            ? { status: "pending", available_at: retryAt, lease_until: null, last_error: error }
            : { status: "dead", lease_until: null, last_error: error },
        )
        .where("id", "=", id)
        .compile(),
    );
  }

  async getOutbox(id: string): Promise<OutboxRecord | undefined> {
    const rows = await this.all<Database["outbox"]>(this.db.selectFrom("outbox").selectAll().where("id", "=", id));
    const r = rows[0];
    if (!r) return undefined;
    const rec: OutboxRecord = {
      id: r.id,
      topic: r.topic,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      createdAt: r.created_at,
      availableAt: r.available_at,
      attempts: Number(r.attempts),
      status: r.status as OutboxRecord["status"],
    };
    if (r.last_error !== null) rec.lastError = r.last_error;
    return rec;
  }

  async putFile(key: string, file: StoredFile): Promise<void> {
    const statements: SqlStatement[] = [this.db.deleteFrom("stored_files").where("file_key", "=", key).compile()];
    const parts = Math.max(1, Math.ceil(file.bytes.length / FILE_PART_BYTES));
    for (let part = 0; part < parts; part++) {
      const bytes = file.bytes.subarray(part * FILE_PART_BYTES, (part + 1) * FILE_PART_BYTES);
      statements.push(
        this.db.insertInto("stored_files").values({ file_key: key, part, media_type: file.mediaType, bytes }).compile(),
      );
    }
    await this.exec.batch(statements);
  }

  async readFile(key: string): Promise<StoredFile | undefined> {
    const rows = await this.all<Database["stored_files"]>(
      this.db.selectFrom("stored_files").selectAll().where("file_key", "=", key).orderBy("part", "asc"),
    );
    const first = rows[0];
    if (!first) return undefined;
    const parts = rows.map((r) => asBytes(r.bytes));
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return { mediaType: first.media_type, bytes };
  }

  async deleteFiles(keys: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const key of keys) {
      const rows = await this.all<{ n: number }>(
        this.db
          .selectFrom("stored_files")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("file_key", "=", key)
          .where("part", "=", 0),
      );
      if (Number(rows[0]?.n ?? 0) === 0) continue;
      await this.exec.run(this.db.deleteFrom("stored_files").where("file_key", "=", key).compile());
      deleted++;
    }
    return deleted;
  }

  close(): Promise<void> {
    return this.exec.close();
  }
}

/** The largest part of a stored file (migration 0008): well inside D1's 2 MB row limit. */
const FILE_PART_BYTES = 512 * 1024;
