/**
 * Ingest: source events → mapping → validation → store. Each record commits atomically with its
 * Provenance, or is rejected with an OperationOutcome; re-sending the same record is "unchanged"
 * (deterministic ids, content comparison). Records are committed in batches for speed; a batch
 * that loses a race is retried record by record, so one record never blocks another. In
 * all-or-nothing mode nothing is written unless every record maps and validates: batches go into one open
 * transaction as they are planned (`Store.bulk`), so the file is never held in memory, and are committed only at
 * the end; a store without it holds them for one final commit, up to a limit. Only records the
 * sender owns (or is an authorised submitter for) are mapped; a file none of whose records it owns, or
 * whose header names another owner, is refused whole (403) before anything is stored.
 */
import { type OwnershipRule, ownershipRule, withOwner } from "../auth/ownership.js";
import { DEFAULT_DERIVERS } from "../derive/chain.js";
import type { Deriver } from "../derive/port.js";
import { runDerivers } from "../derive/run.js";
import { type FhirIssue, forbidden, GatewayError } from "../fhir/errors.js";
import { operationOutcome } from "../fhir/operation-outcome.js";
import { validateResource } from "../fhir/validation/index.js";
import type { MappedRecord, Mapping } from "../mapping/engine.js";
import { SourceReadError } from "../mapping/parsers/text.js";
import type { SourceEvent } from "../mapping/sources/events.js";
import type { BulkSession, ChangeSet, ResourceWrite, Store } from "../store/port.js";
import { StoreConflictError } from "../store/port.js";
import type { CoverageReport, IngestReport, RecordResult } from "./report.js";
import { type IngestSender, senderAgents } from "./sender.js";
import { PendingWrites, planRecord, prefetch, type RecordPlan } from "./write-plan.js";

/** Validates a produced resource; returns issues (errors reject the record). */
export type ResourceValidator = (resource: Record<string, unknown>) => FhirIssue[];

/** What ingest needs. */
export interface IngestDeps {
  store: Store;
  clock: () => Date;
  /**
   * Validates every produced resource; errors reject the record. Default: the generated validators
   * (FHIR R4 base plus the profile the resource claims). `false` skips validation (benchmarks only).
   */
  validate?: ResourceValidator | false;
  /** Who may send whose records (authorised submitters); default: only the owner itself. */
  ownership?: OwnershipRule;
  /**
   * Largest resource a record may produce, in bytes of its stored JSON: the `/fhir` body limit
   * (`TFG_BODY_LIMIT_BYTES`), so ingest never stores what REST would refuse. Default 5 MiB.
   */
  maxResourceBytes?: number;
  /**
   * All-or-nothing on a store without `Store.bulk` (D1, SQLite `:memory:`): the most resource versions a run
   * holds in memory for its one final commit; a file that needs more is refused (413), nothing stored.
   * Default {@link DEFAULT_HELD_WRITES_LIMIT}.
   */
  heldWritesLimit?: number;
  /**
   * The derivation chain run over every commit's source writes, its output committed with them
   * (src/derive/run.ts). Default: {@link DEFAULT_DERIVERS} (the whole chain, src/derive/chain.ts); `[]` stores source records only (unit tests of one deriver, benchmarks of ingest alone).
   */
  derivers?: readonly Deriver[];
}

/**
 * One commit's change set: the source writes plus what the derivation chain derives from them (and
 * the outbox messages it raises), so derived state commits with the records that change it.
 */
async function withDerived(deps: IngestDeps, writes: ResourceWrite[], store: Store = deps.store): Promise<ChangeSet> {
  const derived = await runDerivers(store, deps.derivers ?? DEFAULT_DERIVERS, writes, deps.clock().toISOString());
  return {
    resources: derived.writes.length ? [...writes, ...derived.writes] : writes,
    ...(derived.outbox.length ? { outbox: derived.outbox } : {}),
  };
}

/** The default {@link IngestDeps.maxResourceBytes}: the default `/fhir` body limit. */
export const DEFAULT_MAX_RESOURCE_BYTES = 5 * 1024 * 1024;

/**
 * The default {@link IngestDeps.heldWritesLimit}: 5,000 resource versions (about 1,000 NDTMS rows), a few tens of
 * MB held and one D1 batch of a few thousand statements (docs/sources/limits.md).
 */
