/** Indexes a StructureDefinition snapshot by element path, and answers the questions schema building asks of it. */
import type { ElementDefinition, ElementDefinitionType } from "fhir/r4";
import { type Definitions, snapshotOf } from "./definitions.js";

/** JSON Schema as plain data (the generator writes draft-07 plus the FHIR keywords in keywords.ts). */
export type JsonSchema = { [keyword: string]: unknown };

/** A JSON Schema `if`/`then` pair: `then` applies only to values that match `condition`. */
export function ifThen(condition: JsonSchema, consequence: JsonSchema): JsonSchema {
  // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword, not a thenable.
  return { if: condition, then: consequence };
}

/** The FHIR primitive types (R4), i.e. the types with a `_name` twin for extensions in JSON. */
export const PRIMITIVES = new Set([
  "base64Binary",
  "boolean",
  "canonical",
  "code",
  "date",
  "dateTime",
  "decimal",
  "id",
  "instant",
  "integer",
  "markdown",
  "oid",
  "positiveInt",
  "string",
  "time",
  "unsignedInt",
  "uri",
  "url",
  "uuid",
  "xhtml",
]);

const FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";

/** Snapshot elements by path, with their direct children. */
export class ElementIndex {
  readonly rootPath: string;
  private readonly byPath = new Map<string, ElementDefinition>();
  private readonly kids = new Map<string, ElementDefinition[]>();

  constructor(elements: ElementDefinition[]) {
    this.rootPath = elements[0]?.path ?? "";
    for (const e of elements) {
      if (e.id?.includes(":")) continue; // slices in a snapshot: the unsliced element is enough here
      this.byPath.set(e.path, e);
      const parent = e.path.slice(0, e.path.lastIndexOf("."));
      if (e.path.includes(".")) this.kids.set(parent, [...(this.kids.get(parent) ?? []), e]);
    }
  }

  get(path: string): ElementDefinition | undefined {
    return this.byPath.get(path);
  }

  childrenOf(path: string): ElementDefinition[] {
    return this.kids.get(path) ?? [];
  }

  hasChildren(path: string): boolean {
    return this.kids.has(path);
  }
}

const cache = new Map<string, ElementIndex>();

/** The (cached) element index of an R4 type or a StructureDefinition URL. */
export function indexOf(defs: Definitions, urlOrType: string): ElementIndex {
  let index = cache.get(urlOrType);
  if (!index) {
    index = new ElementIndex(snapshotOf(defs, urlOrType));
    cache.set(urlOrType, index);
  }
  return index;
}

/** The FHIR type name of an element type: `System.String` types resolve through their fhir-type extension. */
export function typeCode(t: ElementDefinitionType): string {
  if (!t.code.startsWith("http://hl7.org/fhirpath/System.")) return t.code;
  const ext = t.extension?.find((x) => x.url === FHIR_TYPE_EXT)?.valueUrl;
  if (!ext) throw new Error(`No FHIR type for ${t.code}`);
  return ext;
}

/** True when the type code is written in JSON with the `System.*` form (Element.id, Extension.url): no `_name` twin. */
export const isSystemType = (t: ElementDefinitionType) => t.code.startsWith("http://hl7.org/fhirpath/System.");

/** Upper-cases the first letter: the suffix of a choice property, e.g. `value` + `CodeableConcept`. */
export const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Whether an element repeats in JSON: decided by the base definition, never by a profile's constraint. */
export const isArrayElement = (e: ElementDefinition) => (e.base?.max ?? e.max) !== "1";

/** The short name of a resource type from a target profile URL (`.../StructureDefinition/Patient` → `Patient`). */
export const typeOfProfile = (url: string) => url.slice(url.lastIndexOf("/") + 1);
