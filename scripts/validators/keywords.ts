/**
 * FHIR-specific ajv keywords, defined with ajv's code generator so that ajv standalone writes them out as
 * plain JavaScript (no eval, no runtime helpers). Their error params are documented in
 * src/fhir/validation/keyword-params.ts, which the runtime reads to word issues.
 */
import type Ajv from "ajv";
import { _, type Code, type KeywordCxt, type Name } from "ajv";
import { and, getProperty, nil, not, or } from "ajv/dist/compile/codegen/index.js";
import { usePattern } from "ajv/dist/vocabularies/code.js";
import type { Expansion } from "./value-sets.js";

/** `fhirChoice`: at most one alternative present, at least `min`; `restrict` also forbids other types of the choice. */
export interface ChoiceSpec {
  name: string;
  /** Each group is one alternative: a property and its `_` primitive-extension twin. */
  groups: string[][];
  min: number;
  restrict?: { prefix: string; allowed: string[]; types: string };
}

/** `fhirBinding`: the value must be a code from an enumerated value set. */
export interface BindingSpec {
  valueSet: string;
  kind: "code" | "Coding" | "CodeableConcept";
  include: Expansion[];
}

/** `fhirPattern`: the value must contain `pattern` (FHIR pattern[x] semantics: a partial match). */
export interface PatternSpec {
  pattern: unknown;
  label: string;
}

/** `fhirSlice`: the number of items of `element` that match `match` must be within min..max (max -1 = unbounded). */
export interface SliceSpec {
  element: string;
  label: string;
  match: unknown;
  min: number;
  max: number;
}

/** `fhirPrimitive`: a FHIR primitive value: JSON type, the spec's regex for strings, 32-bit range for integers. */
export interface PrimitiveSpec {
  type: string;
  json: "string" | "number" | "integer" | "boolean";
  pattern?: string;
  minimum?: number;
  maximum?: number;
  /** In an array next to a `_name` array, items may be null. */
  nullable?: boolean;
}

/** `fhirReference`: a literal reference must point to one of `targets`. */
export interface ReferenceSpec {
  targets: string[];
}

/** A relative or absolute literal reference; group 1 is the resource type. Others (#contained, urn:uuid:, conditional) are not checked. */
const REFERENCE =
  "^(?:[a-z][a-z0-9+.-]*://[^?#]*/)?([A-Z][A-Za-z]+)/[A-Za-z0-9.-]{1,64}(?:/_history/[A-Za-z0-9.-]{1,64})?$";

const isObject = (d: Code) => and(_`${d} !== null`, _`typeof ${d} == "object"`, _`!Array.isArray(${d})`);

/** Code that is true when `data` contains `pattern` (objects: every pattern property matches; arrays: every pattern item matches some item). */
export function patternMatch(gen: KeywordCxt["gen"], data: Code, pattern: unknown): Code {
  if (pattern === null || typeof pattern !== "object") return _`${data} === ${pattern as string | number | boolean}`;
  if (Array.isArray(pattern)) {
    return and(
      _`Array.isArray(${data})`,
      ...pattern.map((p) => {
        const x = gen.name("x");
        return _`${data}.some((${x}) => ${patternMatch(gen, x, p)})`;
      }),
    );
  }
  return and(
    isObject(data),
    ...Object.entries(pattern as Record<string, unknown>).map(([k, v]) =>
      patternMatch(gen, _`${data}${getProperty(k)}`, v),
    ),
  );
}

function codingMatch(coding: Code, include: Expansion[]): Code {
  return or(
    ...include.map(({ system, codes }) =>
      and(_`${coding}.system === ${system}`, or(...codes.map((c) => _`${coding}.code === ${c}`))),
    ),
  );
}

