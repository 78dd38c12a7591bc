/** The resources the person index writes: Person (one per linked person), its Provenance, and possible-match Tasks. */
import { GATEWAY_OWNER, withOwner } from "../auth/ownership.js";
import type { DerivedResource } from "../derive/port.js";
import { codeSystemUrl, profileUrl, TFG_BASE } from "../fhir/canonical.js";
import { deterministicId } from "../mapping/ids.js";
import type { Comparison } from "./compare.js";

/** The deriver's name, in `meta.source` (`urn:tfg:derived:person-index`) and in deterministic ids. */
export const PERSON_INDEX = "person-index";
/** `meta.source` of everything the person index derives. */
export const PERSON_INDEX_SOURCE = `urn:tfg:derived:${PERSON_INDEX}`;
/** Task.code system of the review queue; code `possible-match`. */
export const LINKAGE_TASK_SYSTEM = codeSystemUrl("linkage-task");
/** Task.input type system: the compared field (`given`, `family`, `birthDate`, `sex`, `address`, `nhsNumber`, `total`). */
export const LINKAGE_FIELD_SYSTEM = codeSystemUrl("linkage-field");
/** Extension on Person.link: the evidence for one link of this record to another of the same person. */
export const LINK_EVIDENCE_URL = `${TFG_BASE}/StructureDefinition/link-evidence`;

const id = (type: string, parts: string[]) => deterministicId(`derived:${PERSON_INDEX}`, type, parts);

/** The Person id of a cluster: from its smallest Patient key, so the same records give the same Person. */
export const personId = (members: readonly string[]) => {
  const sorted = [...members].sort();
  return id("Person", [(sorted.find((m) => m.startsWith("Patient/")) ?? sorted[0]) as string]);
};
export const provenanceId = (person: string) => id("Provenance", [person]);
/** The review Task of a pair of records (either order). */
export const taskId = (a: string, b: string) => id("Task", a < b ? [a, b] : [b, a]);

const derived = <T extends DerivedResource>(r: T, profile?: string): T =>
  withOwner(
    { ...r, meta: { ...(profile ? { profile: [profileUrl(profile)] } : {}), source: PERSON_INDEX_SOURCE } },
    GATEWAY_OWNER,
  );

/** A link between two records of one person and why. */
export interface Edge {
  a: string;
  b: string;
  /** `reviewer` when a reviewer accepted the possible match. */
  method: Comparison["method"] | "reviewer";
  comparison?: Comparison;
}

function evidence(edge: Edge, self: string): Record<string, unknown> {
  const other = edge.a === self ? edge.b : edge.a;
  const c = edge.comparison;
  return {
    url: LINK_EVIDENCE_URL,
    extension: [
      { url: "other", valueReference: { reference: other } },
      { url: "method", valueCode: edge.method },
      ...(c?.total !== undefined ? [{ url: "total", valueDecimal: c.total }] : []),
      ...(c?.fields ?? []).map((f) => ({
        url: "field",
        extension: [
          { url: "name", valueCode: f.field },
          { url: "level", valueCode: f.level },
          { url: "weight", valueDecimal: f.weight },
        ],
      })),
    ],
  };
}

const ASSURANCE: Record<Edge["method"], number> = { "nhs-number": 4, "stable-id": 3, probabilistic: 3, reviewer: 3 };

/** The Person of one cluster (Patient records, and RelatedPersons linked with them): a link per record, with the evidence of every link it has within the cluster. */
export function personOf(members: readonly string[], edges: readonly Edge[]): DerivedResource {
  const sorted = [...members].sort();
  const link = sorted.map((key) => {
    const own = edges.filter((e) => e.a === key || e.b === key).sort((x, y) => (x.a + x.b < y.a + y.b ? -1 : 1));
    const level = Math.max(0, ...own.map((e) => ASSURANCE[e.method]));
    return {
      ...(own.length ? { extension: own.map((e) => evidence(e, key)) } : {}),
      target: { reference: key },
      ...(level ? { assurance: `level${level}` } : {}),
    };
  });
  return derived({ resourceType: "Person", id: personId(sorted), active: true, link });
}

/** The Provenance of a Person: the records it was derived from. */
export function provenanceOf(person: DerivedResource, members: readonly string[]): DerivedResource {
  return derived(
    {
      resourceType: "Provenance",
      id: provenanceId(person.id),
      target: [{ reference: `Person/${person.id}` }],
      activity: { coding: [{ system: codeSystemUrl("derivation"), code: PERSON_INDEX }] },
      agent: [{ who: { display: `Think Family Gateway derivation (${PERSON_INDEX})` } }],
      entity: [...members].sort().map((key) => ({
        role: "source",
        what: {
          reference: key,
          identifier: { system: "urn:tfg:derived-input", value: key },
          display: key.startsWith("RelatedPerson/") ? "RelatedPerson record" : "Patient record",
        },
      })),
    },
    "TFG-Provenance",
  );
}

/** Task.status values: requested (waiting for review), completed (accepted: a link), rejected (no link). */
export type TaskStatus = "requested" | "completed" | "rejected";

/** A possible-match Task for two records, with the evidence per field (levels and weights, never values). */
export function taskOf(a: string, b: string, comparison: Comparison | undefined, status: TaskStatus, note?: string) {
  const [x, y] = a < b ? [a, b] : [b, a];
  return derived({
    resourceType: "Task",
    id: taskId(x, y),
    status,
    intent: "proposal",
    ...(note ? { businessStatus: { text: note } } : {}),
    code: { coding: [{ system: LINKAGE_TASK_SYSTEM, code: "possible-match" }] },
    for: { reference: x },
    focus: { reference: y },
    input: [
      ...(comparison?.fields ?? []).map((f) => ({
        type: { coding: [{ system: LINKAGE_FIELD_SYSTEM, code: f.field }] },
        valueString: `${f.level} (${f.weight >= 0 ? "+" : ""}${f.weight})`,
      })),
      ...(comparison?.total !== undefined
        ? [{ type: { coding: [{ system: LINKAGE_FIELD_SYSTEM, code: "total" }] }, valueDecimal: comparison.total }]
        : []),
    ],
  });
}

/** The two records a possible-match Task is about, or undefined when it is not one. */
export function pairOf(task: DerivedResource): [string, string] | undefined {
  const code = (task.code as { coding?: { system?: string; code?: string }[] } | undefined)?.coding;
  if (!code?.some((c) => c.system === LINKAGE_TASK_SYSTEM && c.code === "possible-match")) return undefined;
  const a = (task.for as { reference?: string } | undefined)?.reference;
  const b = (task.focus as { reference?: string } | undefined)?.reference;
  return a && b ? [a, b] : undefined;
}
