/**
 * FHIR interactions over the Store (http://hl7.org/fhir/R4/http.html): create, read, vread,
 * update with optimistic locking, delete, history and search. HTTP-free, so routes,
 * transactions and later ingest share one implementation.
 */
import type { Actor } from "../auth/actor.js";
import { type OwnershipRule, ownershipRule, ownersOf, withOwner } from "../auth/ownership.js";
import type { AuditInteraction } from "../policy/audit.js";
import { bodyOf as bodyOfServed, type Enforcement, type Reader, type ReadSession } from "../policy/enforce.js";
import type { HistoryQuery, ResourceWrite, SearchPage, SearchRequest, Store, StoredVersion } from "../store/port.js";
import { StoreConflictError } from "../store/port.js";
import { assertConforms } from "./conformance.js";
import {
  conflict,
  type FhirIssue,
  forbidden,
  GatewayError,
  gone,
  methodNotAllowed,
  notFound,
  preconditionFailed,
} from "./errors.js";
import { applyJsonPatch, parseJsonPatch } from "./patch.js";
import { asResource, assertSupportedType, assertValidId, type ResourceJson } from "./resource-body.js";
import { encodeCursor } from "./search-cursor.js";
import { findIncluded } from "./search-includes.js";
import { indexResource } from "./search-index.js";
import type { PagingLimits } from "./search-query.js";
import { parseSearch } from "./search-query.js";
import { VersionBodies } from "./version-bodies.js";
import { guardWrite } from "./write-guard.js";

/** The parts of the environment the service needs. */
export interface ResourceServiceDeps {
  store: Store;
  clock: () => Date;
  newId: () => string;
  paging: PagingLimits;
  /** Who may write resources ingest owns (write-guard.ts); default: only the owner itself. */
  ownership?: OwnershipRule;
  /** The caller's organisation (set per request with `as`); without one, resources with an owner are read-only. */
  caller?: WriteCaller;
  /** Per resource type, a rule every write of that type passes after the owner check (e.g. Subscription, src/notify). */
  writeRules?: Readonly<Record<string, WriteRule>>;
  /** JSON of versions already decoded or written (version-bodies.ts); one per service, shared by `as` copies. */
  bodies?: VersionBodies;
  /** Types no REST or transaction write may create, change or delete (AuditEvent: only the audit writer, src/audit). */
  readOnlyTypes?: ReadonlySet<string>;
  /**
   * Resources, by content, that no REST or transaction write may create, change or delete (a break-glass review Task:
   * only its review route completes it, src/lookups/break-glass-review.ts): the 403's message and the element that
   * makes the resource one, or undefined for any other. Checked on the current version and on the one written.
   */
  gatewayWritten?: (resource: Record<string, unknown>) => { diagnostics: string; element: string } | undefined;
  /**
   * Per type, the writer a REST create of that type goes to instead of the store (AuditEvent: the audit chain,
   * src/audit/received.ts). The resource is checked against R4 first; updates and deletes stay under
   * {@link readOnlyTypes}.
   */
  createWriters?: Readonly<Record<string, CreateWriter>>;
  /**
   * The sharing protocol's enforcement point (src/policy/enforce.ts, docs/POLICY.md): with it, every read, vread,
   * history and search is decided for {@link reader} and redacted or left out, and a read without a reader is
   * refused. Without it (unit tests of the interactions alone) reads are not filtered.
   */
  enforcement?: Enforcement;
  /** Who reads (set per request with `as` from the verified actor). */
  reader?: Reader;
  /**
   * Resource types whose reads another gate decides and audits (AuditEvent: src/audit's role rule in front of
   * /fhir/AuditEvent). Reads naming one of these types (read, vread, instance and type history, search of the type)
   * skip the sharing protocol; system history and `_include`/`_revinclude` do not, so the protocol still hides them
   * there. Default: none.
   */
  readsDecidedElsewhere?: ReadonlySet<string>;
}

/** Who writes, as a write rule sees it: the token's organisation and organisation type. */
export interface WriteCaller {
  org: string;
  orgType?: string;
}