export const DEFAULT_HELD_WRITES_LIMIT = 5_000;

/** Options for one run. */
export interface IngestOptions {
  /** Who sends the file: checked against each record's owner and named in every Provenance written. */
  sender: IngestSender;
  /** The record field naming the organisation that owns the record (CPA `OrgIDProv`, NDTMS `AGNCY`, CIN `LA`). */
  ownerField: string;
  mode?: "per-record" | "all-or-nothing";
  /** Records per commit in per-record mode (each record is still atomic). Default 200. */
  batchSize?: number;
  /**
   * Called after each record, e.g. for a progress bar. In all-or-nothing mode a record's result is known only when
   * the run ends (stored, or not), so it is called then; with `retain: "rejected"` the results of records that were
   * stored carry only their index, label, key and outcome (the run keeps no more of them until it ends).
   */
  onRecord?: (result: RecordResult, processed: number) => void;
  /** Which per-record results the report keeps: all (default) or only rejected ones (bounded memory for big files). */
  retain?: "all" | "rejected";
}

interface Planned {
  mapped: MappedRecord;
  plan: RecordPlan;
}

const outcomeOf = (plan: RecordPlan): RecordResult["outcome"] =>
  plan.writes.length === 0 ? "unchanged" : plan.created === plan.writes.length - 1 ? "created" : "updated";

