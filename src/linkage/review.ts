/**
 * Reviewers' decisions on the person index: accept or reject a possible match, or undo a link. A decision
 * is the pair's Task (`completed` links, `rejected` never links, and the automatic linker respects both);
 * it commits with everything the derivation chain recomputes from it, in one commit.
 */
import { DERIVERS } from "../derive/chain.js";
import type { DerivedResource, Deriver } from "../derive/port.js";
import { runDerivers } from "../derive/run.js";
import { storeView } from "../derive/store-view.js";
import { conflict, notFound } from "../fhir/errors.js";
import { prepareWrite } from "../fhir/resource-service.js";
import { type ResourceWrite, type Store, StoreConflictError } from "../store/port.js";
import { compare } from "./compare.js";
import { featuresOf } from "./features.js";
import { pairOf, type TaskStatus, taskId, taskOf } from "./resources.js";

/** What a decision needs. */
export interface ReviewDeps {
  store: Store;
  clock: () => Date;
  /** Default: the whole chain ({@link DERIVERS}). */
  derivers?: readonly Deriver[];
}

/** What a decision changed: the Tasks decided and every derived resource written with them. */
export interface DecisionResult {
  decided: string[];
  written: string[];
}

async function commitDecisions(deps: ReviewDeps, tasks: DerivedResource[]): Promise<DecisionResult> {
  const now = deps.clock().toISOString();
  const current = await deps.store.readMany(tasks.map((t) => ({ resourceType: "Task", id: t.id })));
  const writes: ResourceWrite[] = tasks.map((t) => {
    const w = prepareWrite("Task", t.id, (current.get(`Task/${t.id}`)?.versionId ?? 0) + 1, now, t);
    w.json = JSON.stringify(w.resource);
    return w;
  });
  const derived = await runDerivers(deps.store, deps.derivers ?? DERIVERS, writes, now);
  try {
    await deps.store.commit({
      resources: [...writes, ...derived.writes],
      ...(derived.outbox.length ? { outbox: derived.outbox } : {}),
    });
  } catch (err) {
    if (err instanceof StoreConflictError)
      throw conflict("A concurrent write changed the same records; nothing was decided. Try again");
    throw err;
  }
  return {
    decided: tasks.map((t) => `Task/${t.id}`),
    written: derived.writes.map((w) => `${w.resourceType}/${w.id}`),
  };
}

/** Accepts (a link) or rejects (never a link) the possible match of Task `id`. */
export async function decideTask(deps: ReviewDeps, id: string, status: Exclude<TaskStatus, "requested">) {
  const view = storeView(deps.store);
  const task = await view.read("Task", id);
  const pair = task ? pairOf(task) : undefined;
  if (!task || !pair) throw notFound(`No possible-match Task ${id}`);
  const [a, b] = await Promise.all(pair.map((k) => view.read("Patient", k.slice("Patient/".length))));
  const comparison = a && b ? compare(featuresOf(a), featuresOf(b)) : undefined;
  const note = status === "completed" ? "accepted by a reviewer" : "rejected by a reviewer";
  return commitDecisions(deps, [taskOf(pair[0], pair[1], comparison, status, note)]);
}

/**
 * Undoes the links of record `patient` (`Patient/id`) to the other records of its Person: every pair is
 * recorded as rejected, so the automatic linker never links them again, and the chain recomputes.
 */
export async function undoLink(deps: ReviewDeps, patient: string) {
  const view = storeView(deps.store);
  const self = await view.read("Patient", patient.slice("Patient/".length));
  if (!self) throw notFound(`No ${patient}`);
  const people = await view.find("Person", [{ kind: "reference", param: "link", targets: [patient] }]);
  const others = new Set<string>();
  for (const p of people)
    for (const l of (p.link as { target?: { reference?: string } }[] | undefined) ?? [])
      if (l.target?.reference && l.target.reference !== patient) others.add(l.target.reference);
  if (others.size === 0) throw conflict(`${patient} is not linked to another record`);
  const f = featuresOf(self);
  const tasks: DerivedResource[] = [];
  for (const other of [...others].sort()) {
    // A linked RelatedPerson (a relative's record naming this person) is unlinked the same way.
    const [type, id] = other.split("/") as [string, string];
    const r = await view.read(type, id);
    tasks.push(
      taskOf(patient, other, r ? compare(f, featuresOf(r)) : undefined, "rejected", "link undone by a reviewer"),
    );
  }
  return commitDecisions(deps, tasks);
}

export { taskId };
