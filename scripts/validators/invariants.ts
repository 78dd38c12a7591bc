/**
 * The invariant table: every FHIRPath constraint of the R4 types (StructureDefinition snapshots) and of the
 * profiles the gateway knows, with the element it applies to, as data for src/fhir/validation/invariants.ts.
 * The walk table lists, per type or backbone element, only the children that can lead to an invariant.
 */
import type { ElementDefinition, ElementDefinitionConstraint, StructureDefinition } from "fhir/r4";
import type { InvariantSpec, NodeSpec } from "../../src/fhir/validation/invariant-types.js";
import { type Definitions, R4_SD_BASE } from "./definitions.js";
import { capitalise, indexOf, PRIMITIVES, typeCode } from "./element-index.js";
import { toProgram } from "./invariant-programs.js";

/** Invariants checked natively by the runtime (src/fhir/validation/invariants.ts), never through FHIRPath. */
export const NATIVE_INVARIANTS = new Set(["ele-1", "ext-1"]);

const BEST_PRACTICE = "http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice";

/** Functions the gateway cannot evaluate without a terminology server or resolving references. */
const UNSUPPORTED = /\b(memberOf|conformsTo|resolve|htmlChecks)\(/;

/**
 * R4 expressions written for the FHIRPath of 2019, which let `as(type)` filter a collection; FHIRPath 2.0 and
 * fhirpath.js require a single item there, so `descendants().as(T)` is evaluated as `descendants().ofType(T)`
 * (what R4 means: dom-3's references and canonicals anywhere in the resource).
 */
export function rewrite(expression: string): string {
  return expression.replace(/descendants\(\)\.as\(/g, "descendants().ofType(");
}

/** The generated table. */
export interface InvariantTable {
  invariants: InvariantSpec[];
  nodes: Record<string, NodeSpec>;
  /** Per profile URL: invariants by context element path (from the resource root, no slices). */
  profiles: Record<string, { path: string; inv: number }[]>;
  /** Invariants not evaluated, with why (build summary and docs). */
  skipped: string[];
}

const KEYWORDS = new Set([
  "and",
  "or",
  "xor",
  "implies",
  "is",
  "as",
  "in",
  "contains",
  "div",
  "mod",
  "true",
  "false",
  "not",
]);

/**
 * The top-level path heads of an expression, or null when the expression reads its focus in a way the
 * heads do not capture (a function or variable at the top level: `hasValue()`, `%resource`, `$this`).
 */
export function headsOf(expression: string): string[] | null {
  // Strip string literals and function argument lists (arguments are evaluated per item of the input,
  // so they never run when the input is empty); keep grouping parentheses' contents.
  const text0 = expression.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  let text = "";
  for (let i = 0; i < text0.length; i++) {
    const ch = text0[i] as string;
    const before = /([A-Za-z0-9_`]+)\s*$/.exec(text)?.[1];
    if (ch === "(" && before !== undefined && !(KEYWORDS.has(before) && before !== "not")) {
      let depth = 0;
      for (; i < text0.length; i++) {
        if (text0[i] === "(") depth++;
        else if (text0[i] === ")" && --depth === 0) break;
      }
      text += "()";
    } else if (ch !== "(" && ch !== ")") text += ch;
    else text += " ";
  }
  text = text.replace(/%ucum\b/g, "''");
  if (/[%$]/.test(text)) return null;
  // `Appointment.status` starts from the resource itself: its head is `status`.
  text = text.replace(/(^|[^.\w`])[A-Z][A-Za-z]*\./g, "$1");
  const heads = new Set<string>();
  const re = /(\.?)\s*(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)(\s*\(\))?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const raw = m[2] as string;
    if (m[1] === ".") continue;
    if (m[3] !== undefined) return null; // a function on the focus itself, e.g. hasValue()
    if (!raw.startsWith("`") && KEYWORDS.has(raw)) continue;
    if (/^[A-Z]/.test(raw)) continue; // a type name after is/as
    heads.add(raw.replace(/`/g, ""));
  }
  return [...heads].sort();
}

/** Builds the invariant table for every R4 resource and complex type, and for `profiles` (core or project). */
export function buildInvariantTable(
  defs: Definitions,
  types: string[],
  profiles: StructureDefinition[],
): InvariantTable {
  const invariants: InvariantSpec[] = [];
  const byKey = new Map<string, number>();
  const skipped = new Set<string>();
  const nodes: Record<string, NodeSpec> = {};

  const add = (c: ElementDefinitionConstraint, where: string): number | undefined => {
    if (NATIVE_INVARIANTS.has(c.key)) return undefined;
    const expression = c.expression;
    if (!expression) {
      skipped.add(`${c.key} (${where}): no FHIRPath expression`);
      return undefined;
    }
    if (UNSUPPORTED.test(expression)) {
      skipped.add(
        `${c.key} (${where}): needs ${UNSUPPORTED.exec(expression)?.[1]}(), which the gateway does not evaluate`,
      );
      return undefined;
    }
    const id = `${c.key}\u0000${expression}`;
    const evaluated = rewrite(expression);
    const program = toProgram(evaluated);
    const known = byKey.get(id);
    if (known !== undefined) return known;
    invariants.push({
      key: c.key,
      severity: c.severity === "warning" ? "warning" : "error",
      human: c.human,
      expression: evaluated,
      heads: headsOf(evaluated),
      ...(c.extension?.some((x) => x.url === BEST_PRACTICE && x.valueBoolean) ? { bestPractice: true as const } : {}),
      ...(program ? { program } : {}),
    });
    byKey.set(id, invariants.length - 1);
    return invariants.length - 1;
  };
  const own = (e: ElementDefinition, where: string) =>
    (e.constraint ?? []).map((c) => add(c, where)).filter((i): i is number => i !== undefined);

  for (const type of types) {
    const index = indexOf(defs, type);
    // Datatypes come before resources in `types`, so a datatype node exists when an element of that type needs it.
    const visit = (path: string, key: string) => {
      const spec: NodeSpec = {};
      const inv = own(index.get(path) as ElementDefinition, path);
      const prim: [string, number, string][] = [];
      const kids: Record<string, string> = {};
      for (const e of index.childrenOf(path)) {
        if (e.max === "0") continue;
        const name = e.path.slice(path.length + 1);
        const props = name.endsWith("[x]")
          ? (e.type ?? []).map((t) => [name.slice(0, -3) + capitalise(t.code), t.code] as const)
          : [[name, e.contentReference ? "" : typeCode((e.type ?? [])[0] ?? { code: "BackboneElement" })] as const];
        const extraHere = own(e, e.path);
        for (const [prop, code] of props) {
          if (e.contentReference) kids[prop] = e.contentReference.slice(1);
          else if (PRIMITIVES.has(code)) for (const i of extraHere) prim.push([prop, i, name.replace("[x]", "")]);
          else if (code === "Resource") kids[prop] = "*";
          else if (code === "BackboneElement" || (code === "Element" && index.hasChildren(e.path))) {
            kids[prop] = e.path;
            visit(e.path, e.path);
          } else if (extraHere.length) {
            // A datatype element with invariants of its own: a node of its own, walked like its type.
            kids[prop] = e.path;
            nodes[e.path] = { ...nodeOfType(code), inv: [...(nodeOfType(code).inv ?? []), ...extraHere] };
          } else kids[prop] = code;
        }
      }
      if (inv.length) spec.inv = [...new Set(inv)];
      if (prim.length) spec.prim = prim;
      if (Object.keys(kids).length) spec.kids = kids;
      nodes[key] = spec;
    };
    visit(index.rootPath, type);
  }
  function nodeOfType(code: string): NodeSpec {
    return nodes[code] ?? {};
  }

  // Keep only children that can lead to an invariant (a fixpoint over the type graph, which has cycles).
  const live = new Set(Object.keys(nodes).filter((k) => nodes[k]?.inv?.length || nodes[k]?.prim?.length));
  live.add("*");
  for (let changed = true; changed; ) {
    changed = false;
    for (const [k, n] of Object.entries(nodes)) {
      if (live.has(k)) continue;
      if (Object.values(n.kids ?? {}).some((c) => live.has(c))) {
        live.add(k);
        changed = true;
      }
    }
  }
  const pruned: Record<string, NodeSpec> = {};
  for (const k of Object.keys(nodes).sort()) {
    const n = nodes[k] as NodeSpec;
    if (!live.has(k) && !types.includes(k)) continue;
    const kids = Object.entries(n.kids ?? {}).filter(([, c]) => live.has(c));
    pruned[k] = {
      ...(n.inv ? { inv: n.inv } : {}),
      ...(n.prim ? { prim: n.prim } : {}),
      ...(kids.length ? { kids: Object.fromEntries(kids.sort(([a], [b]) => (a < b ? -1 : 1))) } : {}),
    };
  }

  const profileInvariants: InvariantTable["profiles"] = {};
  for (const sd of profiles) {
    const list: { path: string; inv: number }[] = [];
    for (const e of sd.differential?.element ?? []) {
      for (const c of e.constraint ?? []) {
        if ((e.id ?? e.path).includes(":")) {
          skipped.add(`${c.key} (${sd.id} ${e.id}): on a slice; checked as a format where one is defined`);
          continue;
        }
        const i = add(c, `${sd.id} ${e.path}`);
        if (i !== undefined) list.push({ path: e.path, inv: i });
      }
    }
    // A profile on a profile (bodyweight on vitalsigns) carries its base profile's invariants too.
    const inherited = sd.baseDefinition ? (profileInvariants[sd.baseDefinition] ?? []) : [];
    if (inherited.length || list.length) profileInvariants[sd.url] = [...inherited, ...list];
  }
  return { invariants, nodes: pruned, profiles: profileInvariants, skipped: [...skipped].sort() };
}

/** Every concrete R4 resource type and complex datatype in the package, sorted. */
export function r4TypeNames(defs: Definitions, all: StructureDefinition[]): { resources: string[]; complex: string[] } {
  const resources: string[] = [];
  const complex: string[] = [];
  for (const sd of all) {
    if (sd.derivation !== "specialization" || sd.abstract || sd.url !== R4_SD_BASE + sd.type) continue;
    if (!defs.structureDefinition(sd.type)?.snapshot) continue;
    if (sd.kind === "resource") resources.push(sd.type);
    else if (sd.kind === "complex-type") complex.push(sd.type);
  }
  return { resources: resources.sort(), complex: complex.sort() };
}
