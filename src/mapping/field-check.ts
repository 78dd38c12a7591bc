/** Checks and normalises a record's fields per the mapping's FieldSpecs, collecting every issue with its location. */
import type { FhirIssue } from "../fhir/errors.js";
import { isValidNhsNumber } from "../fhir/nhs-number.js";
import type { CheckSpec, FieldSpec } from "./types.js";

/** A located value: where it sits in the record (concrete path with indices) and how to replace it. */
interface Slot {
  concrete: string;
  holder: Record<string, unknown>;
  key: string;
  value: unknown;
}

/** Finds every slot a field path names, expanding `[]` over arrays. */
const stepsOf = new Map<string, string[]>();

function slots(record: Record<string, unknown>, path: string): Slot[] {
  let steps = stepsOf.get(path);
  if (!steps) {
    steps = path.split(".");
    stepsOf.set(path, steps);
  }
  let frontier: { node: unknown; concrete: string }[] = [{ node: record, concrete: "" }];
  const out: Slot[] = [];
  steps.forEach((raw, i) => {
    const isArray = raw.endsWith("[]");
    const step = isArray ? raw.slice(0, -2) : raw;
    const last = i === steps.length - 1;
    const next: { node: unknown; concrete: string }[] = [];
    for (const { node, concrete } of frontier) {
      if (node === null || typeof node !== "object" || Array.isArray(node)) continue;
      const holder = node as Record<string, unknown>;
      const here = concrete ? `${concrete}.${step}` : step;
      const v = holder[step];
      if (last && !isArray) {
        out.push({ concrete: here, holder, key: step, value: v });
      } else if (last && Array.isArray(v)) {
        v.forEach((item, j) => {
          out.push({
            concrete: `${here}[${j}]`,
            holder: v as unknown as Record<string, unknown>,
            key: String(j),
            value: item,
          });
        });
      } else if (Array.isArray(v)) {
        v.forEach((item, j) => {
          next.push({ node: item, concrete: `${here}[${j}]` });
        });
      } else if (v !== undefined && v !== null) {
        next.push({ node: v, concrete: here });
      }
    }
    frontier = next;
  });
  return out;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True for a real calendar date written YYYY-MM-DD (proleptic Gregorian). Years before 0100 are
 * refused, as `Date.UTC` (which reads them as 19xx) always refused them here.
 */
export function isCalendarDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const month = Number(m[2]);
  const d = Number(m[3]);
  if (y < 100 || month < 1 || month > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

/** Describes a concrete path for people: the parser knows whether it is a row/column or an element path. */
export type Locator = (concretePath: string) => string;

function issue(
  where: string,
  diagnostics: string,
  code: FhirIssue["code"] = "value",
  severity: FhirIssue["severity"] = "error",
): FhirIssue {
  return { severity, code, diagnostics, expression: [where] };
}

/** A FHIR `code`: no leading, trailing or double whitespace. */
const FHIR_CODE = /^[^\s]+( [^\s]+)*$/;

/** The field name a path ends in (`A[].B[]` → `B`), worked out once per path. */
const fieldNames = new Map<string, string>();
const fieldNameOf = (path: string) => {
  let name = fieldNames.get(path);
  if (name === undefined) {
    name = path.split(".").pop()?.replace("[]", "") ?? path;
    fieldNames.set(path, name);
  }
  return name;
};

/** Field patterns, compiled once each. */
const patterns = new Map<string, RegExp>();
const patternOf = (source: string) => {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source);
    patterns.set(source, re);
  }
  return re;
};

/** A code list by upper-cased code (the first code of each spelling), built once per list. */
const codeTables = new WeakMap<string[], Map<string, string>>();
const upperCodes = (codes: string[]) => {
  let table = codeTables.get(codes);
  if (!table) {
    table = new Map();
    for (const c of codes) if (!table.has(c.toUpperCase())) table.set(c.toUpperCase(), c);
    codeTables.set(codes, table);
  }
  return table;
};

