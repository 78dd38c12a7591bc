/**
 * Compiles mapping templates once into closures over the parsed template tree (no code generation):
 * each record then runs the closures instead of re-inspecting the template JSON. Same results, reads
 * and misses as the interpreter in template.ts (the reference; tests/node/mapping-compile.property.test.ts
 * compares them); any expression the compiler does not know, or cannot make sense of, is left to it.
 */
import { deterministicId } from "./ids.js";
import { forEachScopes, pathReader, type Scope } from "./paths.js";
import { type EvalContext, evaluate, evaluateExpr, isExpr, keyParts, test } from "./template.js";
import type { Condition, Json } from "./types.js";

/** A compiled template: its value in a scope, or undefined when it produces nothing. */
export type CompiledTemplate = (scope: Scope, ctx: EvalContext) => unknown;
/** A compiled condition. */
export type CompiledCondition = (scope: Scope, ctx: EvalContext) => boolean;
/** Compiled key parts: undefined when any part is missing or not a string or number. */
export type CompiledKey = (scope: Scope, ctx: EvalContext) => (string | number)[] | undefined;

/** A read of one path: notes it for the coverage report, returns its first value. */
function compileRead(path: string): CompiledTemplate {
  const reader = pathReader(path);
  return (scope, ctx) => {
    ctx.read.add(reader.readPath(scope));
    return reader.first(scope);
  };
}

/** Compiles a condition (`exists`, `equals`, `in`, `not`, `all`, `any`), as template.ts's `test`. */
export function compileCondition(cond: Condition): CompiledCondition {
  try {
    return compileConditionStrict(cond);
  } catch {
    return (scope, ctx) => test(cond, scope, ctx);
  }
}

function compileConditionStrict(cond: Condition): CompiledCondition {
  if ("exists" in cond) {
    const read = compileRead(cond.exists);
    return (scope, ctx) => read(scope, ctx) !== undefined;
  }
  if ("equals" in cond) {
    const read = compileRead(cond.equals[0]);
    const value = cond.equals[1];
    return (scope, ctx) => read(scope, ctx) === value;
  }
  if ("in" in cond) {
    const read = compileRead(cond.in[0]);
    const list = cond.in[1] as unknown[];
    if (!Array.isArray(list)) throw new TypeError("in needs a list");
    return (scope, ctx) => list.includes(read(scope, ctx));
  }
  if ("not" in cond) {
    const inner = compileConditionStrict(cond.not);
    return (scope, ctx) => !inner(scope, ctx);
  }
  if ("all" in cond) {
    const parts = cond.all.map(compileConditionStrict);
    return (scope, ctx) => parts.every((p) => p(scope, ctx));
  }
  const parts = cond.any.map(compileConditionStrict);
  return (scope, ctx) => parts.some((p) => p(scope, ctx));
}

/** Compiles key parts (literals and expressions), as template.ts's `keyParts`. */
export function compileKey(key: Json[]): CompiledKey {
  let parts: CompiledTemplate[];
  try {
    parts = key.map(compileTemplate);
  } catch {
    return (scope, ctx) => keyParts(key, scope, ctx);
  }
  return (scope, ctx) => {
    const out: (string | number)[] = [];
    for (const part of parts) {
      const v = part(scope, ctx);
      if (v === undefined || (typeof v !== "string" && typeof v !== "number")) return undefined;
      out.push(v);
    }
    return out;
  };
}

/** Compiles a template: literals, lists, objects and `$` expressions, as template.ts's `evaluate`. */
export function compileTemplate(t: Json): CompiledTemplate {
  if (Array.isArray(t)) {
    const items = t.map((item) => ({ fn: compileTemplate(item), spread: isExpr(item) }));
    return (scope, ctx) => {
      const out: unknown[] = [];
      for (const { fn, spread } of items) {
        const v = fn(scope, ctx);
        // An expression that yields a list inside a list contributes its items.
        if (spread && Array.isArray(v)) for (const x of v) out.push(x);
        else if (v !== undefined) out.push(v);
      }
      return out.length ? out : undefined;
    };
  }
  if (t === null || typeof t !== "object") return () => t;
  if (isExpr(t)) return compileExpr(t);
  const entries = Object.entries(t as Record<string, Json>).map(([k, v]) => [k, compileTemplate(v)] as const);
  // `out.__proto__ = x` sets no own key, so only then is the emptiness check left to Object.keys.
  const exotic = entries.some(([k]) => k === "__proto__");
  return (scope, ctx) => {
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const [k, fn] of entries) {
      const r = fn(scope, ctx);
      if (r !== undefined) {
        out[k] = r;
        n++;
      }
    }
    return (exotic ? Object.keys(out).length : n) ? out : undefined;
  };
}