/** Runs ingest of one file's events with one mapping. */
export async function ingest(
  deps: IngestDeps,
  mapping: Mapping,
  events: AsyncIterable<SourceEvent>,
  options: IngestOptions,
): Promise<IngestReport> {
  const { sender, ownerField } = options;
  const mayWrite = deps.ownership ?? ownershipRule({});
  let owned = 0;
  let foreign = 0;
  const mode = options.mode ?? "per-record";
  const batchSize = options.batchSize ?? 200;
  const validate = deps.validate === undefined ? validateResource : deps.validate;
  const report: IngestReport = {
    source: mapping.spec.source,
    mapping: mapping.label,
    mode,
    counts: { records: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, resourcesWritten: 0 },
    coverage: { unmappedFields: {}, missingNeededFields: {} },
    records: [],
  };
  // Counted in Maps: a source field may be named `constructor`, `toString` or `__proto__`.
  const coverage: Coverage = { unmapped: new Map(), missing: new Map() };
  const maxBytes = deps.maxResourceBytes ?? DEFAULT_MAX_RESOURCE_BYTES;
  const needs = new Map((mapping.spec.needs ?? []).map((n) => [n.path, n.for]));
  const pending = new PendingWrites();
  let batch: Planned[] = [];
  // All-or-nothing: `session` is the open transaction records are written into as they are planned (when the
  // store has Store.bulk); their results wait in `deferred` until it commits. Without it, `batch` holds every
  // planned record for one final commit, up to `heldLimit` resource versions. `notStored` is why the good records were not
  // stored, once the run knows it cannot store them.
  const allOrNothing = mode === "all-or-nothing";
  const streaming = allOrNothing && deps.store.bulk !== undefined;
  let session: BulkSession | undefined;
  const deferred: RecordResult[] = [];
  let notStored: ReturnType<typeof operationOutcome> | undefined;
  const heldLimit = deps.heldWritesLimit ?? DEFAULT_HELD_WRITES_LIMIT;

  const retainAll = (options.retain ?? "all") === "all";
  const finish = (result: RecordResult) => {
    if (retainAll || result.outcome === "rejected") report.records.push(result);
    report.counts.records++;
    report.counts[result.outcome]++;
    options.onRecord?.(result, report.counts.records);
  };
  const resultOf = (p: Planned, outcome = outcomeOf(p.plan)): RecordResult => ({
    index: p.mapped.index,
    label: p.mapped.label,
    key: p.mapped.key,
    outcome,
    resources: p.plan.keys,
    ...(p.plan.withdrawn.length ? { withdrawn: p.plan.withdrawn } : {}),
    ...(p.mapped.issues.length ? { issues: operationOutcome(p.mapped.issues) } : {}),
  });

  const failed = () => report.counts.rejected > 0 || report.fatal !== undefined;
  /** A stored record's result as an all-or-nothing run keeps it until its end (only what the report will keep). */
  const keep = (r: RecordResult): RecordResult =>
    retainAll
      ? r
      : { index: r.index, label: r.label, ...(r.key === undefined ? {} : { key: r.key }), outcome: r.outcome };

  const flush = async () => {
    if (batch.length === 0) return;
    const writes: ResourceWrite[] = batch.flatMap((p) => p.plan.writes);
    try {
      if (writes.length) await deps.store.commit(await withDerived(deps, writes));
      report.counts.resourcesWritten += writes.length;
      for (const p of batch) finish(resultOf(p));
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
      pending.clear();
      for (const p of batch) finish(await storeAlone(deps, p.mapped, report, resultOf));
    }
    batch = [];
    pending.clear();
  };

  // Mapped, valid records wait here until a batch is full; their current versions are then read in a
  // few queries (Store.readMany) instead of one per resource, before each is planned in order.
  let waiting: MappedRecord[] = [];
  const planWaiting = async () => {
    if (waiting.length === 0) return;
    const store = await planningStore();
    const known = await prefetch(
      store,
      waiting.map((m) => m.resources),
    );
    const now = deps.clock().toISOString();
    for (const mapped of waiting) {
      const plan = await planRecord(store, mapped.resources, now, pending, known, maxBytes);
      if (plan.tooLarge) finish(tooLargeResult(mapped, plan.tooLarge, maxBytes));
      else batch.push({ mapped, plan });
    }
    waiting = [];
  };

  // Planning reads what the open transaction sees (the run's earlier batches included), once one is open; an
  // all-or-nothing run opens it before planning its first batch, unless it already knows it cannot store.
  const planningStore = async (): Promise<Store> => {
    if (!session && streaming && !failed()) session = await (deps.store.bulk as () => Promise<BulkSession>)();
    return session?.store ?? deps.store;
  };

  /** All-or-nothing, after each planned batch: written into the open transaction, held, or given up. */
  const settle = async () => {
    if (failed()) return giveUp(NOT_STORED);
    if (streaming) return flushBulk();
    if (batch.reduce((n, p) => n + p.plan.writes.length, 0) > heldLimit) throw tooManyToHold(heldLimit);
  };

  /** Writes the planned batch into the open transaction; the records' results wait for its commit. */
  const flushBulk = async () => {
    if (batch.length === 0) return;
    const writes: ResourceWrite[] = batch.flatMap((p) => p.plan.writes);
    try {
      // Derived from what the open transaction sees (the run's earlier batches and their derived state included).
      const open = session as BulkSession;
      if (writes.length) await open.write(await withDerived(deps, writes, open.store));
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
      return giveUp(CONFLICT);
    }
    report.counts.resourcesWritten += writes.length;
    for (const p of batch) deferred.push(keep(resultOf(p)));
    batch = [];
    pending.clear();
  };

  /** The run cannot store: the open transaction is rolled back, and every good record so far is rejected with `why`. */
  const giveUp = async (why: ReturnType<typeof operationOutcome>) => {
    notStored ??= why;
    const open = session;
    session = undefined;
    if (open) await open.rollback();
    report.counts.resourcesWritten = 0;
    for (const r of deferred) finish({ ...r, outcome: "rejected", issues: notStored });
    deferred.length = 0;
    for (const p of batch) finish({ ...resultOf(p, "rejected"), issues: notStored });
    batch = [];
    pending.clear();
  };

  /** Commits the open transaction: every record written into it is stored, at once. */
  const commitBulk = async () => {
    const open = session;
    session = undefined;
    if (open) await open.commit();
    for (const r of deferred) finish(r);
    deferred.length = 0;
  };

  try {
    for await (const event of readable(events)) {
      if (event.kind === "fatal") {
        report.fatal = operationOutcome([event.issue]);
        break;
      }
      if (event.kind === "owner") {
        if (typeof event.owner === "string" && event.owner.trim() !== "" && !mayWrite(sender.org, event.owner)) {
          throw forbidden(
            "The file's header names another organisation as the owner of its records, and the sending organisation is not its authorised submitter; nothing was stored",
            [event.where],
          );
        }
        continue;
      }
      if (event.kind === "broken") {
        finish({ index: event.index, label: event.label, outcome: "rejected", issues: operationOutcome(event.issues) });
        continue;
      }
      const ownerValue = event.record.data[ownerField];
      const owner = typeof ownerValue === "string" && ownerValue.trim() !== "" ? ownerValue.trim() : undefined;
      if (owner !== undefined && !mayWrite(sender.org, owner)) {
        foreign++;
        finish({
          index: event.record.index,
          label: event.record.label,
          outcome: "rejected",
          issues: operationOutcome([
            {
              severity: "error",
              code: "forbidden",
              diagnostics: `The sending organisation is neither this record's owner (${ownerField}) nor its authorised submitter; nothing was stored for it`,
              expression: [event.record.locate(ownerField)],
            },
          ]),
        });
        continue;
      }
      if (owner !== undefined) owned++;
      const mapped = await mapping.map(event.record);
      if (owner !== undefined) markOwned(mapped, owner, sender);
      addCoverage(coverage, mapped, needs);
      if (validate) validateMapped(mapped, validate);
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
      waiting.push(mapped);
      if (waiting.length >= batchSize) {
        await planWaiting();
        if (mode === "per-record") await flush();
        else await settle();
      }
    }
    await planWaiting();
    report.coverage = coverageReport(coverage);
    if (foreign > 0 && owned === 0) {
      throw forbidden(
        `None of the ${foreign} records in this file belongs to the sending organisation or to one it is an authorised submitter for (${ownerField}); nothing was stored`,
      );
    }

    if (mode === "per-record") {
      await flush();
    } else {
      try {
        await settle();
        if (failed()) await giveUp(NOT_STORED);
        else if (streaming) await commitBulk();
        else await flushAll(deps, batch, report, finish, resultOf);
      } finally {
        report.records.sort((a, b) => a.index - b.index);
      }
    }
  } finally {
    // A run that ends by an exception (a file refused whole, a store failure) stores nothing of what it wrote.
    await session?.rollback();
  }
  return report;
}