/**
 * A rule for the writes of one resource type: returns the resource to store (completed, e.g. owner-stamped)
 * or throws a GatewayError. `where` prefixes expressions (the type, or `Bundle.entry[n].resource`).
 */
export type WriteRule = (next: ResourceJson, caller: WriteCaller | undefined, where: string) => ResourceJson;

/** Stores a created resource of one type its own way; resolves with the stored resource (meta included). */
export type CreateWriter = (
  resource: ResourceJson,
  caller: WriteCaller | undefined,
  id: string,
  now: string,
) => Promise<Record<string, unknown>>;

/** The outcome of a write: the stored version and whether it created the resource. */
export interface WriteResult {
  version: StoredVersion;
  created: boolean;
}

/** Parses an If-Match header (`W/"3"`, `"3"` or `3`) into a version number. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!m) throw preconditionFailed('If-Match must name a version, e.g. W/"3"');
  return Number(m[1]);
}

/** Builds the write for one new version: stamps id and meta, computes index entries. */
export function prepareWrite(
  resourceType: string,
  id: string,
  versionId: number,
  lastUpdated: string,
  resource: ResourceJson | undefined,
): ResourceWrite {
  if (!resource)
    return { resourceType, id, versionId, lastUpdated, tokens: [], references: [], strings: [], dates: [] };
  const meta = {
    ...((resource.meta as Record<string, unknown> | undefined) ?? {}),
    versionId: String(versionId),
    lastUpdated,
  };
  const stored: Record<string, unknown> = { resourceType, id, meta };
  for (const [k, v] of Object.entries(resource)) if (k !== "resourceType" && k !== "id" && k !== "meta") stored[k] = v;
  return { resourceType, id, versionId, lastUpdated, resource: stored, ...indexResource(stored) };
}

/** The service behind the FHIR REST routes and transaction bundles. */
export class ResourceService {
  readonly deps: ResourceServiceDeps;
  private readonly bodies: VersionBodies;

  constructor(deps: ResourceServiceDeps) {
    this.bodies = deps.bodies ?? new VersionBodies();
    this.deps = { ...deps, bodies: this.bodies };
  }

  /**
   * This service acting for `caller` (the request's actor): writes are checked against its organisation and,
   * when `caller` is a verified Actor, reads are decided for it, with `reason` (a stated break-glass reason or
   * section 47 justification) if it gave one.
   */
  as(caller: WriteCaller | Actor, reason?: string): ResourceService {
    const actor = "purposeOfUse" in caller ? caller : undefined;
    const { reader: _reader, ...deps } = this.deps;
    return new ResourceService({
      ...deps,
      caller: { org: caller.org, ...(caller.orgType ? { orgType: caller.orgType } : {}) },
      ...(actor ? { reader: { actor, ...(reason !== undefined ? { reason } : {}) } } : {}),
    });
  }

  /**
   * Runs a read under enforcement: `work` gets the request's session (undefined when the service has no
   * enforcement), and the session's audit entry is recorded whether `work` answers or throws. No reader: 403.
   */
  private async enforced<T>(
    interaction: AuditInteraction,
    target: string,
    work: (s: ReadSession | undefined) => Promise<T>,
  ): Promise<T> {
    const { enforcement, reader } = this.deps;
    if (!enforcement) return work(undefined);
    const type = target.split("/")[0] as string;
    if (this.deps.readsDecidedElsewhere?.has(type)) return work(undefined);
    if (!reader) throw forbidden("Reads need a verified caller");
    const session = enforcement.begin(reader, interaction, target);
    let result: T;
    try {
      result = await work(session);
    } catch (err) {
      await session.finish();
      throw err;
    }
    await session.finish();
    return result;
  }

  /** Pages a walk over the store read in: at least 100, at most the page limit. */
  private get chunk(): number {
    return Math.max(100, this.deps.paging.maxCount);
  }

