/**
 * FHIRPath invariants (ElementDefinition.constraint) of R4 and of the claimed profiles, evaluated with HL7's
 * fhirpath.js wherever their context element is present. Expressions are parsed once, lazily (fhirpath.compile
 * builds an AST and interprets it: no eval, no Function), so the same code runs on Node and in workerd.
 */
import fhirpath from "fhirpath";
import r4 from "fhirpath/fhir-context/r4";
import type { FhirIssue } from "../errors.js";
import { INVARIANT_NODES, INVARIANTS, PROFILE_INVARIANTS } from "./generated/invariants.generated.js";
import { runProgram } from "./invariant-programs.js";
import { passesWithoutFhirPath } from "./invariant-shortcuts.js";

type Json = Record<string, unknown>;
type Evaluator = (data: unknown, env: Json) => unknown[];

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const silent = () => {};
const compiled = new Map<string, Evaluator>();
/** Results of invariants whose heads are all absent: they cannot depend on the node, so one result serves all. */
const constant = new Map<string, boolean>();

function evaluator(expression: string, base: string | undefined): Evaluator {
  const id = `${base ?? ""}\u0000${expression}`;
  let f = compiled.get(id);
  if (!f) {
    // trace() in R4 expressions (ref-1, dom-3) must not log: the traced values are data.
    f = fhirpath.compile(base ? { base, expression } : expression, r4, { traceFn: silent }) as unknown as Evaluator;
    compiled.set(id, f);
  }
  return f;
}

/** The layer that defines an invariant, for the diagnostics: `FHIR R4` or `profile <id>`. */
type Origin = string;

interface Walk {
  issues: FhirIssue[];
  root: Json;
  bestPractice: boolean;
}

function report(w: Walk, i: number, path: string, origin: Origin, failure?: "error"): void {
  const inv = INVARIANTS[i];
  if (!inv) return;
  if (failure) {
    w.issues.push({
      severity: "warning",
      code: "invariant",
      diagnostics: `Invariant ${inv.key} could not be evaluated (${origin})`,
      expression: [path],
    });
    return;
  }
  w.issues.push({
    severity: inv.severity,
    code: "invariant",
    diagnostics: `Invariant ${inv.key} failed: ${inv.human} (${origin})`,
    expression: [path],
  });
}

const hasHead = (node: Json, head: string): boolean => {
  if (Object.hasOwn(node, head) || Object.hasOwn(node, `_${head}`)) return true;
  for (const k of Object.keys(node)) {
    const name = k.startsWith("_") ? k.slice(1) : k;
    if (name.length > head.length && name.startsWith(head) && /[A-Z]/.test(name.charAt(head.length))) return true;
  }
  return false;
};

/** True when invariant `i` is violated on `node` (evaluated at `base`; undefined for a resource). */
function violated(i: number, node: Json, nodeKey: string, base: string | undefined, env: Json): boolean {
  const inv = INVARIANTS[i];
  if (!inv) return false;
  if (passesWithoutFhirPath(inv.key, node)) return false;
  if (inv.program) {
    const r = runProgram(inv.program, node);
    // Only a pass is taken from the program; fhirpath.js confirms every failure.
    if (r === true || r === undefined) return false;
  }
  const heads = inv.heads;
  let cacheKey: string | undefined;
  if (heads && !heads.some((h) => hasHead(node, h))) {
    cacheKey = `${i}\u0000${nodeKey}`;
    const known = constant.get(cacheKey);
    if (known !== undefined) return known;
  }
  const result = evaluator(inv.expression, base)(node, env);
  const failed = result.includes(false);
  if (cacheKey) constant.set(cacheKey, failed);
  return failed;
}

/** Evaluates invariant `i` on child `name` of `parent`, once per item: `name.select(...)` keeps the items' order. */
function checkChildren(
  w: Walk,
  i: number,
  parent: Json,
  base: string | undefined,
  prop: string,
  name: string,
  env: Json,
  path: string,
  origin: Origin,
): void {
  const inv = INVARIANTS[i];
  if (!inv) return;
  const raw = parent[prop] ?? parent[`_${prop}`];
  const many = Array.isArray(raw);
  const expression = `\`${name}\`.select(iif((${inv.expression}) = false, false, true))`;
  let result: unknown[];
  try {
    result = evaluator(expression, base)(parent, env);
  } catch {
    report(w, i, `${path}.${prop}`, origin, "error");
    return;
  }
  result.forEach((ok, j) => {
    if (ok === false) report(w, i, many ? `${path}.${prop}[${j}]` : `${path}.${prop}`, origin);
  });
}

