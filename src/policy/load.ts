/**
 * Loads a sharing-protocol file (YAML text) into a {@link Policy}: parsed with `yaml` (pure JS, runs
 * on Node and Workers), checked against the zod schema, and on any problem a {@link PolicyLoadError}
 * naming the file, the line and the column. Takes text, never a path: the core reads no files
 * (the baseline is built in as `baseline.generated.ts`; a Node host may read an area's file and pass it).
 */

import type { Node } from "yaml";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import type { Policy, Rule } from "./policy.js";
import { type PolicyFile, policyFileSchema } from "./schema.js";

/** One problem in a policy file, located. */
export interface PolicyProblem {
  line: number;
  column: number;
  /** Where in the file's structure (`rules[3].when.purpose`). */
  path: string;
  message: string;
}

/** How many problems the message lists (all are kept in `problems`). */
const MAX_SHOWN = 20;

/** A policy file that cannot be used; the message names the file and the first problem's line. */
export class PolicyLoadError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly PolicyProblem[],
  ) {
    super(
      problems
        .slice(0, MAX_SHOWN)
        .map((p) => `${file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ""}${p.message}`)
        .join("\n"),
    );
    this.name = "PolicyLoadError";
  }
}

type Segment = string | number;

const pathText = (path: readonly Segment[]) =>
  path.reduce<string>((s, k) => (typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${k}` : k), "");

/** The node at `path`, or the nearest ancestor that exists (a missing key is reported where its object is). */
function nodeAt(root: unknown, path: readonly Segment[], key?: string): Node | undefined {
  let node = root as Node | undefined;
  for (const seg of path) {
    let next: unknown;
    if (isMap(node)) next = node.get(seg, true);
    else if (isSeq(node) && typeof seg === "number") next = node.get(seg, true);
    if (next === undefined || next === null || typeof next !== "object") break;
    node = next as Node;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
    if (pair?.key && typeof pair.key === "object") return pair.key as Node;
  }
  return node;
}

/** Parses and checks `text` (the contents of `file`); throws {@link PolicyLoadError} when it is not a valid protocol. */
export function loadPolicy(text: string, file: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new PolicyLoadError(
      file,
      doc.errors.map((e) => ({ ...at(e.pos[0]), path: "", message: e.message.split("\n")[0] ?? e.code })),
    );
  }
  const parsed = policyFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.filter((p): p is Segment => typeof p !== "symbol");
      const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
      const node = nodeAt(doc.contents, path, keys[0]);
      const where = node?.range ? at(node.range[0]) : { line: 1, column: 1 };
      const message = keys.length > 0 ? `unknown key ${keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
      return { ...where, path: pathText(path), message };
    });
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new PolicyLoadError(file, problems);
  }
  const ruleLines = doc.contents && isMap(doc.contents) ? doc.contents.get("rules", true) : undefined;
  return toPolicy(parsed.data, file, (i) => {
    const node = isSeq(ruleLines) ? (ruleLines.get(i, true) as Node | undefined) : undefined;
    return node?.range ? at(node.range[0]).line : undefined;
  });
}

function toPolicy(data: PolicyFile, file: string, lineOf: (i: number) => number | undefined): Policy {
  const rules = data.rules.map((r, i): Rule => {
    const w = r.when;
    const when = {
      ...(w.access ? { access: w.access } : {}),
      ...(w["org-type"] ? { orgTypes: w["org-type"] } : {}),
      ...(w.role ? { roles: w.role } : {}),
      ...(w.purpose ? { purposes: w.purpose } : {}),
      ...(w.subject ? { subjects: w.subject } : {}),
      ...(w.relationship ? { relationships: w.relationship } : {}),
      ...(w.consent ? { consent: w.consent } : {}),
      ...(w["reason-given"] ? { reasonGiven: true as const } : {}),
    };
    const line = lineOf(i);
    const base = { id: r.id, description: r.description, when, ...(line !== undefined ? { line } : {}) };
    return r.effect === "permit"
      ? { ...base, effect: "permit", level: r.level, legalBasis: r["legal-basis"], obligations: r.obligations ?? [] }
      : { ...base, effect: "deny" };
  });
  return {
    file,
    name: data.name,
    version: data.version,
    breakGlassExpiresAfter: data["break-glass-expires-after"],
    rules,
  };
}
