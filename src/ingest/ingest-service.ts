/**
 * Ingest: source events → mapping → validation → store. Each record commits atomically with its
 * Provenance, or is rejected with an OperationOutcome; re-sending the same record is "unchanged"
 * (deterministic ids, content comparison). In all-or-nothing mode nothing is written unless every
 * record maps and validates.
 */
import type { FhirIssue } from "../fhir/errors.js";
import { operationOutcome } from "../fhir/operation-outcome.js";
import { prepareWrite } from "../fhir/resource-service.js";
import type { MappedRecord, MappedResource, Mapping } from "../mapping/engine.js";
import type { SourceEvent } from "../mapping/sources/events.js";
import { canonicalJson } from "../store/hash-chain.js";
import type { ResourceWrite, Store } from "../store/port.js";
import { StoreConflictError } from "../store/port.js";
import type { CoverageReport, IngestReport, RecordResult } from "./report.js";

/** Validates a produced resource; returns issues (errors reject the record). */
export type ResourceValidator = (resource: Record<string, unknown>) => FhirIssue[];

/** What ingest needs. */
export interface IngestDeps {
  store: Store;
  clock: () => Date;
  validate?: ResourceValidator;
}

/** Options for one run. */
export interface IngestOptions {
  mode?: "per-record" | "all-or-nothing";
  /** Called after each record, e.g. for a progress bar. */
  onRecord?: (result: RecordResult, processed: number) => void;
}

const comparable = (r: Record<string, unknown>) => {
  const meta = (r.meta ?? {}) as Record<string, unknown>;
  return canonicalJson({ ...r, meta: { profile: meta.profile, source: meta.source } });
};

/** Runs ingest of one file's events with one mapping. */
export async function ingest(
  deps: IngestDeps,
  mapping: Mapping,
  events: AsyncIterable<SourceEvent>,
  options: IngestOptions = {},
): Promise<IngestReport> {
  const mode = options.mode ?? "per-record";
  const report: IngestReport = {
    source: mapping.spec.source,
    mapping: mapping.label,
    mode,
    counts: { records: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, resourcesWritten: 0 },
    coverage: { unmappedFields: {}, missingNeededFields: {} },
    records: [],
  };
  const needs = new Map((mapping.spec.needs ?? []).map((n) => [n.path, n.for]));
  const pending: MappedRecord[] = [];

  const finish = (result: RecordResult) => {
    report.records.push(result);
    report.counts.records++;
    report.counts[result.outcome]++;
    options.onRecord?.(result, report.counts.records);
  };

  for await (const event of events) {
    if (event.kind === "fatal") {
      report.fatal = operationOutcome([event.issue]);
      break;
    }
    if (event.kind === "broken") {
      finish({ index: event.index, label: event.label, outcome: "rejected", issues: operationOutcome(event.issues) });
      continue;
    }
    const mapped = await mapping.map(event.record);
    addCoverage(report.coverage, mapped, needs);
    if (deps.validate && mapped.resources.length > 0) {
      for (const { resource } of mapped.resources) {
        for (const i of deps.validate(resource)) {
          mapped.issues.push({
            ...i,
            diagnostics: `${resource.resourceType} produced from this record: ${i.diagnostics}`,
          });
        }
      }
    }
    if (mapped.issues.some((i) => i.severity === "error" || i.severity === "fatal")) {
      finish({
        index: mapped.index,
        label: mapped.label,
        key: mapped.key,
        outcome: "rejected",
        issues: operationOutcome(mapped.issues),
      });
      continue;
    }
    if (mode === "all-or-nothing") pending.push(mapped);
    else finish(await storeRecord(deps, mapped, report));
  }

  if (mode === "all-or-nothing") {
    if (report.counts.rejected > 0 || report.fatal) {
      for (const m of pending) {
        finish({
          index: m.index,
          label: m.label,
          key: m.key,
          outcome: "rejected",
          issues: operationOutcome([
            {
              severity: "error",
              code: "processing",
              diagnostics: "Not stored: all-or-nothing was requested and another record failed",
            },
          ]),
        });
      }
    } else {
      await storeAll(deps, pending, report, finish);
    }
    report.records.sort((a, b) => a.index - b.index);
  }
  return report;
}