/**
 * Normalises the record in place (trims, blanks and null markers removed, codes upper-cased,
 * yes/no to Y/N/U, integers to numbers) and returns the issues. Messages name the field and
 * the rule, never the value.
 */
export function checkFields(
  record: Record<string, unknown>,
  fields: FieldSpec[],
  nulls: string[],
  locate: Locator,
): FhirIssue[] {
  const issues: FhirIssue[] = [];
  for (const f of fields) {
    const fieldName = fieldNameOf(f.path);
    for (const s of slots(record, f.path)) {
      // Located only when there is something to say: most values pass.
      const where = () => locate(s.concrete);
      const name = /^\d+$/.test(s.key) ? fieldName : s.key;
      let v = s.value;
      if (typeof v === "number" || typeof v === "boolean") v = String(v);
      if (typeof v === "string") v = v.trim();
      if (v === undefined || v === null || v === "" || (typeof v === "string" && nulls.includes(v))) {
        delete s.holder[s.key];
        if (f.required) issues.push(issue(where(), `${f.label ?? name} is required`, "required"));
        continue;
      }
      if (typeof v !== "string") {
        issues.push(issue(where(), `${name} must be a single value`, "structure"));
        continue;
      }
      const bad = (rule: string) => issues.push(issue(where(), `${name} ${rule}`));
      switch (f.type) {
        case "string":
          if (f.pattern && !patternOf(f.pattern).test(v)) bad("is not in the expected format");
          else s.holder[s.key] = v;
          break;
        case "date":
          if (!isCalendarDate(v)) bad("is not a valid date (YYYY-MM-DD)");
          else s.holder[s.key] = v;
          break;
        case "integer": {
          if (!/^-?\d+$/.test(v)) {
            bad("is not a whole number");
            break;
          }
          const n = Number(v);
          if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) {
            bad(`is outside ${f.min ?? "-∞"}–${f.max ?? "∞"}`);
          } else s.holder[s.key] = n;
          break;
        }
        case "code": {
          const code = v.toUpperCase();
          const match = upperCodes(f.codes ?? []).get(code);
          if (match) s.holder[s.key] = match;
          else if (f.unlisted === "keep" && FHIR_CODE.test(v)) {
            issues.push(
              issue(where(), `${name} is not in the provisional code list; kept as sent`, "code-invalid", "warning"),
            );
            s.holder[s.key] = v;
          } else bad("is not a code this field allows");
          break;
        }
        case "yes-no": {
          const yn = { Y: "Y", N: "N", U: "U", TRUE: "Y", FALSE: "N", "1": "Y", "0": "N" }[v.toUpperCase()];
          if (!yn) bad("must be Y, N or U");
          else s.holder[s.key] = yn;
          break;
        }
        case "nhs-number": {
          const digits = v.replace(/\s+/g, "");
          if (!/^\d{10}$/.test(digits)) bad("must be 10 digits");
          else if (!isValidNhsNumber(digits)) bad("fails the NHS number check digit (modulus 11)");
          else s.holder[s.key] = digits;
          break;
        }
      }
    }
  }
  return issues;
}

const yearsBetween = (from: string, to: string) => {
  const [fy, fm, fd] = from.split("-").map(Number) as [number, number, number];
  const [ty, tm, td] = to.split("-").map(Number) as [number, number, number];
  return ty - fy - (tm < fm || (tm === fm && td < fd) ? 1 : 0);
};

