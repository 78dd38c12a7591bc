/**
 * FHIR interactions over the Store (http://hl7.org/fhir/R4/http.html): create, read, vread,
 * update with optimistic locking, delete, history and search. HTTP-free, so routes,
 * transactions and later ingest share one implementation.
 */
import type { ResourceWrite, SearchPage, Store, StoredVersion } from "../store/port.js";
import { StoreConflictError } from "../store/port.js";
import { assertConforms } from "./conformance.js";
import { conflict, gone, notFound, preconditionFailed } from "./errors.js";
import { assertSupportedType, assertValidId, type ResourceJson } from "./resource-body.js";
import { indexResource } from "./search-index.js";
import type { PagingLimits } from "./search-query.js";
import { parseSearch } from "./search-query.js";

/** The parts of the environment the service needs. */
export interface ResourceServiceDeps {
  store: Store;
  clock: () => Date;
  newId: () => string;
  paging: PagingLimits;
}

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
  if (!resource) return { resourceType, id, versionId, lastUpdated, tokens: [], references: [] };
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
  constructor(readonly deps: ResourceServiceDeps) {}

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
    return v;
  }

  /** A specific version. */
  async vread(type: string, id: string, versionId: string): Promise<StoredVersion> {
    assertSupportedType(type);
    assertValidId(id);
    if (!/^\d+$/.test(versionId)) throw notFound(`Version '${versionId.slice(0, 20)}' is not known`);
    const v = await this.deps.store.vread(type, id, Number(versionId));
    if (!v) throw notFound(`${type}/${id}/_history/${versionId} is not known`);
    if (v.deleted) throw gone(`${type}/${id} version ${versionId} is a deletion`);
    return v;
  }

  /** Creates a resource with a server-assigned id; 422 if it breaks R4 or a profile it claims. */
  async create(type: string, resource: ResourceJson): Promise<StoredVersion> {
    assertSupportedType(type);
    assertConforms(resource);
    const write = prepareWrite(type, this.deps.newId(), 1, this.now(), resource);
    write.json = JSON.stringify(write.resource); // stored and sent back as this same text
    await this.commitOrConflict([write]);
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
      const current = await this.deps.store.read(type, id);
      const currentVersion = current?.versionId ?? 0;
      if (ifMatch !== undefined && ifMatch !== currentVersion) {
        throw preconditionFailed(`Version ${ifMatch} is not the current version of ${type}/${id}`);
      }
      const write = prepareWrite(type, id, currentVersion + 1, this.now(), resource);
      write.json = JSON.stringify(write.resource);
      try {
        await this.deps.store.commit({ resources: [write] });
        return { version: this.written(write), created: !current || current.deleted };
      } catch (err) {
        if (!(err instanceof StoreConflictError)) throw err;
        if (ifMatch !== undefined) throw preconditionFailed(`${type}/${id} changed while this update was in flight`);
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

  /** Searches one type; `params` are the query parameters in order. */
  async search(type: string, params: [string, string][], strict = false) {
    assertSupportedType(type);
    const parsed = parseSearch(type, params, this.deps.paging, strict);
    return { ...parsed, page: await this.deps.store.search(parsed.request) };
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
