/**
 * FHIR interactions over the Store (http://hl7.org/fhir/R4/http.html): create, read, vread,
 * update with optimistic locking, delete, history and search. HTTP-free, so routes,
 * transactions and later ingest share one implementation.
 */
import { type OwnershipRule, ownershipRule } from "../auth/ownership.js";
import type { HistoryQuery, ResourceWrite, SearchPage, Store, StoredVersion } from "../store/port.js";
import { StoreConflictError } from "../store/port.js";
import { assertConforms } from "./conformance.js";
import { conflict, GatewayError, gone, methodNotAllowed, notFound, preconditionFailed } from "./errors.js";
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

  /** This service acting for `caller` (the request's actor): writes are checked against its organisation. */
  as(caller: WriteCaller): ResourceService {
    return new ResourceService({
      ...this.deps,
      caller: { org: caller.org, ...(caller.orgType ? { orgType: caller.orgType } : {}) },
    });
  }

  /** The ownership check every write goes through (write-guard.ts); returns `next` with the owner tag carried forward. */
  guard(current: StoredVersion | undefined, next: ResourceJson | undefined, where?: string): ResourceJson | undefined {
    const type = next?.resourceType ?? current?.resourceType;
    if (type !== undefined && this.deps.readOnlyTypes?.has(type)) {
      throw methodNotAllowed(`${type} resources are written only by the gateway itself`);
    }
    const guarded = guardWrite(this.deps.ownership ?? ownershipRule({}), this.deps.caller?.org, current, next, where);
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

  /** Current version of a live resource: 404 if never written, 410 if deleted. */
  async read(type: string, id: string): Promise<StoredVersion> {
    assertSupportedType(type);
    assertValidId(id);
    const v = await this.deps.store.read(type, id);
    if (!v) throw notFound(`${type}/${id} is not known`);
    if (v.deleted) throw gone(`${type}/${id} was deleted`);
    return this.bodies.serve(v);
  }

  /** A specific version. */
  async vread(type: string, id: string, versionId: string): Promise<StoredVersion> {
    assertSupportedType(type);
    assertValidId(id);
    if (!/^\d+$/.test(versionId)) throw notFound(`Version '${versionId.slice(0, 20)}' is not known`);
    const v = await this.deps.store.vread(type, id, Number(versionId));
    if (!v) throw notFound(`${type}/${id}/_history/${versionId} is not known`);
    if (v.deleted) throw gone(`${type}/${id} version ${versionId} is a deletion`);
    return this.bodies.serve(v);
  }

  /** Creates a resource with a server-assigned id; 422 if it breaks R4 or a profile it claims. */
  async create(type: string, resource: ResourceJson): Promise<StoredVersion> {
    assertSupportedType(type);
    assertConforms(resource);
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
      const current = await this.read(type, id);
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

  /** Versions of a resource, newest first. */
  async history(type: string, id: string, count: number, offset: number): Promise<SearchPage> {
    assertSupportedType(type);
    assertValidId(id);
    const page = await this.deps.store.history(type, id, { count, offset });
    if (page.total === 0) throw notFound(`${type}/${id} is not known`);
    return page;
  }

  /** Type history (`query.resourceType`) or system history: versions across resources, newest first. */
  async historyAcross(query: HistoryQuery): Promise<SearchPage> {
    if (query.resourceType !== undefined) assertSupportedType(query.resourceType);
    return this.deps.store.historyAcross(query);
  }

  /**
   * Searches one type; `params` are the query parameters in order. Returns the page, the resources
   * `_include`/`_revinclude` add, and the cursor the next page starts from (when there is one).
   */
  async search(type: string, params: [string, string][], strict = false) {
    assertSupportedType(type);
    const parsed = parseSearch(type, params, this.deps.paging, strict, this.deps.clock());
    const page = await this.deps.store.search(parsed.request);
    const last = page.versions[page.versions.length - 1];
    const { sort } = parsed.request;
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
          )
        : [];
    return { ...parsed, page, included, ...(nextCursor ? { nextCursor } : {}) };
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