function visit(w: Walk, value: unknown, key: string, path: string, env: Json): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      visit(w, v, key, `${path}[${i}]`, env);
    });
    return;
  }
  if (!isObject(value)) return;
  let nodeKey = key;
  let base: string | undefined = key;
  let here = env;
  if (key === "*") {
    const type = value.resourceType;
    if (typeof type !== "string" || !Object.hasOwn(INVARIANT_NODES, type)) return;
    nodeKey = type;
    base = undefined;
    here = { resource: value, rootResource: w.root };
  }
  const node = INVARIANT_NODES[nodeKey];
  if (!node) return;
  for (const i of node.inv ?? []) {
    if (!w.bestPractice && INVARIANTS[i]?.bestPractice) continue;
    let failed: boolean;
    try {
      failed = violated(i, value, nodeKey, base, here);
    } catch {
      report(w, i, path, "FHIR R4", "error");
      continue;
    }
    if (failed) report(w, i, path, "FHIR R4");
  }
  for (const [prop, i, name] of node.prim ?? []) {
    if (Object.hasOwn(value, prop) || Object.hasOwn(value, `_${prop}`))
      checkChildren(w, i, value, base, prop, name, here, path, "FHIR R4");
  }
  const kids = node.kids;
  if (!kids) return;
  for (const prop of Object.keys(value)) {
    const child = kids[prop];
    if (child !== undefined) visit(w, value[prop], child, `${path}.${prop}`, here);
  }
}

/** The JSON nodes at an element path (`Observation.component`, no slices) with their FHIRPath-style locations. */
function nodesAt(resource: Json, segments: string[]): { node: Json; path: string; base: string }[] {
  let current: { node: Json; path: string; base: string }[] = [
    { node: resource, path: String(resource.resourceType), base: String(resource.resourceType) },
  ];
  for (const segment of segments) {
    const next: typeof current = [];
    for (const c of current) {
      const prop = segment.endsWith("[x]")
        ? Object.keys(c.node).find(
            (k) => k.startsWith(segment.slice(0, -3)) && /[A-Z]/.test(k.charAt(segment.length - 3)),
          )
        : segment;
      const v = prop === undefined ? undefined : c.node[prop];
      const base = `${c.base}.${segment.replace("[x]", "")}`;
      if (Array.isArray(v))
        v.forEach((item, i) => {
          if (isObject(item)) next.push({ node: item, path: `${c.path}.${prop}[${i}]`, base });
        });
      else if (isObject(v)) next.push({ node: v, path: `${c.path}.${prop}`, base });
    }
    current = next;
  }
  return current;
}

function checkProfile(w: Walk, url: string, origin: Origin): void {
  const list = PROFILE_INVARIANTS[url];
  if (!list) return;
  const env = { resource: w.root, rootResource: w.root };
  for (const { path, inv } of list) {
    const segments = path.split(".").slice(1);
    if (segments.length === 0) {
      const type = String(w.root.resourceType);
      try {
        if (violated(inv, w.root, `${url}|${type}`, undefined, env)) report(w, inv, type, origin);
      } catch {
        report(w, inv, type, origin, "error");
      }
      continue;
    }
    const last = segments[segments.length - 1] as string;
    const name = last.replace("[x]", "");
    for (const parent of nodesAt(w.root, segments.slice(0, -1))) {
      const prop = last.endsWith("[x]")
        ? Object.keys(parent.node).find((k) => k.startsWith(name) && /[A-Z]/.test(k.charAt(name.length)))
        : last;
      if (prop === undefined || !(Object.hasOwn(parent.node, prop) || Object.hasOwn(parent.node, `_${prop}`))) continue;
      const base = segments.length === 1 ? undefined : parent.base;
      checkChildren(w, inv, parent.node, base, prop, name, env, parent.path, origin);
    }
  }
}

/**
 * Evaluates the R4 invariants of `resource` (every type and backbone element present, contained and nested
 * resources included) and those of each profile in `profiles` (`[url, label]`). Returns one issue per
 * violation: severity from the constraint, code `invariant`, the key and rule in the diagnostics (never data),
 * and the element's FHIRPath location as the expression. Best-practice rules (dom-6) only with `bestPractice`.
 */
export function checkInvariants(
  resource: Json,
  profiles: [string, string][] = [],
  options: { bestPractice?: boolean } = {},
): FhirIssue[] {
  const w: Walk = { issues: [], root: resource, bestPractice: options.bestPractice === true };
  visit(w, resource, "*", String(resource.resourceType), {});
  for (const [url, label] of profiles) checkProfile(w, url, `profile ${label}`);
  return w.issues;
}
