/**
 * Transaction bundles (http://hl7.org/fhir/R4/http.html#transaction): every entry commits or none
 * does. Processing order follows the spec (DELETE, POST, PUT and PATCH, then GET); `urn:uuid` fullUrls are
 * resolved to the ids the server assigns and references to them are rewritten; a `urn:uuid` reference that
 * matches no entry is a 400 (nothing is written). A PATCH entry carries a JSON Patch as a Binary
 * (`contentType` application/json-patch+json), applied to the current version.
 */
import type { Operation } from "fast-json-patch";
import type { BundleEntry, OperationOutcome } from "fhir/r4";
import type { ResourceWrite, StoredVersion } from "../store/port.js";
import { assertConforms } from "./conformance.js";
import { badRequest, GatewayError, gone, notFound, preconditionFailed } from "./errors.js";
import { operationOutcome } from "./operation-outcome.js";
import { applyJsonPatch, jsonPatchFromBinary } from "./patch.js";
import { asResource, assertSupportedType, isValidId, type ResourceJson } from "./resource-body.js";
import { parseIfMatch, prepareWrite, type ResourceService } from "./resource-service.js";
import { elementName } from "./validation/paths.js";

/** A PATCH entry's new resource: its patch applied to the current version, references resolved, then validated. */
function patchedEntry(
  p: PlannedEntry,
  current: StoredVersion | undefined,
  fullUrls: Map<string, string>,
): ResourceJson {
  const at = `Bundle.entry[${p.index}]`;
  if (!current) throw notFound(`${at}: ${p.type}/${p.id} is not known`);
  if (current.deleted) throw gone(`${at}: ${p.type}/${p.id} was deleted`);
  let patched: ResourceJson;
  try {
    patched = asResource(applyJsonPatch(current.resource ?? {}, p.patch ?? []), p.type, `${at}.resource`);
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    throw new GatewayError(
      err.status,
      err.code,
      err.issues.map((i) => ({ ...i, diagnostics: `${at}: ${i.diagnostics}` })),
    );
  }
  const unresolved = rewriteReferences(patched, fullUrls, `${at}.resource`);
  if (unresolved.length) {
    throw badRequest("A urn:uuid reference in the patch matches no entry's fullUrl in this transaction", unresolved);
  }
  assertConforms(patched, `${at}.resource`);
  return patched;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
const ORDER: Record<Method, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3 };

interface PlannedEntry {
  index: number;
  method: Method;
  type: string;
  id?: string;
  resource?: ResourceJson;
  /** For PATCH: the JSON Patch operations, applied to the current version when the entry is processed. */
  patch?: Operation[];
  ifMatch?: number;
}

/** Outcome of one entry, rendered into the transaction-response by the HTTP layer. */
export interface EntryOutcome {
  status: string;
  version?: StoredVersion;
  /** For a GET whose read failed after the writes committed: why. */
  outcome?: OperationOutcome;
}

const where = (i: number, p: string) => [`Bundle.entry[${i}]${p}`];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The Bundle's entries, each checked to be an object with a `request` object (a 400 naming the entry otherwise). */
function entriesOf(bundle: Record<string, unknown>): BundleEntry[] {
  const entries = bundle.entry;
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw badRequest("Bundle.entry must be an array of entries", ["Bundle.entry"]);
  entries.forEach((entry: unknown, i) => {
    if (!isObject(entry)) throw badRequest("Each entry must be an object", where(i, ""));
    if (!isObject(entry.request)) throw badRequest("Each entry needs a request object", where(i, ".request"));
    if (entry.fullUrl !== undefined && typeof entry.fullUrl !== "string") {
      throw badRequest("fullUrl must be a string", where(i, ".fullUrl"));
    }
    for (const k of ["method", "url", "ifMatch", "ifNoneMatch", "ifNoneExist", "ifModifiedSince"]) {
      const v = entry.request[k];
      if (v !== undefined && typeof v !== "string")
        throw badRequest(`request.${k} must be a string`, where(i, `.request.${k}`));
    }
  });
  return entries as BundleEntry[];
}

function parseEntry(entry: BundleEntry, i: number): PlannedEntry {
  const method = entry.request?.method;
  const url = entry.request?.url;
  if (!method || !["GET", "POST", "PUT", "PATCH", "DELETE"].includes(method)) {
    throw badRequest("request.method must be GET, POST, PUT, PATCH or DELETE", where(i, ".request.method"));
  }
  if (typeof url !== "string" || url === "") throw badRequest("request.url is required", where(i, ".request.url"));
  if (entry.request?.ifNoneExist || entry.request?.ifNoneMatch || entry.request?.ifModifiedSince) {
    throw badRequest("Conditional requests in transactions are not supported", where(i, ".request"));
  }
  const [path = "", query] = url.replace(/^\/+/, "").split("?", 2);
  const [type = "", id, ...rest] = path.split("/");
  try {
    assertSupportedType(type);
  } catch {
    throw badRequest(`Resource type '${type.slice(0, 64)}' is not served by this gateway`, where(i, ".request.url"));
  }
  const m = method as Method;
  const planned: PlannedEntry = { index: i, method: m, type };
  if (rest.length > 0 || (id !== undefined && !isValidId(id))) {
    throw badRequest("request.url must be Type or Type/id", where(i, ".request.url"));
  }
  if (m === "POST") {
    if (id !== undefined || query !== undefined)
      throw badRequest("POST must name only the type", where(i, ".request.url"));
  } else if (m === "GET") {
    if (id === undefined || query !== undefined) {
      throw badRequest("GET in a transaction must read one resource as Type/id", where(i, ".request.url"));
    }
    planned.id = id;
  } else {
    if (id === undefined) {
      throw badRequest(`Conditional ${m} is not supported: name the resource as Type/id`, where(i, ".request.url"));
    }
    planned.id = id;
  }
  if (m === "POST" || m === "PUT") {
    const resource = asResource(entry.resource, type, `Bundle.entry[${i}].resource`);
    if (m === "PUT" && resource.id !== id) {
      throw badRequest("resource.id must match the id in request.url", where(i, ".resource.id"));
    }
    planned.resource = resource;
  }
  if (m === "PATCH") planned.patch = jsonPatchFromBinary(entry.resource, type, `Bundle.entry[${i}].resource`);
  try {
    const ifMatch = parseIfMatch(entry.request?.ifMatch);
    if (ifMatch !== undefined) planned.ifMatch = ifMatch;
  } catch (err) {
    if (err instanceof GatewayError) throw preconditionFailed(`Bundle.entry[${i}].request.ifMatch: ${err.message}`);
    throw err;
  }
  return planned;
}

