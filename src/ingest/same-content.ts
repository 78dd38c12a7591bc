/**
 * "Unchanged" without serialising: two resources have the same content when their comparable forms
 * (canonical JSON of everything but meta.versionId, meta.lastUpdated and other meta) are equal. This
 * walks both trees once with JSON's rules instead of building two sorted strings.
 */
import { canonicalJson } from "../store/hash-chain.js";

/** Content compared for "unchanged": everything but meta, and of meta only profile, source and tag (the owner tag counts). */
export const comparable = (r: Record<string, unknown>): string => {
  const meta = (r.meta ?? {}) as Record<string, unknown>;
  return canonicalJson({ ...r, meta: { profile: meta.profile, source: meta.source, tag: meta.tag } });
};

/** Thrown on a value JSON treats specially (toJSON, a boxed primitive, a bigint): the strings decide. */
const UNUSUAL = Symbol("unusual");

/** True when JSON.stringify leaves a member with this value out of an object. */
const omitted = (v: unknown) => v === undefined || typeof v === "function" || typeof v === "symbol";

function plainObject(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  return (proto === Object.prototype || proto === null) && typeof (o as { toJSON?: unknown }).toJSON !== "function";
}

function plainList(a: unknown[]): boolean {
  return Object.getPrototypeOf(a) === Array.prototype && typeof (a as { toJSON?: unknown }).toJSON !== "function";
}

/** Equal as JSON: what JSON.stringify (keys sorted) would write for `a` and for `b` is the same text. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === "object" && a !== null) {
    if (typeof b !== "object" || b === null) {
      if (Array.isArray(a) ? !plainList(a) : !plainObject(a)) throw UNUSUAL;
      return false;
    }
    const aList = Array.isArray(a);
    const bList = Array.isArray(b);
    if (aList ? !plainList(a as unknown[]) : !plainObject(a)) throw UNUSUAL;
    if (bList ? !plainList(b as unknown[]) : !plainObject(b)) throw UNUSUAL;
    if (aList !== bList) return false;
    if (aList) {
      const x = a as unknown[];
      const y = b as unknown[];
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) {
        const u = x[i];
        const v = y[i];
        if (!same(omitted(u) ? null : u, omitted(v) ? null : v)) return false;
      }
      return true;
    }
    return sameMembers(a as Record<string, unknown>, b as Record<string, unknown>, undefined);
  }
  if (typeof b === "object" && b !== null) {
    if (Array.isArray(b) ? !plainList(b) : !plainObject(b)) throw UNUSUAL;
    return false;
  }
  if (typeof a === "bigint" || typeof b === "bigint") throw UNUSUAL;
  // JSON writes NaN and ±Infinity as null, and -0 as 0 (which === already treats as equal).
  const x = typeof a === "number" && !Number.isFinite(a) ? null : a;
  const y = typeof b === "number" && !Number.isFinite(b) ? null : b;
  return x === y;
}

/**
 * Equal members, ignoring `skip`, members JSON omits, and `__proto__` (canonicalJson's sorted copy
 * assigns it, which sets a prototype rather than a key, so it never reaches the text).
 */
function sameMembers(a: Record<string, unknown>, b: Record<string, unknown>, skip: string | undefined): boolean {
  let n = 0;
  for (const k of Object.keys(a)) {
    if (k === skip || k === "__proto__") continue;
    const u = a[k];
    if (omitted(u)) continue;
    n++;
    if (!Object.hasOwn(b, k)) return false;
    const v = b[k];
    if (omitted(v) || !same(u, v)) return false;
  }
  for (const k of Object.keys(b)) {
    if (k === skip || k === "__proto__") continue;
    if (!omitted(b[k])) n--;
  }
  return n === 0;
}

function sameMember(u: unknown, v: unknown): boolean {
  if (omitted(u) || omitted(v)) return omitted(u) && omitted(v);
  return same(u, v);
}

/** True when `a` and `b` have the same {@link comparable} form, computed without building either string. */
export function sameContent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  try {
    if (typeof a.toJSON === "function" || typeof b.toJSON === "function") throw UNUSUAL;
    const ma = (a.meta ?? {}) as Record<string, unknown>;
    const mb = (b.meta ?? {}) as Record<string, unknown>;
    return (
      sameMember(ma.profile, mb.profile) &&
      sameMember(ma.source, mb.source) &&
      sameMember(ma.tag, mb.tag) &&
      sameMembers(a, b, "meta")
    );
  } catch (err) {
    if (err !== UNUSUAL) throw err;
    return comparable(a) === comparable(b);
  }
}
