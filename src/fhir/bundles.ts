/** Builds searchset, history and transaction-response Bundles with absolute links (http://hl7.org/fhir/R4/bundle.html). */
import type { Bundle, BundleEntry, BundleLink } from "fhir/r4";
import type { SearchPage, StoredVersion } from "../store/port.js";
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

/**
 * A searchset Bundle. `base` is the FHIR base URL (`https://host/fhir`); `used` are the search
 * parameters that took effect, which the self and next links repeat.
 */
export function searchsetBundle(
  base: string,
  type: string,
  used: [string, string][],
  page: SearchPage,
  count: number,
  offset: number,
): Bundle {
  const self = new URL(`${base}/${type}`);
  for (const [k, v] of used) self.searchParams.append(k, v);
  return {
    resourceType: "Bundle",
    type: "searchset",
    total: page.total,
    link: pageLinks(self, page.total, count, offset),
    entry: page.versions.map(
      (v): BundleEntry => ({
        fullUrl: `${base}/${v.resourceType}/${v.id}`,
        resource: v.resource as unknown as BundleEntry["resource"],
        search: { mode: "match" },
      }),
    ),
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