  /**
   * The ownership check every write goes through (write-guard.ts); returns `next` with the owner tag carried forward.
   * Under enforcement, a write by a known caller that names no owner and has none to carry is tagged with the
   * caller's organisation: the recording organisation the sharing protocol lets see its own records.
   */
  guard(current: StoredVersion | undefined, next: ResourceJson | undefined, where?: string): ResourceJson | undefined {
    const type = next?.resourceType ?? current?.resourceType;
    if (type !== undefined && this.deps.readOnlyTypes?.has(type)) {
      throw methodNotAllowed(`${type} resources are written only by the gateway itself`);
    }
    const held = (r: Record<string, unknown> | undefined) => (r ? this.deps.gatewayWritten?.(r) : undefined);
    const hold = held(next) ?? held(current && !current.deleted ? current.resource : undefined);
    if (hold) throw forbidden(hold.diagnostics, [where ?? `${type}.${hold.element}`]);
    const checked = guardWrite(this.deps.ownership ?? ownershipRule({}), this.deps.caller?.org, current, next, where);
    const org = this.deps.caller?.org;
    const guarded =
      checked && this.deps.enforcement && org && ownersOf(checked).length === 0 ? withOwner(checked, org) : checked;
    const rule = guarded && this.deps.writeRules?.[guarded.resourceType];
    return rule && guarded ? rule(guarded, this.deps.caller, where ?? guarded.resourceType) : guarded;
  }

  /**
   * The version whose owner a write to `current` must answer to: `current` itself, or, when it is a
   * deletion, the version it deleted, so a deleted owned resource cannot be re-created by another organisation.
   */
  async ownerVersion(current: StoredVersion | undefined): Promise<StoredVersion | undefined> {
    if (!current?.deleted || current.versionId <= 1) return current;
    return (await this.deps.store.vread(current.resourceType, current.id, current.versionId - 1)) ?? current;
  }

  private now(): string {
    return this.deps.clock().toISOString();
  }

  /**
   * Current version of a live resource: 404 if never written, 410 if deleted. Under enforcement: 404, the same
   * answer as for one never written, when the protocol denies the caller (so existence is not revealed); 403 when
   * it permits a level at which nothing of this record may be shown; the redacted body otherwise.
   */
  async read(type: string, id: string): Promise<StoredVersion> {
    assertSupportedType(type);
    assertValidId(id);
    return this.enforced("read", `${type}/${id}`, async (s) => {
      const v = await this.deps.store.read(type, id);
      if (!v) throw notFound(`${type}/${id} is not known`);
      return this.shownOrThrown(
        s,
        v,
        () => notFound(`${type}/${id} is not known`),
        () => gone(`${type}/${id} was deleted`),
      );
    });
  }

  /** The current version without enforcement: for writes (patch) that need the whole stored body. */
  private async readStored(type: string, id: string): Promise<StoredVersion> {
    const v = await this.deps.store.read(type, id);
    if (!v) throw notFound(`${type}/${id} is not known`);
    if (v.deleted) throw gone(`${type}/${id} was deleted`);
    return this.bodies.serve(v);
  }

  /**
   * `v` as the session lets it be shown, or the error that hides it (`hidden`) or reports its deletion (`deleted`),
   * built only when thrown (an error captures a stack: not something to pay for on every read).
   */
  private async shownOrThrown(
    s: ReadSession | undefined,
    v: StoredVersion,
    hidden: () => GatewayError,
    deleted: () => GatewayError,
  ): Promise<StoredVersion> {
    if (!s) {
      if (v.deleted) throw deleted();
      return this.bodies.serve(v);
    }
    if (v.deleted) {
      const prior = v.versionId > 1 ? await this.deps.store.vread(v.resourceType, v.id, v.versionId - 1) : undefined;
      if (await s.show(v, prior && this.bodies.serve(prior))) throw deleted();
      throw hidden();
    }
    const served = this.bodies.serve(v);
    const shown = await s.show(served);
    if (shown) return shown;
    const body = bodyOfServed(served);
    const d = body && (await s.decideRecord(body, `${v.resourceType}/${v.id}/_history/${v.versionId}`));
    if (d?.decision.effect === "permit") {
      throw forbidden(`Nothing of this ${v.resourceType} may be shown at the level the sharing protocol permits`);
    }
    throw hidden();
  }