/** Registers the FHIR keywords on `ajv`. */
export function addFhirKeywords(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: "fhirChoice",
    type: "object",
    schemaType: "object",
    code(cxt: KeywordCxt) {
      const { gen, data } = cxt;
      const spec = cxt.schema as ChoiceSpec;
      const count = gen.let("count", 0);
      for (const group of spec.groups) {
        gen.if(or(...group.map((p) => _`${data}${getProperty(p)} !== undefined`)), () =>
          gen.assign(count, _`${count} + 1`),
        );
      }
      let bad: Name | undefined;
      const { restrict } = spec;
      if (restrict) {
        const b = gen.let("bad", 0);
        bad = b;
        const at = restrict.prefix.length;
        gen.forIn("key", data, (key) => {
          const k = gen.const("k", _`${key}[0] === "_" ? ${key}.slice(1) : ${key}`);
          gen.if(
            and(
              _`${k}.length > ${at}`,
              _`${k}.startsWith(${restrict.prefix})`,
              _`${k}.charCodeAt(${at}) >= 65`,
              _`${k}.charCodeAt(${at}) <= 90`,
              ...restrict.allowed.map((a) => _`${k} !== ${a}`),
            ),
            () => gen.assign(b, _`${b} + 1`),
          );
        });
      }
      cxt.setParams({ count, disallowed: bad ?? _`0` });
      cxt.fail(or(_`${count} > 1`, _`${count} < ${spec.min}`, bad ? _`${bad} > 0` : nil));
    },
    error: {
      message: "fhirChoice",
      params: ({ schema, params }) =>
        _`{name: ${(schema as ChoiceSpec).name}, min: ${(schema as ChoiceSpec).min}, count: ${params.count}, disallowed: ${params.disallowed}, allowed: ${(schema as ChoiceSpec).restrict?.types ?? ""}}`,
    },
  });

  ajv.addKeyword({
    keyword: "fhirPrimitive",
    schemaType: "object",
    code(cxt: KeywordCxt) {
      const { data } = cxt;
      const spec = cxt.schema as PrimitiveSpec;
      let ok: Code;
      if (spec.json === "string") {
        ok = and(_`typeof ${data} == "string"`, spec.pattern ? _`${usePattern(cxt, spec.pattern)}.test(${data})` : nil);
      } else if (spec.json === "boolean") {
        ok = _`typeof ${data} == "boolean"`;
      } else {
        ok = and(
          _`typeof ${data} == "number"`,
          spec.json === "integer" ? _`Number.isInteger(${data})` : _`Number.isFinite(${data})`,
          spec.minimum !== undefined ? _`${data} >= ${spec.minimum}` : nil,
          spec.maximum !== undefined ? _`${data} <= ${spec.maximum}` : nil,
        );
      }
      cxt.fail(not(spec.nullable ? or(_`${data} === null`, ok) : ok));
    },
    error: { message: "fhirPrimitive", params: ({ schema }) => _`{type: ${(schema as PrimitiveSpec).type}}` },
  });

  ajv.addKeyword({
    keyword: "fhirBinding",
    schemaType: "object",
    code(cxt: KeywordCxt) {
      const { gen, data } = cxt;
      const spec = cxt.schema as BindingSpec;
      if (spec.kind === "code") {
        const codes = spec.include.flatMap((e) => e.codes).map((c) => _`${data} === ${c}`);
        cxt.fail(and(_`typeof ${data} == "string"`, not(or(...codes))));
      } else if (spec.kind === "Coding") {
        cxt.fail(and(isObject(data), not(codingMatch(data, spec.include))));
      } else {
        const c = gen.name("c");
        const found = and(
          _`Array.isArray(${data}.coding)`,
          _`${data}.coding.some((${c}) => ${and(isObject(c), codingMatch(c, spec.include))})`,
        );
        cxt.fail(and(isObject(data), not(found)));
      }
    },
    error: {
      message: "fhirBinding",
      params: ({ schema }) => _`{valueSet: ${(schema as BindingSpec).valueSet}, kind: ${(schema as BindingSpec).kind}}`,
    },
  });

  ajv.addKeyword({
    keyword: "fhirPattern",
    schemaType: "object",
    code(cxt: KeywordCxt) {
      const spec = cxt.schema as PatternSpec;
      cxt.fail(not(patternMatch(cxt.gen, cxt.data, spec.pattern)));
    },
    error: { message: "fhirPattern", params: ({ schema }) => _`{label: ${(schema as PatternSpec).label}}` },
  });

  ajv.addKeyword({
    keyword: "fhirSlice",
    type: "object",
    schemaType: "object",
    code(cxt: KeywordCxt) {
      const { gen, data } = cxt;
      const spec = cxt.schema as SliceSpec;
      const items = gen.const("items", _`${data}${getProperty(spec.element)}`);
      const count = gen.let("count", 0);
      gen.if(_`Array.isArray(${items})`, () =>
        gen.forOf("item", items, (item) =>
          gen.if(patternMatch(gen, item, spec.match), () => gen.assign(count, _`${count} + 1`)),
        ),
      );
      cxt.setParams({ count });
      cxt.fail(or(_`${count} < ${spec.min}`, spec.max >= 0 ? _`${count} > ${spec.max}` : nil));
    },
    error: {
      message: "fhirSlice",
      params: ({ schema, params }) => {
        const s = schema as SliceSpec;
        return _`{element: ${s.element}, label: ${s.label}, min: ${s.min}, max: ${s.max}, count: ${params.count}}`;
      },
    },
  });

  ajv.addKeyword({
    keyword: "fhirReference",
    type: "object",
    schemaType: "object",
    code(cxt: KeywordCxt) {
      const { gen, data } = cxt;
      const spec = cxt.schema as ReferenceSpec;
      const re = usePattern(cxt, REFERENCE);
      const m = gen.const("m", _`typeof ${data}.reference == "string" ? ${re}.exec(${data}.reference) : null`);
      cxt.fail(and(_`${m} !== null`, ...spec.targets.map((t) => _`${m}[1] !== ${t}`)));
    },
    error: {
      message: "fhirReference",
      params: ({ schema }) => _`{targets: ${(schema as ReferenceSpec).targets.join(" or ")}}`,
    },
  });
}