/** Cross-field checks, run after normalisation. Only checks whose fields are all present apply. */
export function checkRecord(record: Record<string, unknown>, checks: CheckSpec[], locate: Locator): FhirIssue[] {
  const issues: FhirIssue[] = [];
  for (const c of checks) {
    if (c.type === "date-order") {
      for (const [earlier, later, concrete] of pairs(record, c.earlier, c.later)) {
        if (earlier > later)
          issues.push(issue(locate(concrete), `${leaf(c.later)} is before ${leaf(c.earlier)}`, "invariant"));
      }
    } else if (c.type === "min-age") {
      for (const [dob, at, concrete] of pairs(record, c.birthDate, c.at)) {
        if (yearsBetween(dob, at) < c.years) {
          issues.push(issue(locate(concrete), `the person must be at least ${c.years} at ${leaf(c.at)}`, "invariant"));
        }
      }
    } else if (c.type === "exclusive") {
      const [a, b] = c.paths;
      const holders = parentsOf(record, a);
      for (const { holder, concrete } of holders) {
        const hasA = holder[leaf(a)] !== undefined;
        const hasB = holder[leaf(b)] !== undefined;
        if (hasA && hasB)
          issues.push(issue(locate(`${concrete}${leaf(b)}`), `give ${leaf(a)} or ${leaf(b)}, not both`, "invariant"));
        if (c.required && !hasA && !hasB)
          issues.push(issue(locate(`${concrete}${leaf(a)}`), `${leaf(a)} or ${leaf(b)} is required`, "required"));
      }
    } else if (c.type === "alone") {
      for (const { holder, concrete } of parentsOf(record, c.path)) {
        const v = holder[leaf(c.path)];
        if (Array.isArray(v) && v.length > 1 && v.includes(c.code)) {
          issues.push(
            issue(
              locate(`${concrete}${leaf(c.path)}`),
              `code ${c.code} must not be combined with other codes`,
              "invariant",
            ),
          );
        }
      }
    }
  }
  return issues;
}

const leaf = (path: string) => path.split(".").pop()?.replace("[]", "") ?? path;
const parentPath = (path: string) => path.split(".").slice(0, -1).join(".");

/** Objects holding the last step of `path`, with the concrete prefix (ending in "." when non-empty). */
function parentsOf(
  record: Record<string, unknown>,
  path: string,
): { holder: Record<string, unknown>; concrete: string }[] {
  const parent = parentPath(path);
  if (!parent) return [{ holder: record, concrete: "" }];
  const out: { holder: Record<string, unknown>; concrete: string }[] = [];
  const walk = (node: unknown, steps: string[], concrete: string) => {
    if (steps.length === 0) {
      if (node && typeof node === "object" && !Array.isArray(node))
        out.push({ holder: node as Record<string, unknown>, concrete: `${concrete}.` });
      return;
    }
    if (!node || typeof node !== "object") return;
    const [raw = "", ...rest] = steps;
    const step = raw.replace("[]", "");
    const v = (node as Record<string, unknown>)[step];
    const here = concrete ? `${concrete}.${step}` : step;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        walk(item, rest, `${here}[${i}]`);
      });
    } else if (v !== undefined) walk(v, rest, here);
  };
  walk(record, parent.split("."), "");
  return out;
}

/** For two paths under the same parent (or one absolute), every pair of string values present together. */
function pairs(record: Record<string, unknown>, a: string, b: string): [string, string, string][] {
  const out: [string, string, string][] = [];
  const sameParent = parentPath(a) === parentPath(b);
  if (sameParent) {
    for (const { holder, concrete } of parentsOf(record, a)) {
      const va = holder[leaf(a)];
      const vb = holder[leaf(b)];
      if (typeof va === "string" && typeof vb === "string") out.push([va, vb, `${concrete}${leaf(b)}`]);
    }
    return out;
  }
  // Different parents: compare the first value of `a` (a record-level field) with every `b`.
  const first = parentsOf(record, a)[0];
  const va = first?.holder[leaf(a)];
  if (typeof va !== "string") return out;
  for (const { holder, concrete } of parentsOf(record, b)) {
    const vb = holder[leaf(b)];
    if (typeof vb === "string") out.push([va, vb, `${concrete}${leaf(b)}`]);
  }
  return out;
}