  /** A specific version (under enforcement, decided on that version's own body, as {@link read} is). */
  async vread(type: string, id: string, versionId: string): Promise<StoredVersion> {
    assertSupportedType(type);
    assertValidId(id);
    if (!/^\d+$/.test(versionId)) throw notFound(`Version '${versionId.slice(0, 20)}' is not known`);
    return this.enforced("vread", `${type}/${id}/_history/${versionId}`, async (s) => {
      const v = await this.deps.store.vread(type, id, Number(versionId));
      const hidden = () => notFound(`${type}/${id}/_history/${versionId} is not known`);
      if (!v) throw hidden();
      return this.shownOrThrown(s, v, hidden, () => gone(`${type}/${id} version ${versionId} is a deletion`));
    });
  }

  /** Creates a resource with a server-assigned id; 422 if it breaks R4 or a profile it claims. */
  async create(type: string, resource: ResourceJson): Promise<StoredVersion> {
    assertSupportedType(type);
    assertConforms(resource);
    const writer = this.deps.createWriters?.[type];
    if (writer) {
      const stored = await writer(resource, this.deps.caller, this.deps.newId(), this.now());
      const json = JSON.stringify(stored);
      const meta = stored.meta as { lastUpdated: string };
      this.bodies.set(type, String(stored.id), 1, json);
      return {
        resourceType: type,
        id: String(stored.id),
        versionId: 1,
        lastUpdated: meta.lastUpdated,
        deleted: false,
        resource: stored,
        json,
      };
    }
    const write = prepareWrite(type, this.deps.newId(), 1, this.now(), this.guard(undefined, resource));
    const json = JSON.stringify(write.resource); // stored and sent back as this same text
    write.json = json;
    await this.commitOrConflict([write]);
    this.bodies.set(type, write.id, 1, json);
    return this.written(write);
  }

  /**
   * Updates (or creates, for a new id) a resource; 422 if it breaks R4 or a profile it claims. With `ifMatch`, the current version must be
   * that one (412 otherwise). Without, a lost race is retried.
   */
  async update(type: string, id: string, resource: ResourceJson, ifMatch?: number): Promise<WriteResult> {
    assertSupportedType(type);
    assertValidId(id);
    assertConforms(resource);
    for (let attempt = 0; ; attempt++) {
      const stored = await this.deps.store.read(type, id);
      const currentVersion = stored?.versionId ?? 0;
      if (ifMatch !== undefined && ifMatch !== currentVersion) {
        throw preconditionFailed(`Version ${ifMatch} is not the current version of ${type}/${id}`);
      }
      const current = stored && this.bodies.serve(stored);
      const guarded = this.guard(await this.ownerVersion(current), resource);
      const write = prepareWrite(type, id, currentVersion + 1, this.now(), guarded);
      const json = JSON.stringify(write.resource);
      write.json = json;
      try {
        await this.deps.store.commit({ resources: [write] });
        this.bodies.set(type, id, write.versionId, json);
        return { version: this.written(write), created: !current || current.deleted };
      } catch (err) {
        if (!(err instanceof StoreConflictError)) throw err;
        if (ifMatch !== undefined) throw preconditionFailed(`${type}/${id} changed while this update was in flight`);
        if (attempt >= 2) throw conflict(`${type}/${id} is being changed concurrently; try again`);
      }
    }
  }

  /**
   * Applies a JSON Patch (RFC 6902) to the current version and stores the result through {@link update}, so a
   * patched resource meets every check an update does. With `ifMatch`, the current version must be that one (412
   * otherwise); without, a concurrent change between read and write re-applies the patch to the newer version.
   */
  async patch(type: string, id: string, body: unknown, ifMatch?: number): Promise<StoredVersion> {
    assertSupportedType(type);
    assertValidId(id);
    const ops = parseJsonPatch(body, type);
    for (let attempt = 0; ; attempt++) {
      const current = await this.readStored(type, id);
      if (ifMatch !== undefined && ifMatch !== current.versionId) {
        throw preconditionFailed(`Version ${ifMatch} is not the current version of ${type}/${id}`);
      }
      const patched = asResource(applyJsonPatch(current.resource ?? {}, ops), type);
      try {
        return (await this.update(type, id, patched as ResourceJson, current.versionId)).version;
      } catch (err) {
        const lostRace = err instanceof GatewayError && err.status === 412;
        if (!lostRace || ifMatch !== undefined) throw err;
        if (attempt >= 2) throw conflict(`${type}/${id} is being changed concurrently; try again`);
      }
    }
  }