/** Why the good records of an all-or-nothing run were not stored: another record failed. */
const NOT_STORED = operationOutcome([
  {
    severity: "error",
    code: "processing",
    diagnostics: "Not stored: all-or-nothing was requested and another record failed",
  },
]);

/** Why the good records of an all-or-nothing run were not stored: a concurrent write won a race. */
const CONFLICT = operationOutcome([
  {
    severity: "error",
    code: "conflict",
    diagnostics: "A concurrent write changed the same resources; nothing was stored",
  },
]);

/** 413: an all-or-nothing file too big to hold for one commit on a store without `Store.bulk`. */
function tooManyToHold(limit: number): GatewayError {
  return new GatewayError(413, "all-or-nothing-too-large", [
    {
      severity: "error",
      code: "too-long",
      diagnostics: `All-or-nothing ingest on this store commits the whole file at once, and this file needs more than ${limit} resource versions, the most one commit may hold here; nothing was stored. Send it in per-record mode, or as smaller files`,
    },
  ]);
}

async function flushAll(
  deps: IngestDeps,
  batch: Planned[],
  report: IngestReport,
  finish: (r: RecordResult) => void,
  resultOf: (p: Planned, outcome?: RecordResult["outcome"]) => RecordResult,
): Promise<void> {
  const writes = batch.flatMap((p) => p.plan.writes);
  try {
    if (writes.length) await deps.store.commit(await withDerived(deps, writes));
  } catch (err) {
    if (!(err instanceof StoreConflictError)) throw err;
    for (const p of batch) finish({ ...resultOf(p, "rejected"), issues: CONFLICT });
    return;
  }
  report.counts.resourcesWritten += writes.length;
  for (const p of batch) finish(resultOf(p));
}

