/**
 * Interprets the base-layer JSON Schemas (the same ones ajv compiles for the served types) for the R4 resource
 * types the gateway does not serve, so `$validate` works for every R4 type without shipping compiled code for
 * 146 types. Reports errors in ajv's shape (instancePath, keyword, params), so issues.ts words them alike.
 */
import type { GeneratedError } from "./generated/validators.generated.js";

type Json = Record<string, unknown>;
type Schema = Json;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const REFERENCE =
  /^(?:[a-z][a-z0-9+.-]*:\/\/[^?#]*\/)?([A-Z][A-Za-z]+)\/[A-Za-z0-9.-]{1,64}(?:\/_history\/[A-Za-z0-9.-]{1,64})?$/;

const regexes = new Map<string, RegExp>();
const regex = (source: string): RegExp => {
  let r = regexes.get(source);
  if (!r) {
    r = new RegExp(source, "u");
    regexes.set(source, r);
  }
  return r;
};

const pointer = (path: string, key: string | number) =>
  `${path}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;

interface Ctx {
  definitions: Record<string, Schema>;
  errors: GeneratedError[];
  depth: number;
}

function fail(ctx: Ctx, path: string, keyword: string, params: Json): void {
  ctx.errors.push({ instancePath: path, schemaPath: "", keyword, params });
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(expected: unknown, v: unknown): boolean {
  const types = Array.isArray(expected) ? expected : [expected];
  const actual = jsonType(v);
  return types.some((t) => t === actual || (t === "number" && actual === "integer"));
}

function primitive(spec: Json, v: unknown): boolean {
  if (spec.nullable && v === null) return true;
  if (spec.json === "string") return typeof v === "string" && (!spec.pattern || regex(String(spec.pattern)).test(v));
  if (spec.json === "boolean") return typeof v === "boolean";
  if (typeof v !== "number") return false;
  if (spec.json === "integer" ? !Number.isInteger(v) : !Number.isFinite(v)) return false;
  if (typeof spec.minimum === "number" && v < spec.minimum) return false;
  if (typeof spec.maximum === "number" && v > spec.maximum) return false;
  return true;
}

function codingIn(include: { system: string; codes: string[] }[], c: unknown): boolean {
  return isObject(c) && include.some((e) => c.system === e.system && e.codes.includes(String(c.code)));
}

/** Validates `data` against `schema`; returns false when any error was added. */
function check(schema: Schema | boolean, data: unknown, path: string, ctx: Ctx): boolean {
  if (schema === true) return true;
  if (schema === false) {
    fail(ctx, path, "false schema", {});
    return false;
  }
  if (++ctx.depth > 400) throw new RangeError("nested too deeply");
  const before = ctx.errors.length;
  try {
    if (typeof schema.$ref === "string") {
      const target = ctx.definitions[schema.$ref.slice("#/definitions/".length)];
      if (target) check(target, data, path, ctx);
    }
    if (schema.type !== undefined && !typeMatches(schema.type, data)) {
      fail(ctx, path, "type", { type: Array.isArray(schema.type) ? schema.type.join(",") : schema.type });
      return false;
    }
    if ("const" in schema && data !== schema.const) fail(ctx, path, "const", { allowedValue: schema.const });
    if (schema.fhirPrimitive && !primitive(schema.fhirPrimitive as Json, data)) {
      fail(ctx, path, "fhirPrimitive", { type: (schema.fhirPrimitive as Json).type });
    }
    const code = schema.fhirBinding as { valueSet: string; kind: string; include: { codes: string[] }[] } | undefined;
    if (code?.kind === "code" && typeof data === "string" && !code.include.some((e) => e.codes.includes(data)))
      fail(ctx, path, "fhirBinding", { valueSet: code.valueSet, kind: "code" });
    if (Array.isArray(data)) {
      if (typeof schema.minItems === "number" && data.length < schema.minItems)
        fail(ctx, path, "minItems", { limit: schema.minItems });
      if (typeof schema.maxItems === "number" && data.length > schema.maxItems)
        fail(ctx, path, "maxItems", { limit: schema.maxItems });
      if (schema.items !== undefined) {
        data.forEach((item, i) => {
          check(schema.items as Schema, item, pointer(path, i), ctx);
        });
      }
    }
    if (isObject(data)) objectKeywords(schema, data, path, ctx);
    if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) check(s, data, path, ctx);
    if (schema.if !== undefined) {
      const probe: Ctx = { definitions: ctx.definitions, errors: [], depth: ctx.depth };
      if (check(schema.if as Schema, data, path, probe) && schema.then !== undefined)
        check(schema.then as Schema, data, path, ctx);
    }
  } finally {
    ctx.depth--;
  }
  return ctx.errors.length === before;
}

function objectKeywords(schema: Schema, data: Json, path: string, ctx: Ctx): void {
  const keys = Object.keys(data);
  if (typeof schema.minProperties === "number" && keys.length < schema.minProperties)
    fail(ctx, path, "minProperties", { limit: schema.minProperties });
  for (const name of (schema.required as string[] | undefined) ?? []) {
    if (!Object.hasOwn(data, name)) fail(ctx, path, "required", { missingProperty: name });
  }
  const properties = (schema.properties as Record<string, Schema | boolean> | undefined) ?? {};
  for (const key of keys) {
    if (Object.hasOwn(properties, key)) check(properties[key] as Schema | boolean, data[key], pointer(path, key), ctx);
    else if (schema.additionalProperties === false)
      fail(ctx, path, "additionalProperties", { additionalProperty: key });
  }
  const choice = schema.fhirChoice as { name: string; groups: string[][]; min: number } | undefined;
  if (choice) {
    const count = choice.groups.filter((g) => g.some((p) => data[p] !== undefined)).length;
    if (count > 1 || count < choice.min)
      fail(ctx, path, "fhirChoice", { name: choice.name, min: choice.min, count, disallowed: 0, allowed: "" });
  }
  const binding = schema.fhirBinding as
    | { valueSet: string; kind: string; include: { system: string; codes: string[] }[] }
    | undefined;
  if (binding && binding.kind !== "code") {
    const ok =
      binding.kind === "Coding"
        ? codingIn(binding.include, data)
        : Array.isArray(data.coding) && data.coding.some((c) => codingIn(binding.include, c));
    if (!ok) fail(ctx, path, "fhirBinding", { valueSet: binding.valueSet, kind: binding.kind });
  }
  const reference = schema.fhirReference as { targets: string[] } | undefined;
  if (reference && typeof data.reference === "string") {
    const m = REFERENCE.exec(data.reference);
    if (m && !reference.targets.includes(m[1] as string))
      fail(ctx, path, "fhirReference", { targets: reference.targets.join(" or ") });
  }
}

/**
 * Validates `resource` against definition `root` of `definitions`. Returns the errors in ajv's shape (empty when
 * valid). Throws RangeError for a pathologically deep resource, as the compiled validators do.
 */
export function interpret(definitions: Record<string, Schema>, root: string, resource: unknown): GeneratedError[] {
  const ctx: Ctx = { definitions, errors: [], depth: 0 };
  const schema = definitions[root];
  if (!schema) return [];
  check(schema, resource, "", ctx);
  return ctx.errors;
}