  /** Deletes a resource (writes a deletion version). Idempotent: deleting nothing is not an error. */
  async delete(type: string, id: string, ifMatch?: number): Promise<void> {
    assertSupportedType(type);
    assertValidId(id);
    const current = await this.deps.store.read(type, id);
    if (ifMatch !== undefined && ifMatch !== (current?.versionId ?? 0)) {
      throw preconditionFailed(`Version ${ifMatch} is not the current version of ${type}/${id}`);
    }
    if (!current || current.deleted) return;
    this.guard(current, undefined);
    await this.commitOrConflict([prepareWrite(type, id, current.versionId + 1, this.now(), undefined)]);
  }

  /**
   * Versions of a resource, newest first. Under enforcement each version is decided on its own body and redacted or
   * left out (a deletion shows when the version before it does), `total` counts only what is shown, and a resource
   * with nothing to show is 404, as one never written.
   */
  async history(type: string, id: string, count: number, offset: number): Promise<SearchPage> {
    assertSupportedType(type);
    assertValidId(id);
    return this.enforced("history-instance", `${type}/${id}`, async (s) => {
      if (!s) {
        const page = await this.deps.store.history(type, id, { count, offset });
        if (page.total === 0) throw notFound(`${type}/${id} is not known`);
        return page;
      }
      const all: StoredVersion[] = [];
      for (let at = 0; ; ) {
        const page = await this.deps.store.history(type, id, { count: this.chunk, offset: at });
        all.push(...page.versions);
        at += page.versions.length;
        if (page.versions.length === 0 || at >= page.total) break;
      }
      const visible: StoredVersion[] = [];
      for (const [i, v] of all.entries()) {
        const prior = v.deleted ? all.slice(i + 1).find((p) => !p.deleted) : undefined;
        const shown = await s.show(this.bodies.serve(v), prior && this.bodies.serve(prior));
        if (shown) visible.push(shown);
      }
      if (visible.length === 0) throw notFound(`${type}/${id} is not known`);
      return { total: visible.length, versions: visible.slice(offset, offset + count) };
    });
  }

  /**
   * Type history (`query.resourceType`) or system history: versions across resources, newest first. Under
   * enforcement each version is decided and redacted or left out, and `total` (unless `withoutTotal`) counts only
   * what the caller may see, by walking every version the query matches.
   */
  async historyAcross(query: HistoryQuery): Promise<SearchPage> {
    if (query.resourceType !== undefined) assertSupportedType(query.resourceType);
    const interaction = query.resourceType === undefined ? "history-system" : "history-type";
    return this.enforced(interaction, query.resourceType ?? "*", async (s) => {
      if (!s) return this.deps.store.historyAcross(query);
      const visibleOf = async (v: StoredVersion) => {
        const prior =
          v.deleted && v.versionId > 1 ? await this.deps.store.vread(v.resourceType, v.id, v.versionId - 1) : undefined;
        return s.show(this.bodies.serve(v), prior && this.bodies.serve(prior));
      };
      const walk = async (after: HistoryQuery["after"], limit: number, keep: StoredVersion[] | undefined) => {
        let seen = 0;
        let from = after;
        while (seen < limit) {
          const { after: _a, ...rest } = query;
          const page = await this.deps.store.historyAcross({
            ...rest,
            ...(from ? { after: from } : {}),
            count: this.chunk,
            withoutTotal: true,
          });
          for (const v of page.versions) {
            const shown = await visibleOf(v);
            if (!shown) continue;
            seen++;
            keep?.push(shown);
            if (seen >= limit) break;
          }
          const last = page.versions.at(-1);
          if (!last || page.versions.length < this.chunk) break;
          from = {
            lastUpdated: last.lastUpdated,
            resourceType: last.resourceType,
            id: last.id,
            versionId: last.versionId,
          };
        }
        return seen;
      };
      const versions: StoredVersion[] = [];
      await walk(query.after, query.count, versions);
      const total = query.withoutTotal ? 0 : await walk(undefined, Number.POSITIVE_INFINITY, undefined);
      return { total, versions };
    });
  }