/** Compiles one expression; falls back to the interpreter for anything it does not handle. */
function compileExpr(e: { [k: string]: Json }): CompiledTemplate {
  try {
    return compileExprStrict(e);
  } catch {
    return (scope, ctx) => evaluateExpr(e, scope, ctx);
  }
}

function compileExprStrict(e: { [k: string]: Json }): CompiledTemplate {
  if ("$path" in e) return compileRead(e.$path as string);
  if ("$all" in e) {
    const reader = pathReader(e.$all as string);
    return (scope, ctx) => {
      ctx.read.add(reader.readPath(scope));
      const all = reader.values(scope).filter((v) => v !== undefined && v !== null);
      return all.length ? all : undefined;
    };
  }
  if ("$bool" in e) {
    const read = compileRead(e.$bool as string);
    return (scope, ctx) => {
      const v = read(scope, ctx);
      return v === "Y" ? true : v === "N" ? false : undefined;
    };
  }
  if ("$coding" in e) {
    const spec = e.$coding as { system: string; path: string };
    const read = compileRead(spec.path);
    const system = spec.system;
    return (scope, ctx) => {
      const code = read(scope, ctx);
      return code === undefined ? undefined : { system, code: String(code) };
    };
  }
  if ("$translate" in e) {
    const spec = e.$translate as { map: string; path: string; default?: string; as?: "coding" | "code" };
    const read = compileRead(spec.path);
    const { map, path } = spec;
    const fallback = spec.default;
    const asCode = spec.as === "code";
    return (scope, ctx) => {
      const raw = read(scope, ctx);
      const code = raw === undefined ? fallback : String(raw);
      if (code === undefined) return undefined;
      const hit = ctx.conceptMaps.translate(map, code);
      if (!hit) ctx.misses.push({ map, path });
      return asCode ? hit?.code : hit;
    };
  }
  if ("$ref" in e) {
    const spec = e.$ref as { resourceType: string; key: Json[]; idSpace?: string };
    const key = compileKey(spec.key);
    const type = spec.resourceType;
    const space = spec.idSpace;
    return (scope, ctx) => {
      const parts = key(scope, ctx);
      if (!parts) return undefined;
      return { reference: `${type}/${deterministicId(space ?? ctx.source, type, parts)}` };
    };
  }
  if ("$if" in e) {
    const cond = compileConditionStrict(e.$if as Condition);
    const then = e.then === undefined ? undefined : compileTemplate(e.then);
    const otherwise = e.else === undefined ? undefined : compileTemplate(e.else);
    return (scope, ctx) => {
      const branch = cond(scope, ctx) ? then : otherwise;
      return branch === undefined ? undefined : branch(scope, ctx);
    };
  }
  if ("$each" in e) {
    const path = e.$each as string;
    const reader = pathReader(path);
    const template = compileTemplate(e.template as Json);
    return (scope, ctx) => {
      ctx.read.add(reader.readPath(scope));
      const out: unknown[] = [];
      for (const item of forEachScopes(scope.root, path, scope)) {
        const v = template(item, ctx);
        if (Array.isArray(v)) for (const x of v) out.push(x);
        else if (v !== undefined) out.push(v);
      }
      return out.length ? out : undefined;
    };
  }
  if ("$concat" in e) {
    const parts = (e.$concat as Json[]).map(compileTemplate);
    return (scope, ctx) => {
      const strings: string[] = [];
      for (const p of parts) {
        const v = p(scope, ctx);
        if (v === undefined) return undefined;
        strings.push(String(v));
      }
      return strings.join("");
    };
  }
  if ("$derive" in e) {
    const name = e.$derive as string;
    const args = e.args;
    return (scope, ctx) => {
      const fn = ctx.derivations[name];
      if (!fn) throw new Error(`Unknown derivation '${String(name)}'`);
      return fn(scope, (args ?? {}) as Record<string, Json>, ctx);
    };
  }
  // Not known here (perhaps newer than this compiler): the interpreter evaluates it, or reports it.
  return (scope, ctx) => evaluate(e, scope, ctx);
}
