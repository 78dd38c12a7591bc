/**
 * The profile layer: compiles each project StructureDefinition's differential into a JSON Schema that checks
 * only what the profile adds to the R4 base (the base layer checks the rest): cardinality, fixed and pattern
 * values, required bindings to enumerated value sets, reference targets, allowed choice types, slices with
 * their cardinality, extensions defined in profiles/, and invariants that map to a format (NHS number, UPRN).
 * Anything in a differential that this compiler does not understand stops the build, so nothing is ignored silently.
 */
import type { ElementDefinition, ElementDefinitionSlicing, ElementDefinitionType, StructureDefinition } from "fhir/r4";
import { type Definitions, R4_SD_BASE } from "./definitions.js";
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
import type { BindingSpec, ChoiceSpec, SliceSpec } from "./keywords.js";
import { expandValueSet } from "./value-sets.js";

/** Invariants the build understands, by constraint key: each becomes an ajv format (src/fhir/validation/formats.ts). */
export const CONSTRAINT_FORMATS: Record<string, string> = { "tfg-nhs-1": "nhs-number", "tfg-uprn-1": "uprn" };

/** ElementDefinition properties that only document (no check follows from them). */
const DOCUMENTATION_KEYS = new Set([
  "id",
  "path",
  "short",
  "definition",
  "comment",
  "requirements",
  "alias",
  "label",
  "mustSupport",
  "isModifier",
  "isModifierReason",
  "isSummary",
  "mapping",
  "example",
  "meaningWhenMissing",
  "orderMeaning",
  "condition",
  "sliceName",
]);
const CHECKED_KEYS = new Set([
  "min",
  "max",
  "type",
  "binding",
  "constraint",
  "slicing",
  "minValueInteger",
  "maxValueInteger",
  "minValueDecimal",
  "maxValueDecimal",
]);

/** One project profile or extension as the generated catalog lists it. */
export interface CatalogEntry {
  url: string;
  id: string;
  name: string;
  title: string;
  version: string;
  /** The resource type (profiles) or `Extension`. */
  type: string;
  /** The schema definition that checks it. */
  definition: string;
}

/** What the profile layer produced. */
export interface ProfileLayer {
  definitions: Record<string, JsonSchema>;
  profiles: CatalogEntry[];
  extensions: CatalogEntry[];
  /** Things a profile says that the generated code does not check (written to the build summary). */
  notChecked: string[];
  /** The R4 core profiles compiled too (their invariants are evaluated with FHIRPath). */
  coreProfiles: StructureDefinition[];
  /** Catalog entries of the compiled core profiles (each also checks its base profile, if any). */
  coreCatalog: CatalogEntry[];
}

interface DiffNode {
  ed?: ElementDefinition;
  children: Map<string, DiffNode>;
  slices: Map<string, DiffNode>;
}

interface Ctx {
  index: ElementIndex;
  path: string;
}

const TFG_CODE_SYSTEM = "https://think-family-gateway.example/fhir/CodeSystem/";

/** Definition name of a project profile or extension. */
export const definitionName = (sd: StructureDefinition) =>
  `${sd.type === "Extension" ? "ext" : "profile"}-${sd.id as string}`;

const newNode = (): DiffNode => ({ children: new Map(), slices: new Map() });
const isPrimitiveValue = (v: unknown) => v === null || typeof v !== "object";
const isEmpty = (s: JsonSchema) => Object.keys(s).length === 0;

/** Renders a pattern for a message: codings as `system#code` (project systems by id), other values as JSON. */
export function renderPattern(value: unknown): string {
  if (isPrimitiveValue(value)) return String(value);
  const v = value as Record<string, unknown>;
  const coding = (c: Record<string, unknown>) => {
    const system = String(c.system ?? "");
    return `${system.startsWith(TFG_CODE_SYSTEM) ? system.slice(TFG_CODE_SYSTEM.length) : system}#${String(c.code ?? "")}`;
  };
  if (Array.isArray(v.coding)) return (v.coding as Record<string, unknown>[]).map(coding).join(", ");
  if ("system" in v && "code" in v) return coding(v);
  return JSON.stringify(value);
}