  /**
   * Searches one type; `params` are the query parameters in order. Returns the page, the resources
   * `_include`/`_revinclude` add, and the cursor the next page starts from (when there is one). Under enforcement
   * each match is decided and redacted or left out, the page holds only what the caller may see, `total` (and
   * `_summary=count`) counts only that, by walking every match, and `_include`/`_revinclude` follow only the
   * references the redacted matches show, each included resource decided in turn.
   */
  async search(type: string, params: [string, string][], strict = false) {
    assertSupportedType(type);
    const parsed = parseSearch(type, params, this.deps.paging, strict, this.deps.clock());
    return this.enforced("search-type", type, async (s) => {
      const { sort } = parsed.request;
      const page = s ? await this.visibleSearch(s, parsed.request) : await this.deps.store.search(parsed.request);
      const last = page.versions[page.versions.length - 1];
      const nextCursor =
        page.more && last
          ? encodeCursor(sort, { key: sort === "id" || sort === "-id" ? last.id : last.lastUpdated, id: last.id })
          : undefined;
      const included =
        parsed.include.length + parsed.revinclude.length > 0
          ? await findIncluded(
              this.deps.store,
              page.versions,
              parsed.include,
              parsed.revinclude,
              this.deps.paging.maxCount,
              s ? (v) => s.show(this.bodies.serve(v)) : undefined,
            )
          : [];
      // An obligation to tell the caller something (consent would allow more) becomes an informational issue.
      const told = (s?.notices() ?? []).map(
        (diagnostics): FhirIssue => ({ severity: "information", code: "informational", diagnostics }),
      );
      const ignored = told.length > 0 ? [...parsed.ignored, ...told] : parsed.ignored;
      return { ...parsed, ignored, page, included, ...(nextCursor ? { nextCursor } : {}) };
    });
  }

  /** One page of what the session shows of a search's matches, `more` when another visible match follows, and the visible total. */
  private async visibleSearch(s: ReadSession, request: SearchRequest): Promise<SearchPage> {
    const { sort } = request;
    const cursorOf = (v: StoredVersion) => ({ key: sort === "id" || sort === "-id" ? v.id : v.lastUpdated, id: v.id });
    /** Walks matches from `after`, calling `each` with every visible one until it returns false. */
    const walk = async (after: SearchRequest["after"], each: (v: StoredVersion) => boolean) => {
      let from = after;
      for (;;) {
        const { after: _a, offset: _o, ...rest } = request;
        const page = await this.deps.store.search({ ...rest, count: this.chunk, ...(from ? { after: from } : {}) });
        for (const v of page.versions) {
          const shown = await s.show(this.bodies.serve(v));
          if (shown && !each(shown)) return;
        }
        const last = page.versions.at(-1);
        if (!page.more || !last) return;
        from = cursorOf(last);
      }
    };
    const versions: StoredVersion[] = [];
    let more = false;
    const collect = (v: StoredVersion) => {
      if (versions.length < request.count) versions.push(v);
      else more = true;
      return !more;
    };
    let total = 0;
    if (request.after === undefined) {
      await walk(undefined, (v) => {
        total++;
        if (!more) collect(v);
        return true;
      });
    } else {
      await walk(request.after, collect);
      await walk(undefined, () => {
        total++;
        return true;
      });
    }
    return { total, versions, more };
  }

  /** Commits writes, turning a lost race into a 409. */
  async commitOrConflict(writes: ResourceWrite[]): Promise<void> {
    try {
      await this.deps.store.commit({ resources: writes });
    } catch (err) {
      if (err instanceof StoreConflictError) throw conflict("A concurrent write changed the same resource; try again");
      throw err;
    }
  }

  /** The stored form of a write just committed. */
  written(w: ResourceWrite): StoredVersion {
    return {
      resourceType: w.resourceType,
      id: w.id,
      versionId: w.versionId,
      lastUpdated: w.lastUpdated,
      deleted: !w.resource,
      ...(w.resource ? { resource: w.resource } : {}),
      ...(w.resource && w.json !== undefined ? { json: w.json } : {}),
    };
  }
}
