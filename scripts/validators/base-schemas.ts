/**
 * The base layer: one JSON Schema definition per served R4 resource type, per complex datatype they use and
 * per backbone element, derived from the HL7 R4 snapshots (element names, types, choice types, cardinality,
 * primitive regexes, reference targets, and required bindings whose value sets can be enumerated).
 */
import type { ElementDefinition, ElementDefinitionType } from "fhir/r4";
import type { Definitions } from "./definitions.js";
import {
  capitalise,
  type ElementIndex,
  ifThen,
  indexOf,
  isArrayElement,
  isSystemType,
  type JsonSchema,
  PRIMITIVES,
  typeCode,
  typeOfProfile,
} from "./element-index.js";
import type { BindingSpec, ChoiceSpec, PrimitiveSpec } from "./keywords.js";
import { primitiveSchema, primitiveSpecs } from "./primitives.js";
import { codeCount, expandValueSet } from "./value-sets.js";

/** Required bindings with more codes than this are not enumerated into the generated code. */
export const MAX_BINDING_CODES = 250;

/** Definition names that are not FHIR types. */
export const PRIMITIVE_EXTENSION = "PrimitiveExtension";
export const PRIMITIVE_EXTENSION_OR_NULL = "PrimitiveExtensionOrNull";
export const ANY_RESOURCE = "AnyResource";

/** What the base layer produced. */
export interface BaseLayer {
  definitions: Record<string, JsonSchema>;
  /** Required bindings that are checked, and those that are not (with why). */
  checkedBindings: string[];
  uncheckedBindings: string[];
}

const isResource = (index: ElementIndex) =>
  index.get(`${index.rootPath}.meta`) !== undefined && index.get(`${index.rootPath}.implicitRules`) !== undefined;

