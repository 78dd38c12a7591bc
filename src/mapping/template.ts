/**
 * Evaluates resource templates. A template is JSON; objects with one `$`-key are expressions:
 * `$path`, `$bool`, `$coding`, `$translate`, `$ref`, `$if`, `$each`, `$concat`, `$derive`.
 * A value that evaluates to nothing is dropped, and so is an object or array left empty.
 * See docs/MAPPINGS.md for the language.
 */
import type { ConceptMaps } from "./concept-maps.js";
import { deterministicId } from "./ids.js";
import { forEachScopes, readPath, type Scope, valueAtPath, valuesAtPath } from "./paths.js";
import type { Condition, Json } from "./types.js";

/**
 * A named derivation: logic too rich for a template, kept small and tested (src/mapping/derivations).
 * Synchronous: it returns the value itself, never a promise.
 */
export type Derivation = (scope: Scope, args: Record<string, Json>, ctx: EvalContext) => unknown;

/** What evaluation needs and records. */
export interface EvalContext {
  source: string;
  conceptMaps: ConceptMaps;
  derivations: Record<string, Derivation>;
  /** Paths read (plain form), for the coverage report. */
  read: Set<string>;
  /** Translation misses, reported as issues by the engine. */
  misses: { map: string; path: string }[];
}

/** True for an object whose first key starts with `$`: an expression, not a literal. */
export const isExpr = (v: Json): v is { [k: string]: Json } =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  Object.keys(v).length >= 1 &&
  Object.keys(v)[0]?.startsWith("$") === true;

function read(scope: Scope, path: string, ctx: EvalContext): unknown {
  ctx.read.add(readPath(scope, path));
  return valueAtPath(scope, path);
}

/** Evaluates a condition. */
export function test(cond: Condition, scope: Scope, ctx: EvalContext): boolean {
  if ("exists" in cond) return read(scope, cond.exists, ctx) !== undefined;
  if ("equals" in cond) return read(scope, cond.equals[0], ctx) === cond.equals[1];
  if ("in" in cond) return (cond.in[1] as unknown[]).includes(read(scope, cond.in[0], ctx));
  if ("not" in cond) return !test(cond.not, scope, ctx);
  if ("all" in cond) return cond.all.every((c) => test(c, scope, ctx));
  return cond.any.some((c) => test(c, scope, ctx));
}

/**
 * Evaluates a template to a JSON value, or undefined when it produces nothing. This interpreter is the
 * reference semantics; mappings run templates compiled once by compile.ts, which must agree with it.
 */
export function evaluate(t: Json, scope: Scope, ctx: EvalContext): unknown {
  if (Array.isArray(t)) {
    const out: unknown[] = [];
    for (const item of t) {
      const v = evaluate(item, scope, ctx);
      // An expression that yields a list inside a list contributes its items.
      if (Array.isArray(v) && isExpr(item)) out.push(...v);
      else if (v !== undefined) out.push(v);
    }
    return out.length ? out : undefined;
  }
  if (t === null || typeof t !== "object") return t;
  if (isExpr(t)) return evaluateExpr(t, scope, ctx);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t as Record<string, Json>)) {
    const r = evaluate(v, scope, ctx);
    if (r !== undefined) out[k] = r;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Evaluates one `$` expression (see {@link evaluate}). */
export function evaluateExpr(e: { [k: string]: Json }, scope: Scope, ctx: EvalContext): unknown {
  if ("$path" in e) return read(scope, e.$path as string, ctx);
  if ("$all" in e) {
    ctx.read.add(readPath(scope, e.$all as string));
    const all = valuesAtPath(scope, e.$all as string).filter((v) => v !== undefined && v !== null);
    return all.length ? all : undefined;
  }
  if ("$bool" in e) {
    const v = read(scope, e.$bool as string, ctx);
    return v === "Y" ? true : v === "N" ? false : undefined;
  }
  if ("$coding" in e) {
    const spec = e.$coding as { system: string; path: string; display?: string };
    const code = read(scope, spec.path, ctx);
    return code === undefined ? undefined : { system: spec.system, code: String(code) };
  }
  if ("$translate" in e) {
    const spec = e.$translate as { map: string; path: string; default?: string; as?: "coding" | "code" };
    const raw = read(scope, spec.path, ctx);
    const code = raw === undefined ? spec.default : String(raw);
    if (code === undefined) return undefined;
    const hit = ctx.conceptMaps.translate(spec.map, code);
    if (!hit) ctx.misses.push({ map: spec.map, path: spec.path });
    return spec.as === "code" ? hit?.code : hit;
  }
  if ("$ref" in e) {
    const spec = e.$ref as { resourceType: string; key: Json[]; idSpace?: string };
    const parts = keyParts(spec.key, scope, ctx);
    if (!parts) return undefined;
    const space = spec.idSpace ?? ctx.source;
    return { reference: `${spec.resourceType}/${deterministicId(space, spec.resourceType, parts)}` };
  }
  if ("$if" in e) {
    const branch = test(e.$if as Condition, scope, ctx) ? e.then : e.else;
    return branch === undefined ? undefined : evaluate(branch, scope, ctx);
  }
  if ("$each" in e) {
    ctx.read.add(readPath(scope, e.$each as string));
    const out: unknown[] = [];
    for (const item of forEachScopes(scope.root, e.$each as string, scope)) {
      const v = evaluate(e.template as Json, item, ctx);
      if (Array.isArray(v)) out.push(...v);
      else if (v !== undefined) out.push(v);
    }
    return out.length ? out : undefined;
  }
  if ("$concat" in e) {
    const parts: string[] = [];
    for (const p of e.$concat as Json[]) {
      const v = evaluate(p, scope, ctx);
      if (v === undefined) return undefined;
      parts.push(String(v));
    }
    return parts.join("");
  }
  if ("$derive" in e) {
    const fn = ctx.derivations[e.$derive as string];
    if (!fn) throw new Error(`Unknown derivation '${String(e.$derive)}'`);
    return fn(scope, (e.args ?? {}) as Record<string, Json>, ctx);
  }
  throw new Error(`Unknown template expression ${Object.keys(e)[0]}`);
}

/** Evaluates key parts; undefined if any part is missing (the resource or reference is then not produced). */
export function keyParts(key: Json[], scope: Scope, ctx: EvalContext): (string | number)[] | undefined {
  const parts: (string | number)[] = [];
  for (const k of key) {
    const v = evaluate(k, scope, ctx);
    if (v === undefined || (typeof v !== "string" && typeof v !== "number")) return undefined;
    parts.push(v);
  }
  return parts;
}
