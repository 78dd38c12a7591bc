/** Builds searchset, history and transaction-response Bundles with absolute links (http://hl7.org/fhir/R4/bundle.html). */
import type { Bundle, BundleEntry, BundleLink } from "fhir/r4";
import type { SearchPage, StoredVersion } from "../store/port.js";
import type { FhirIssue } from "./errors.js";
import { operationOutcome } from "./operation-outcome.js";
import type { EntryOutcome } from "./transaction.js";

/** The weak ETag for a version. */
export const etagOf = (v: StoredVersion) => `W/"${v.versionId}"`;

/** `Type/id/_history/n` for a version. */
export const versionPath = (v: StoredVersion) => `${v.resourceType}/${v.id}/_history/${v.versionId}`;

function pageLinks(selfUrl: URL, total: number, count: number, offset: number): BundleLink[] {
  const at = (o: number) => {
    const u = new URL(selfUrl);
    u.searchParams.set("_count", String(count));
    u.searchParams.set("_offset", String(o));
    return u.toString();
  };
  const links: BundleLink[] = [{ relation: "self", url: at(offset) }];
  if (count > 0) {
    links.push({ relation: "first", url: at(0) });
    if (offset > 0) links.push({ relation: "previous", url: at(Math.max(0, offset - count)) });
    if (offset + count < total) links.push({ relation: "next", url: at(offset + count) });
    links.push({ relation: "last", url: at(Math.max(0, Math.floor((total - 1) / count) * count)) });
  }
  return links;
}

/** Everything a searchset Bundle shows. */
export interface SearchsetParts {
  type: string;
  /** The search parameters that took effect, which the self and next links repeat. */
  used: [string, string][];
  page: SearchPage;
  count: number;
  /** The `_cursor` this page was asked with, and the one the next page starts from. */
  cursor?: string;
  nextCursor?: string;
  /** Resources added by `_include` / `_revinclude`. */
  included: StoredVersion[];
  /** Warnings about parameters left out; they become an OperationOutcome entry. */
  ignored: FhirIssue[];
  elements?: string[];
  summary?: "count" | "data";
}

const SUBSETTED = { system: "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", code: "SUBSETTED" };

/** The resource as `_elements` / `_summary=data` shape it, marked SUBSETTED when anything was left out. */
function shaped(resource: Record<string, unknown>, parts: SearchsetParts): Record<string, unknown> {
  const keep = parts.elements ? new Set(["resourceType", "id", "meta", ...parts.elements]) : undefined;
  const out: Record<string, unknown> = {};
  let cut = false;
  for (const [k, v] of Object.entries(resource)) {
    if ((keep && !keep.has(k)) || (parts.summary === "data" && k === "text")) cut = true;
    else out[k] = v;
  }
  if (!cut) return resource;
  const meta = (out.meta as { tag?: unknown[] } | undefined) ?? {};
  out.meta = { ...meta, tag: [...(Array.isArray(meta.tag) ? meta.tag : []), SUBSETTED] };
  return out;
}

/**
 * A searchset Bundle (http://hl7.org/fhir/R4/search.html#return): matches, then included resources
 * (search.mode include), then an OperationOutcome about ignored parameters (search.mode outcome). No
 * `entry` when there is nothing to list. Links are absolute; `next` carries an opaque keyset cursor.
 */
export function searchsetBundle(base: string, parts: SearchsetParts): Bundle {
  const url = (cursor?: string) => {
    const u = new URL(`${base}/${parts.type}`);
    for (const [k, v] of parts.used) u.searchParams.append(k, v);
    u.searchParams.set("_count", String(parts.count));
    if (cursor) u.searchParams.set("_cursor", cursor);
    return u.toString();
  };
  const link: BundleLink[] = [{ relation: "self", url: url(parts.cursor) }];
  if (parts.cursor) link.push({ relation: "first", url: url() });
  if (parts.nextCursor) link.push({ relation: "next", url: url(parts.nextCursor) });
  const entryOf = (v: StoredVersion, mode: "match" | "include", resource = v.resource): BundleEntry => ({
    fullUrl: `${base}/${v.resourceType}/${v.id}`,
    resource: resource as unknown as BundleEntry["resource"],
    search: { mode },
  });
  const entry: BundleEntry[] = [
    ...parts.page.versions.map((v) => entryOf(v, "match", v.resource && shaped(v.resource, parts))),
    ...parts.included.map((v) => entryOf(v, "include")),
  ];
  if (parts.ignored.length > 0) {
    entry.push({
      resource: operationOutcome(parts.ignored) as unknown as BundleEntry["resource"],
      search: { mode: "outcome" },
    });
  }
  return {
    resourceType: "Bundle",
    type: "searchset",
    total: parts.page.total,
    link,
    ...(entry.length > 0 ? { entry } : {}),
  };
}

/** A history Bundle for one resource, newest first; deletions appear as DELETE entries with no resource. */
export function historyBundle(
  base: string,
  type: string,
  id: string,
  page: SearchPage,
  count: number,
  offset: number,
): Bundle {
  return {
    resourceType: "Bundle",
    type: "history",
    total: page.total,
    link: pageLinks(new URL(`${base}/${type}/${id}/_history`), page.total, count, offset),
    entry: page.versions.map((v): BundleEntry => {
      const entry: BundleEntry = {
        fullUrl: `${base}/${v.resourceType}/${v.id}`,
        request: {
          method: v.deleted ? "DELETE" : v.versionId === 1 ? "POST" : "PUT",
          url: v.versionId === 1 ? type : `${type}/${id}`,
        },
        response: {
          status: v.deleted ? "204" : v.versionId === 1 ? "201" : "200",
          etag: etagOf(v),
          lastModified: v.lastUpdated,
        },
      };
      if (v.resource) entry.resource = v.resource as unknown as BundleEntry["resource"];
      return entry;
    }),
  };
}

/** The transaction-response Bundle: one entry per request entry, in order. */
export function transactionResponse(base: string, outcomes: EntryOutcome[]): Bundle {
  return {
    resourceType: "Bundle",
    type: "transaction-response",
    entry: outcomes.map((o): BundleEntry => {
      const v = o.version;
      const entry: BundleEntry = { response: { status: o.status } };
      if (o.outcome && entry.response) entry.response.outcome = o.outcome;
      if (v && entry.response) {
        entry.fullUrl = `${base}/${v.resourceType}/${v.id}`;
        entry.response.location = `${base}/${versionPath(v)}`;
        entry.response.etag = etagOf(v);
        entry.response.lastModified = v.lastUpdated;
        if (v.resource) entry.resource = v.resource as unknown as BundleEntry["resource"];
      }
      return entry;
    }),
  };
}