export const ref = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` });

const arrayOf = (items: JsonSchema, max?: string): JsonSchema => ({
  type: "array",
  minItems: 1,
  ...(max && max !== "*" && Number(max) > 1 ? { maxItems: Number(max) } : {}),
  items,
});

/** Builds the base layer for `resourceTypes` and everything they reach. */
export function buildBaseLayer(defs: Definitions, resourceTypes: readonly string[]): BaseLayer {
  const definitions: Record<string, JsonSchema> = {};
  const pending: { name: string; index: ElementIndex; path: string; resource: boolean }[] = [];
  const scheduled = new Set<string>();
  const checkedBindings = new Set<string>();
  const uncheckedBindings = new Set<string>();
  const primitives = primitiveSpecs(defs, PRIMITIVES);

  const schedule = (name: string, index: ElementIndex, path: string, resource = false) => {
    if (scheduled.has(name)) return;
    scheduled.add(name);
    pending.push({ name, index, path, resource });
  };
  const complexType = (name: string): string => {
    schedule(name, indexOf(defs, name), indexOf(defs, name).rootPath);
    return name;
  };

  function binding(e: ElementDefinition, kind: BindingSpec["kind"]): JsonSchema {
    const b = e.binding;
    if (b?.strength !== "required" || !b.valueSet) return {};
    const expansion = expandValueSet(defs, b.valueSet);
    const url = b.valueSet.split("|")[0] as string;
    if ("reason" in expansion) {
      uncheckedBindings.add(`${e.path} → ${url}: ${expansion.reason}`);
      return {};
    }
    if (codeCount(expansion) > MAX_BINDING_CODES) {
      uncheckedBindings.add(`${e.path} → ${url}: ${codeCount(expansion)} codes (limit ${MAX_BINDING_CODES})`);
      return {};
    }
    checkedBindings.add(`${e.path} → ${url}`);
    const spec: BindingSpec = { valueSet: url, kind, include: expansion };
    return { fhirBinding: spec };
  }

  /** The schema of one value of element `e` with type `t` (not the array around it). */
  function valueSchema(
    e: ElementDefinition,
    t: ElementDefinitionType,
    index: ElementIndex,
    nullable: boolean,
  ): JsonSchema {
    if (e.contentReference) return ref(e.contentReference.slice(1));
    // Resource.id is an `id` (R4 §2.1.0.1), although the R4 snapshot types it as a System.String `string`.
    const resourceId = e.path === `${index.rootPath}.id` && isResource(index);
    const code = resourceId ? "id" : typeCode(t);
    if (PRIMITIVES.has(code)) {
      const p = primitives.get(code) as PrimitiveSpec;
      return { ...primitiveSchema(p, nullable), ...(code === "code" ? binding(e, "code") : {}) };
    }
    if (code === "BackboneElement" || (code === "Element" && index.hasChildren(e.path))) {
      schedule(e.path, index, e.path);
      return ref(e.path);
    }
    if (code === "Resource") return ref(ANY_RESOURCE);
    if (code === "Reference") {
      const targets = (t.targetProfile ?? []).map(typeOfProfile);
      const checkTargets = targets.length > 0 && !targets.includes("Resource");
      return { ...ref(complexType("Reference")), ...(checkTargets ? { fhirReference: { targets } } : {}) };
    }
    if (code === "Quantity" && t.profile?.some((p) => p.endsWith("/SimpleQuantity"))) {
      schedule("SimpleQuantity", indexOf(defs, "SimpleQuantity"), "Quantity");
      return ref("SimpleQuantity");
    }
    const kind = code === "Coding" || code === "CodeableConcept" ? binding(e, code) : {};
    return { ...ref(complexType(code)), ...kind };
  }

  function objectSchema(index: ElementIndex, path: string, resource: boolean): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const choices: ChoiceSpec[] = [];
    if (resource) {
      properties.resourceType = { const: path };
      required.push("resourceType");
    }
    for (const e of index.childrenOf(path)) {
      if (e.max === "0") continue;
      const name = e.path.slice(path.length + 1);
      const array = isArrayElement(e);
      const min = e.min ?? 0;
      const types = e.type ?? [];
      if (name.endsWith("[x]")) {
        const prefix = name.slice(0, -3);
        const groups: string[][] = [];
        for (const t of types) {
          const prop = prefix + capitalise(t.code);
          properties[prop] = valueSchema(e, t, index, false);
          if (PRIMITIVES.has(t.code)) {
            properties[`_${prop}`] = ref(PRIMITIVE_EXTENSION);
            groups.push([prop, `_${prop}`]);
          } else groups.push([prop]);
        }
        choices.push({ name, groups, min });
        continue;
      }
      const t = types[0] ?? { code: "BackboneElement" };
      if (types.length > 1) throw new Error(`${e.path}: several types on a non-choice element`);
      const code = e.contentReference ? "BackboneElement" : typeCode(t);
      const twin = PRIMITIVES.has(code) && code !== "xhtml" && !isSystemType(t);
      const item = valueSchema(e, t, index, array && twin);
      properties[name] = array ? arrayOf(item, e.max) : item;
      if (twin) properties[`_${name}`] = array ? arrayOf(ref(PRIMITIVE_EXTENSION_OR_NULL)) : ref(PRIMITIVE_EXTENSION);
      if (min >= 1) {
        if (twin) choices.push({ name, groups: [[name, `_${name}`]], min });
        else required.push(name);
      }
    }
    return {
      type: "object",
      ...(resource ? {} : { minProperties: 1 }),
      properties,
      additionalProperties: false,
      ...(required.length ? { required } : {}),
      ...(choices.length ? { allOf: choices.map((fhirChoice) => ({ fhirChoice })) } : {}),
    };
  }

  for (const type of resourceTypes) schedule(type, indexOf(defs, type), type, true);
  complexType("Extension");
  while (pending.length) {
    const next = pending.shift() as (typeof pending)[number];
    definitions[next.name] = objectSchema(next.index, next.path, next.resource);
  }

  const extension = objectSchema(indexOf(defs, "Element"), "Element", false);
  definitions[PRIMITIVE_EXTENSION] = extension;
  definitions[PRIMITIVE_EXTENSION_OR_NULL] = { ...extension, type: ["object", "null"] };
  definitions[ANY_RESOURCE] = {
    type: "object",
    required: ["resourceType"],
    properties: { resourceType: { type: "string" } },
    allOf: resourceTypes.map((t) =>
      ifThen({ required: ["resourceType"], properties: { resourceType: { const: t } } }, ref(t)),
    ),
  };

  const sorted: Record<string, JsonSchema> = {};
  for (const name of Object.keys(definitions).sort()) sorted[name] = definitions[name] as JsonSchema;
  return {
    definitions: sorted,
    checkedBindings: [...checkedBindings].sort(),
    uncheckedBindings: [...uncheckedBindings].sort(),
  };
}