/**
 * Rewrites every `reference` string found in `map` (fullUrl → Type/id), in place, and returns the
 * FHIRPath-style locations (from `at`) of `urn:uuid:` references that match no entry of the Bundle.
 */
function rewriteReferences(node: unknown, map: Map<string, string>, at: string, unresolved: string[] = []): string[] {
  if (Array.isArray(node)) {
    node.forEach((n, i) => {
      rewriteReferences(n, map, `${at}[${i}]`, unresolved);
    });
  } else if (node && typeof node === "object") {
    const obj = node as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) {
      if (k === "reference" && typeof v === "string") {
        const target = map.get(v);
        if (target !== undefined) obj[k] = target;
        else if (v.toLowerCase().startsWith("urn:uuid:")) unresolved.push(`${at}.reference`);
      } else rewriteReferences(v, map, `${at}.${elementName(k)}`, unresolved);
    }
  }
  return unresolved;
}

/**
 * Runs a transaction Bundle. Returns one outcome per entry, in the bundle's order.
 * Throws a GatewayError (nothing written) if any entry is invalid or any precondition fails.
 */
export async function runTransaction(svc: ResourceService, body: unknown): Promise<EntryOutcome[]> {
  if (!isObject(body) || body.type !== "transaction") {
    throw badRequest("Only Bundle.type 'transaction' is processed here", ["Bundle.type"]);
  }
  const entries = entriesOf(body);
  const planned = entries.map(parseEntry);

  // Assign ids and build the fullUrl map before any reference is rewritten.
  const fullUrls = new Map<string, string>();
  for (const p of planned) {
    if (p.method === "POST") p.id = svc.deps.newId();
    const fullUrl = entries[p.index]?.fullUrl;
    if (fullUrl && p.id && (p.method === "POST" || p.method === "PUT")) {
      if (fullUrls.has(fullUrl)) throw badRequest("fullUrl appears twice", where(p.index, ".fullUrl"));
      fullUrls.set(fullUrl, `${p.type}/${p.id}`);
    }
  }
  const targets = new Set<string>();
  for (const p of planned) {
    if (p.method === "GET") continue;
    const key = `${p.type}/${p.id}`;
    if (targets.has(key))
      throw badRequest("The same resource is changed twice in one transaction", where(p.index, ".request.url"));
    targets.add(key);
    if (p.resource) {
      p.resource = structuredClone(p.resource);
      const at = `Bundle.entry[${p.index}].resource`;
      const unresolved = rewriteReferences(p.resource, fullUrls, at);
      if (unresolved.length) {
        throw badRequest(
          "A urn:uuid reference matches no entry's fullUrl in this transaction (it would be stored unresolved)",
          unresolved,
        );
      }
      assertConforms(p.resource, `Bundle.entry[${p.index}].resource`);
    }
  }

  const now = svc.deps.clock().toISOString();
  const writes: ResourceWrite[] = [];
  const outcomes: EntryOutcome[] = new Array(planned.length);
  const byOrder = [...planned].sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index);
  for (const p of byOrder) {
    if (p.method === "GET") continue;
    const id = p.id as string;
    const current = p.method === "POST" ? undefined : await svc.deps.store.read(p.type, id);
    const currentVersion = current?.versionId ?? 0;
    if (p.ifMatch !== undefined && p.ifMatch !== currentVersion) {
      throw preconditionFailed(`Bundle.entry[${p.index}]: version ${p.ifMatch} is not the current version`);
    }
    // A patch becomes the resource it produces first, so the owner check sees what would be written.
    if (p.patch) p.resource = patchedEntry(p, current, fullUrls);
    const guarded = svc.guard(
      p.method === "DELETE" ? current : await svc.ownerVersion(current),
      p.resource,
      `Bundle.entry[${p.index}].${p.resource ? "resource" : "request.url"}`,
    );
    if (p.method === "DELETE") {
      if (current && !current.deleted) writes.push(prepareWrite(p.type, id, currentVersion + 1, now, undefined));
      outcomes[p.index] = { status: "204 No Content" };
      continue;
    }
    const w = prepareWrite(p.type, id, currentVersion + 1, now, guarded);
    writes.push(w);
    const created = !current || current.deleted;
    outcomes[p.index] = { status: created ? "201 Created" : "200 OK", version: svc.written(w) };
  }
  await svc.commitOrConflict(writes);

  for (const p of planned) {
    if (p.method !== "GET") continue;
    // The writes are committed: a failed read is reported in its entry, never as a failed transaction.
    try {
      outcomes[p.index] = { status: "200 OK", version: await svc.read(p.type, p.id as string) };
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      outcomes[p.index] = { status: String(err.status), outcome: operationOutcome(err.issues) };
    }
  }
  return outcomes;
}