/** The fixed[x] or pattern[x] value on an element, if any. */
function fixedOrPattern(ed: ElementDefinition | undefined): { kind: "fixed" | "pattern"; value: unknown } | undefined {
  if (!ed) return undefined;
  for (const [key, value] of Object.entries(ed)) {
    if (key.startsWith("fixed")) return { kind: "fixed", value };
    if (key.startsWith("pattern")) return { kind: "pattern", value };
  }
  return undefined;
}

/** The R4 core profiles the gateway compiles too: every core profile of a served resource type in the package. */
export function coreProfileCandidates(defs: Definitions, servedTypes: readonly string[]): StructureDefinition[] {
  return defs.coreStructureDefinitions
    .filter((sd) => sd.derivation === "constraint" && sd.kind === "resource" && servedTypes.includes(sd.type))
    .sort((a, b) => (a.id as string).localeCompare(b.id as string));
}

/** Compiles every StructureDefinition in profiles/ (profiles and extensions) against the R4 snapshots in `defs`. */
export function buildProfileLayer(defs: Definitions, servedTypes: readonly string[] = []): ProfileLayer {
  const definitions: Record<string, JsonSchema> = {};
  const profiles: CatalogEntry[] = [];
  const extensions: CatalogEntry[] = [];
  const notChecked = new Set<string>();
  const projectExtensions = new Map(
    defs.projectStructureDefinitions.filter((sd) => sd.type === "Extension").map((sd) => [sd.url, sd]),
  );

  const coreProfiles: StructureDefinition[] = [];
  const coreCatalog: CatalogEntry[] = [];
  const compiledCore = new Set<string>();
  const candidates = coreProfileCandidates(defs, servedTypes);
  // Parents first: a core profile may derive from another (bodyweight from vitalsigns).
  const ordered: { sd: StructureDefinition; core: boolean }[] = defs.projectStructureDefinitions.map((sd) => ({
    sd,
    core: false,
  }));
  const pending = [...candidates];
  while (pending.length) {
    const i = pending.findIndex(
      (sd) => sd.baseDefinition === R4_SD_BASE + sd.type || !pending.some((o) => o.url === sd.baseDefinition),
    );
    const [next] = pending.splice(i < 0 ? 0 : i, 1);
    ordered.push({ sd: next as StructureDefinition, core: true });
  }

  for (const { sd, core } of ordered) {
    try {
      compileOne(sd, core);
      if (core) compiledCore.add(sd.url);
    } catch (err) {
      if (!core || !(err instanceof Error)) throw err;
      notChecked.add(`core profile ${sd.id} is not compiled (claiming it is an error): ${err.message}`);
    }
  }

  function compileOne(sd: StructureDefinition, core: boolean) {
    const where = core
      ? `hl7.fhir.r4.examples/StructureDefinition-${sd.id}.json`
      : `profiles/StructureDefinition-${sd.id}.json`;
    function fail(message: string): never {
      throw new Error(`${where}: ${message}`);
    }
    const parent = core && sd.baseDefinition !== R4_SD_BASE + sd.type ? sd.baseDefinition : undefined;
    if (parent !== undefined && !compiledCore.has(parent)) fail(`its base ${parent} is not compiled`);
    if (sd.derivation !== "constraint" || (parent === undefined && sd.baseDefinition !== R4_SD_BASE + sd.type)) {
      fail(`only constraints on an R4 base type are supported (baseDefinition ${R4_SD_BASE}${sd.type})`);
    }
    const label = sd.id as string;

    const tree = newNode();
    for (const ed of sd.differential?.element ?? []) {
      const segments = (ed.id ?? ed.path).split(".");
      if (segments[0] !== sd.type) fail(`element ${ed.id} does not start with ${sd.type}`);
      let node = tree;
      for (const segment of segments.slice(1)) {
        const [name, slice, ...rest] = segment.split(":");
        if (rest.length || slice?.includes("/") || slice?.includes("@")) fail(`re-slicing is not supported (${ed.id})`);
        const child = node.children.get(name as string) ?? newNode();
        node.children.set(name as string, child);
        node = child;
        if (slice) {
          const s = node.slices.get(slice) ?? newNode();
          node.slices.set(slice, s);
          node = s;
        }
      }
      if (node.ed) fail(`element ${ed.id} appears twice`);
      const expectedPath = segments.map((s) => s.split(":")[0]).join(".");
      if (ed.path !== expectedPath) fail(`element ${ed.id} has path ${ed.path}, expected ${expectedPath}`);
      node.ed = ed;
    }

    const contextFor = (ctx: Ctx, base: ElementDefinition, type?: ElementDefinitionType): Ctx => {
      if (base.contentReference) return { index: ctx.index, path: base.contentReference.slice(1) };
      if (ctx.index.hasChildren(base.path)) return { index: ctx.index, path: base.path };
      const codes = type ? [type.code] : (base.type ?? []).map(typeCode);
      if (codes.length !== 1) fail(`cannot constrain inside ${base.path}: restrict it to one type first`);
      const index = indexOf(defs, codes[0] as string);
      return { index, path: index.rootPath };
    };

    const valueSchema = (node: DiffNode, base: ElementDefinition, ctx: Ctx, type?: string): JsonSchema => {
      const ed = node.ed;
      const schema: JsonSchema = {};
      const allOf: JsonSchema[] = [];
      if (ed) {
        for (const key of Object.keys(ed)) {
          if (DOCUMENTATION_KEYS.has(key) || CHECKED_KEYS.has(key)) continue;
          if (core && key === "extension") continue; // documentation extensions of the HL7 definitions
          if (key.startsWith("fixed") || key.startsWith("pattern")) continue;
          fail(`${ed.id}: '${key}' is not supported by the validator build`);
        }
        const fp = fixedOrPattern(ed);
        if (fp && isPrimitiveValue(fp.value)) schema.const = fp.value;
        else if (fp?.kind === "pattern") schema.fhirPattern = { pattern: fp.value, label: renderPattern(fp.value) };
        else if (fp && core) {
          schema.fhirPattern = { pattern: fp.value, label: renderPattern(fp.value) };
          notChecked.add(`${label} ${ed.id}: fixed value checked as a pattern (extra properties are allowed)`);
        } else if (fp) fail(`${ed.id}: fixed complex values are not supported; use pattern[x]`);
        if (ed.minValueInteger !== undefined) schema.minimum = ed.minValueInteger;
        if (ed.maxValueInteger !== undefined) schema.maximum = ed.maxValueInteger;
        if (ed.minValueDecimal !== undefined) schema.minimum = ed.minValueDecimal;
        if (ed.maxValueDecimal !== undefined) schema.maximum = ed.maxValueDecimal;
        if (ed.binding?.valueSet) {
          const vsUrl = ed.binding.valueSet.split("|")[0] as string;
          if (ed.binding.strength === "required") {
            const kind = type ?? typeCode((base.type ?? [])[0] as ElementDefinitionType);
            // In a core profile, a binding on a choice of several types is meant for one of them (UCUM units on
            // the Quantity of vitalsigns' component.value[x]); it is not applied to the others.
            const several = (ed.type ?? base.type ?? []).length > 1;
            const codeLike = !(core && several) && (kind === "code" || kind === "Coding" || kind === "CodeableConcept");
            if (!codeLike && !core) fail(`${ed.id}: a required binding needs a code, Coding or CodeableConcept`);
            const include = codeLike ? expandValueSet(defs, vsUrl) : { reason: `a choice of several types` };
            if ("reason" in include && !core)
              fail(`${ed.id}: value set ${vsUrl} cannot be enumerated (${include.reason})`);
            if ("reason" in include)
              notChecked.add(`${label} ${ed.id}: required binding to ${vsUrl} not checked (${include.reason})`);
            else
              schema.fhirBinding = {
                valueSet: vsUrl,
                kind: kind as BindingSpec["kind"],
                include,
              } satisfies BindingSpec;
          } else {
            notChecked.add(`${label} ${ed.id}: ${ed.binding.strength} binding to ${vsUrl}`);
          }
        }
        for (const t of ed.type ?? []) {
          const baseCodes = (base.type ?? []).map(typeCode);
          if (!baseCodes.includes(t.code)) fail(`${ed.id}: type ${t.code} is not allowed by the base element`);
          if (t.targetProfile?.length) {
            const targets = t.targetProfile.map((p) => {
              if (!p.startsWith(R4_SD_BASE)) fail(`${ed.id}: target profiles must be R4 base types`);
              // A core profile as target (vitalsigns → hasMember vitalsigns) constrains the target's type.
              return core ? (defs.structureDefinition(p)?.type ?? typeOfProfile(p)) : typeOfProfile(p);
            });
            schema.fhirReference = { targets };
          }
          for (const p of t.profile ?? []) {
            if (core && t.code !== "Extension") {
              notChecked.add(`${label} ${ed.id}: type profile ${p} (only the type is checked)`);
              continue;
            }
            if (t.code !== "Extension") fail(`${ed.id}: type profiles are only supported on extensions`);
            const ext = projectExtensions.get(p);
            if (ext) allOf.push({ $ref: `#/definitions/${definitionName(ext)}` });
            else
              notChecked.add(
                `${label} ${ed.id}: extension ${p} is not in profiles/, so only its url and cardinality are checked`,
              );
          }
        }
        for (const c of ed.constraint ?? []) {
          const format = CONSTRAINT_FORMATS[c.key];
          if (format) schema.format = format;
          // Other invariants are evaluated with FHIRPath at run time (src/fhir/validation/invariants.ts).
        }
      }
      if (node.children.size) {
        const inner = childrenSchema(node, contextFor(ctx, base, type ? { code: type } : ed?.type?.[0]));
        Object.assign(schema, { ...inner, allOf: [...((inner.allOf as JsonSchema[]) ?? []), ...allOf] });
        if (!(schema.allOf as JsonSchema[]).length) delete schema.allOf;
      } else if (allOf.length) schema.allOf = allOf;
      return schema;
    };

    /** Whether each step of a discriminator path below `base` repeats (so the match is "some item has…"). */
    const repeats = (ctx: Ctx, base: ElementDefinition, segs: string[]): boolean[] => {
      const out: boolean[] = [];
      let c: Ctx | undefined =
        ctx.index.hasChildren(base.path) || (base.type ?? []).length === 1 ? contextFor(ctx, base) : undefined;
      for (const seg of segs) {
        const e = c?.index.get(`${c.path}.${seg}`);
        out.push(e ? isArrayElement(e) : false);
        c = e && (c?.index.hasChildren(e.path) || (e.type ?? []).length === 1) ? contextFor(c as Ctx, e) : undefined;
      }
      return out;
    };

    const discriminator = (
      slicing: ElementDefinitionSlicing,
      slice: DiffNode,
      base: ElementDefinition,
      id: string,
      ctx: Ctx,
    ) => {
      const match: Record<string, unknown> = {};
      for (const d of slicing.discriminator ?? []) {
        if (d.type !== "value" && d.type !== "pattern") fail(`${id}: discriminator type ${d.type} is not supported`);
        if (d.path === "$this") {
          const v = fixedOrPattern(slice.ed)?.value;
          if (v === undefined) fail(`${id}: slice needs a fixed or pattern value for discriminator $this`);
          return v;
        }
        let value: unknown;
        if (d.path === "url" && typeCode((base.type ?? [])[0] as ElementDefinitionType) === "Extension") {
          value = fixedOrPattern(slice.children.get("url")?.ed)?.value ?? slice.ed?.type?.[0]?.profile?.[0];
        } else {
          let node: DiffNode | undefined = slice;
          for (const seg of d.path.split(".")) {
            // A step that is itself sliced once (code.coding:SBPCode) is looked into through its slice.
            const only: DiffNode | undefined =
              node && node.slices.size === 1 ? [...node.slices.values()][0] : undefined;
            node = node?.children.get(seg) ?? only?.children.get(seg);
          }
          value = fixedOrPattern(node?.ed)?.value;
        }
        if (value === undefined) fail(`${id}: slice has no value for discriminator ${d.path}`);
        const segs = d.path.split(".");
        const arrays = repeats(ctx, base, segs.slice(0, -1));
        let target = match;
        segs.slice(0, -1).forEach((seg, i) => {
          if (arrays[i]) {
            target[seg] = (target[seg] as Record<string, unknown>[]) ?? [{}];
            target = (target[seg] as Record<string, unknown>[])[0] as Record<string, unknown>;
          } else {
            target[seg] = (target[seg] as Record<string, unknown>) ?? {};
            target = target[seg] as Record<string, unknown>;
          }
        });
        target[segs[segs.length - 1] as string] = value;
      }
      return match;
    };

    const renamedChoice = (ctx: Ctx, name: string) => {
      for (const e of ctx.index.childrenOf(ctx.path)) {
        const n = e.path.slice(ctx.path.length + 1);
        if (!n.endsWith("[x]")) continue;
        const t = (e.type ?? []).find((t) => n.slice(0, -3) + capitalise(t.code) === name);
        if (t) return { element: e, type: t.code };
      }
      return undefined;
    };

    const childrenSchema = (node: DiffNode, ctx: Ctx): JsonSchema => {
      const properties: Record<string, JsonSchema | boolean> = {};
      const required: string[] = [];
      const allOf: JsonSchema[] = [];
      for (const [name, child] of node.children) {
        const base = ctx.index.get(`${ctx.path}.${name}`);
        const renamed = base || !core ? undefined : renamedChoice(ctx, name);
        if (renamed) {
          // `valueQuantity` in a core differential: constraints on the Quantity alternative of value[x].
          const ed = child.ed;
          if (ed?.max === "0") properties[name] = false;
          else {
            const item = valueSchema(child, renamed.element, ctx, renamed.type);
            if (!isEmpty(item)) properties[name] = item;
            if ((ed?.min ?? 0) >= 1) required.push(name);
          }
          continue;
        }
        if (!base) fail(`${child.ed?.id ?? name}: ${ctx.path} has no element ${name}`);
        const b = base as ElementDefinition;
        const ed = child.ed;
        const min = ed?.min ?? 0;
        const max = ed?.max;
        if (name.endsWith("[x]")) {
          if (child.slices.size) fail(`${ed?.id}: slicing a choice element is not supported; restrict its type`);
          const prefix = name.slice(0, -3);
          const baseTypes = (b.type ?? []).map((t) => t.code);
          const allowed = max === "0" ? [] : (ed?.type ?? b.type ?? []).map((t) => t.code);
          const groups: string[][] = [];
          for (const code of allowed) {
            const prop = prefix + capitalise(code);
            const item = valueSchema(child, b, ctx, code);
            if (!isEmpty(item)) properties[prop] = item;
            groups.push(PRIMITIVES.has(code) ? [prop, `_${prop}`] : [prop]);
          }
          const restricted = allowed.length < baseTypes.length;
          if (restricted || min > 0) {
            const spec: ChoiceSpec = { name, groups, min };
            if (restricted)
              spec.restrict = { prefix, allowed: groups.map((g) => g[0] as string), types: allowed.join(", ") };
            allOf.push({ fhirChoice: spec });
          }
          continue;
        }
        const baseType = (b.type ?? [])[0];
        const twin =
          !!baseType && PRIMITIVES.has(typeCode(baseType)) && baseType.code !== "xhtml" && !isSystemType(baseType);
        const array = isArrayElement(b);
        if (max === "0") {
          properties[name] = false;
          if (twin) properties[`_${name}`] = false;
          continue;
        }
        let item = valueSchema(child, b, ctx);
        // When the slices already require as many items, their message says more than "element missing".
        let sliceMins = 0;
        for (const slice of child.slices.values()) sliceMins += slice.ed?.min ?? 0;
        const ownMin = sliceMins >= min ? 0 : min;
        if (child.slices.size) {
          if (!ed?.slicing) fail(`${ed?.id ?? name}: slices without slicing`);
          if (!array) fail(`${ed?.id}: only repeating elements can be sliced`);
          const ifs: JsonSchema[] = [];
          for (const [sliceName, slice] of child.slices) {
            const id = slice.ed?.id ?? `${name}:${sliceName}`;
            const match = discriminator(ed?.slicing as ElementDefinitionSlicing, slice, b, id, ctx);
            const sliceItem = valueSchema(slice, b, ctx);
            if (!isEmpty(sliceItem)) ifs.push(ifThen({ fhirPattern: { pattern: match, label: sliceName } }, sliceItem));
            const sMin = slice.ed?.min ?? 0;
            const sMax = slice.ed?.max ?? "*";
            if (sMin > 0 || sMax !== "*") {
              const short = slice.ed?.short ? ` (${slice.ed.short})` : "";
              const spec: SliceSpec = {
                element: name,
                label: `${sliceName}${short}`,
                match,
                min: sMin,
                max: sMax === "*" ? -1 : Number(sMax),
              };
              allOf.push({ fhirSlice: spec });
            }
          }
          if (ifs.length) item = { ...item, allOf: [...((item.allOf as JsonSchema[]) ?? []), ...ifs] };
        }
        const prop: JsonSchema = array ? (isEmpty(item) ? {} : { items: item }) : item;
        if (array && ownMin > 1) prop.minItems = ownMin;
        if (array && max && max !== "*") prop.maxItems = Number(max);
        if (!array && max && max !== "1") fail(`${ed?.id}: max ${max} on an element that does not repeat`);
        if (!isEmpty(prop)) properties[name] = prop;
        if (ownMin >= 1) {
          if (twin)
            allOf.push({ fhirChoice: { name, groups: [[name, `_${name}`]], min: ownMin } satisfies ChoiceSpec });
          else required.push(name);
        }
      }
      return {
        ...(Object.keys(properties).length ? { properties } : {}),
        ...(required.length ? { required } : {}),
        ...(allOf.length ? { allOf } : {}),
      };
    };

    const index = indexOf(defs, sd.type);
    const schema = childrenSchema(tree, { index, path: index.rootPath });
    const name = definitionName(sd);
    const parentEntry = parent === undefined ? undefined : coreCatalog.find((e) => e.url === parent);
    definitions[name] = parentEntry
      ? {
          ...schema,
          allOf: [...((schema.allOf as JsonSchema[]) ?? []), { $ref: `#/definitions/${parentEntry.definition}` }],
        }
      : schema;
    const entry: CatalogEntry = {
      url: sd.url,
      id: sd.id as string,
      name: sd.name,
      title: sd.title ?? sd.name,
      version: sd.version ?? "",
      type: sd.type,
      definition: name,
    };
    if (core) {
      coreCatalog.push(entry);
      coreProfiles.push(sd);
    } else (sd.type === "Extension" ? extensions : profiles).push(entry);
  }

  const sorted: Record<string, JsonSchema> = {};
  for (const n of Object.keys(definitions).sort()) sorted[n] = definitions[n] as JsonSchema;
  return {
    definitions: sorted,
    profiles,
    extensions,
    notChecked: [...notChecked].sort(),
    coreProfiles,
    coreCatalog: coreCatalog.sort((a, b) => a.id.localeCompare(b.id)),
  };
}