function addCoverage(coverage: CoverageReport, mapped: MappedRecord, needs: Map<string, string>): void {
  for (const p of mapped.unmapped) coverage.unmappedFields[p] = (coverage.unmappedFields[p] ?? 0) + 1;
  for (const p of mapped.missing) {
    const entry = coverage.missingNeededFields[p] ?? { records: 0, for: needs.get(p) ?? "" };
    entry.records++;
    coverage.missingNeededFields[p] = entry;
  }
}

/** Writes for the resources that differ from what is stored; empty when everything is unchanged. */
async function plan(deps: IngestDeps, resources: MappedResource[], now: string) {
  const unique = new Map<string, Record<string, unknown> & { resourceType: string; id: string }>();
  for (const { resource } of resources) unique.set(`${resource.resourceType}/${resource.id}`, resource);
  const writes: ResourceWrite[] = [];
  let created = 0;
  let provenance: (Record<string, unknown> & { resourceType: string; id: string }) | undefined;
  for (const r of unique.values()) {
    if (r.resourceType === "Provenance") {
      provenance = r;
      continue;
    }
    const current = await deps.store.read(r.resourceType, r.id);
    if (current?.resource && !current.deleted && comparable(current.resource) === comparable(r)) continue;
    if (!current || current.deleted) created++;
    writes.push(prepareWrite(r.resourceType, r.id, (current?.versionId ?? 0) + 1, now, r));
  }
  if (writes.length > 0 && provenance) {
    const current = await deps.store.read("Provenance", provenance.id);
    writes.push(
      prepareWrite("Provenance", provenance.id, (current?.versionId ?? 0) + 1, now, { ...provenance, recorded: now }),
    );
  }
  return { writes, created, keys: [...unique.keys()] };
}

async function storeRecord(deps: IngestDeps, mapped: MappedRecord, report: IngestReport): Promise<RecordResult> {
  const base = { index: mapped.index, label: mapped.label, key: mapped.key };
  const warnings = mapped.issues.length ? { issues: operationOutcome(mapped.issues) } : {};
  for (let attempt = 0; attempt < 3; attempt++) {
    const { writes, created, keys } = await plan(deps, mapped.resources, deps.clock().toISOString());
    if (writes.length === 0) return { ...base, outcome: "unchanged", resources: keys, ...warnings };
    try {
      await deps.store.commit({ resources: writes });
      report.counts.resourcesWritten += writes.length;
      const allNew = created === writes.length - 1;
      return { ...base, outcome: allNew ? "created" : "updated", resources: keys, ...warnings };
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
    }
  }
  return {
    ...base,
    outcome: "rejected",
    issues: operationOutcome([
      {
        severity: "error",
        code: "conflict",
        diagnostics: "The same resources were being changed concurrently; send the record again",
      },
    ]),
  };
}

async function storeAll(
  deps: IngestDeps,
  pending: MappedRecord[],
  report: IngestReport,
  finish: (r: RecordResult) => void,
): Promise<void> {
  const now = deps.clock().toISOString();
  const all: ResourceWrite[] = [];
  const results: RecordResult[] = [];
  const seen = new Set<string>();
  for (const m of pending) {
    const { writes, created, keys } = await plan(deps, m.resources, now);
    const fresh = writes.filter((w) => !seen.has(`${w.resourceType}/${w.id}`));
    for (const w of fresh) seen.add(`${w.resourceType}/${w.id}`);
    all.push(...fresh);
    const outcome = writes.length === 0 ? "unchanged" : created === writes.length - 1 ? "created" : "updated";
    results.push({ index: m.index, label: m.label, key: m.key, outcome, resources: keys });
  }
  try {
    if (all.length > 0) await deps.store.commit({ resources: all });
  } catch (err) {
    if (!(err instanceof StoreConflictError)) throw err;
    for (const r of results) {
      finish({
        ...r,
        outcome: "rejected",
        issues: operationOutcome([
          {
            severity: "error",
            code: "conflict",
            diagnostics: "A concurrent write changed the same resources; nothing was stored",
          },
        ]),
      });
    }
    return;
  }
  report.counts.resourcesWritten += all.length;
  for (const r of results) finish(r);
}