/** Commits one record on its own, re-planning after a lost race (up to three tries). */
async function storeAlone(
  deps: IngestDeps,
  mapped: MappedRecord,
  report: IngestReport,
  resultOf: (p: Planned, outcome?: RecordResult["outcome"]) => RecordResult,
): Promise<RecordResult> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const plan = await planRecord(
      deps.store,
      mapped.resources,
      deps.clock().toISOString(),
      new PendingWrites(),
      undefined,
      deps.maxResourceBytes ?? DEFAULT_MAX_RESOURCE_BYTES,
    );
    if (plan.tooLarge)
      return tooLargeResult(mapped, plan.tooLarge, deps.maxResourceBytes ?? DEFAULT_MAX_RESOURCE_BYTES);
    try {
      if (plan.writes.length) await deps.store.commit(await withDerived(deps, plan.writes));
      report.counts.resourcesWritten += plan.writes.length;
      return resultOf({ mapped, plan });
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
    }
  }
  return {
    ...resultOf({ mapped, plan: { writes: [], created: 0, keys: [], withdrawn: [] } }, "rejected"),
    issues: operationOutcome([
      {
        severity: "error",
        code: "conflict",
        diagnostics: "The same resources were being changed concurrently; send the record again",
      },
    ]),
  };
}

/** Tags every resource a record produces with its owner and names the sender in its Provenance. */
function markOwned(mapped: MappedRecord, owner: string, sender: IngestSender): void {
  for (const produced of mapped.resources) {
    let resource = withOwner(produced.resource, owner);
    if (resource.resourceType === "Provenance") {
      const agents = Array.isArray(resource.agent) ? resource.agent : [];
      resource = { ...resource, agent: [...agents, ...senderAgents(sender)] };
    }
    produced.resource = resource;
  }
}

/**
 * The events, with a source that stops delivering bytes (a sender gone, a file unreadable, the upload
 * limit passed: a {@link SourceReadError}) turned into the file's fatal problem, after every record read
 * before it (stored, per record).
 */
async function* readable(events: AsyncIterable<SourceEvent>): AsyncGenerator<SourceEvent> {
  try {
    yield* events;
  } catch (err) {
    if (!(err instanceof SourceReadError)) throw err;
    yield {
      kind: "fatal",
      issue:
        err.reason === "too-large"
          ? {
              severity: "fatal",
              code: "too-long",
              diagnostics: `The file is larger than the limit of ${err.limit} bytes; reading stopped there`,
            }
          : {
              severity: "fatal",
              code: "processing",
              diagnostics:
                "The file could not be read to the end (the upload was interrupted, or the file is unreadable)",
            },
    };
  }
}

/** Coverage counts by field path while a file is read. */
interface Coverage {
  unmapped: Map<string, number>;
  missing: Map<string, { records: number; for: string }>;
}

function addCoverage(coverage: Coverage, mapped: MappedRecord, needs: Map<string, string>): void {
  for (const p of mapped.unmapped) coverage.unmapped.set(p, (coverage.unmapped.get(p) ?? 0) + 1);
  for (const p of mapped.missing) {
    const entry = coverage.missing.get(p) ?? { records: 0, for: needs.get(p) ?? "" };
    entry.records++;
    coverage.missing.set(p, entry);
  }
}

/** The report's coverage: Object.fromEntries defines every key as an own member, `__proto__` included. */
const coverageReport = (c: Coverage): CoverageReport => ({
  unmappedFields: Object.fromEntries(c.unmapped),
  missingNeededFields: Object.fromEntries(c.missing),
});

/**
 * Validates every resource a record produced, adding the issues to the record's. A resource the
 * validators cannot walk at all (they throw) rejects this record alone.
 */
function validateMapped(mapped: MappedRecord, validate: ResourceValidator): void {
  for (const { resource } of mapped.resources) {
    let issues: FhirIssue[];
    try {
      issues = validate(resource);
    } catch {
      issues = [
        {
          severity: "error",
          code: "structure",
          diagnostics: "The resource could not be validated: its structure is not one FHIR allows",
          expression: [resource.resourceType],
        },
      ];
    }
    for (const i of issues) {
      mapped.issues.push({ ...i, diagnostics: `${resource.resourceType} produced from this record: ${i.diagnostics}` });
    }
  }
}

/** The rejection of a record one of whose resources is larger than a stored resource may be. */
function tooLargeResult(mapped: MappedRecord, key: string, maxBytes: number): RecordResult {
  return {
    index: mapped.index,
    label: mapped.label,
    key: mapped.key,
    outcome: "rejected",
    issues: operationOutcome([
      {
        severity: "error",
        code: "too-long",
        diagnostics: `${key.split("/")[0]} produced from this record is larger than ${maxBytes} bytes, the largest resource the gateway stores; nothing was stored for it`,
        expression: [mapped.label],
      },
    ]),
  };
}
