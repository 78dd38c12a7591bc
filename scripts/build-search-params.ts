/**
 * Build step: the HL7 R4 SearchParameter definitions (hl7.fhir.r4.examples, Bundle-searchParams.json)
 * → src/fhir/search-params.generated.ts, the table of simple element paths the index and the
 * CapabilityStatement use. Only string, token, date, reference and uri parameters whose FHIRPath is
 * a plain path (optionally `as Type`, `.where(resolve() is Type)` or `.where(system='x')`) are kept.
 *
 *   npm run build:search-params            regenerate the committed file
 *   npm run build:search-params -- --check fail if the committed file is out of date
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SearchParamDef } from "../src/fhir/search-param-def.js";
import { SERVED_TYPES } from "../src/fhir/served-types.js";

const PACKAGE = "node_modules/hl7.fhir.r4.examples";
const OUT = "src/fhir/search-params.generated.ts";
const KEPT_TYPES = new Set(["string", "token", "date", "reference", "uri"]);
/**
 * Left out: `_id` and `_lastUpdated` (columns of the resources table, not index rows), the text and
 * query parameters (no full-text index), `_profile` and `_source` (an index row for nearly every
 * resource that no lookup needs), and Observation's `combo-*` (they repeat `code` and `value-concept`
 * rows with components added).
 */
const SKIPPED = new Set([
  "_id",
  "_lastUpdated",
  "_content",
  "_text",
  "_query",
  "_list",
  "_has",
  "_type",
  "_profile",
  "_source",
]);
const skipped = (code: string) => SKIPPED.has(code) || code.startsWith("combo-");

interface SpJson {
  url: string;
  code: string;
  base: string[];
  type: string;
  expression?: string;
  target?: string[];
  description?: string;
  xpathUsage?: string;
}

interface ElementJson {
  path: string;
  type?: { code: string; targetProfile?: string[] }[];
  binding?: { strength?: string; valueSet?: string };
}

/** One generated row: a SearchParamDef, its type not yet narrowed to the supported ones. */
type Row = Omit<SearchParamDef, "type"> & { type: string };

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function elementsOf(type: string): ElementJson[] {
  const sd = JSON.parse(readFileSync(join(PACKAGE, `StructureDefinition-${type}.json`), "utf8")) as {
    snapshot: { element: ElementJson[] };
  };
  return sd.snapshot.element;
}

/** Expands a dotted path against the resource's own elements: a choice step `value` becomes `valueQuantity`, …. */
function expandChoices(type: string, path: string, elements: ElementJson[]): string[] {
  let prefixes = [""];
  let fhirPath = type;
  for (const step of path.split(".")) {
    const choice = elements.find((e) => e.path === `${fhirPath}.${step}[x]`);
    const names = choice ? (choice.type ?? []).map((t) => `${step}${capital(t.code)}`) : [step];
    prefixes = prefixes.flatMap((p) => names.map((n) => (p ? `${p}.${n}` : n)));
    fhirPath = `${fhirPath}.${step}`;
  }
  return prefixes;
}

const sdCache = new Map<string, ElementJson[] | undefined>();
/** The snapshot elements of a resource or data type, if the package has its StructureDefinition. */
function elementsOfType(type: string): ElementJson[] | undefined {
  if (!sdCache.has(type)) {
    try {
      sdCache.set(type, elementsOf(type));
    } catch {
      sdCache.set(type, undefined);
    }
  }
  return sdCache.get(type);
}

/** The element definition at a dotted path from `type`, stepping into data types (`address.use` → Address.use). */
function elementAt(type: string, path: string): ElementJson | undefined {
  let root = type;
  let prefix = type;
  let el: ElementJson | undefined;
  for (const step of path.split(".")) {
    let found = elementsOfType(root)?.find((e) => e.path === `${prefix}.${step}`);
    if (!found && el?.type?.length === 1) {
      root = (el.type[0] as { code: string }).code;
      prefix = root;
      found = elementsOfType(root)?.find((e) => e.path === `${prefix}.${step}`);
    }
    if (!found) return undefined;
    el = found;
    prefix = `${prefix}.${step}`;
  }
  return el;
}

interface ValueSetJson {
  resourceType: string;
  url: string;
  compose?: { include?: { system?: string }[] };
}
let valueSets: Map<string, ValueSetJson> | undefined;
/**
 * The one code system a `code` element's required binding draws from (e.g. Patient.gender →
 * http://hl7.org/fhir/administrative-gender): the system a `system|code` search names for it.
 */
function implicitSystem(type: string, path: string, root: string): string | undefined {
  const el = elementAt(type, path);
  if (!el?.type?.every((t) => t.code === "code") || el.binding?.strength !== "required" || !el.binding.valueSet)
    return undefined;
  if (!valueSets) {
    const bundle = JSON.parse(readFileSync(join(root, PACKAGE, "Bundle-valuesets.json"), "utf8")) as {
      entry: { resource: ValueSetJson }[];
    };
    valueSets = new Map(
      bundle.entry.filter((e) => e.resource.resourceType === "ValueSet").map((e) => [e.resource.url, e.resource]),
    );
  }
  const vs = valueSets?.get(el.binding.valueSet.split("|")[0] as string);
  const systems = new Set((vs?.compose?.include ?? []).map((i) => i.system));
  return systems.size === 1 ? [...systems][0] : undefined;
}

/** The canonical-typed elements (a reference parameter over them is not a Reference search). */
function isCanonical(type: string, path: string, elements: ElementJson[]): boolean {
  const el = elements.find((e) => e.path === `${type}.${path}`);
  return !!el?.type?.every((t) => t.code === "canonical");
}

interface ParsedPart {
  path: string;
  resolveIs?: string;
  system?: string;
}

/** Parses one `|` alternative of an R4 expression for `type`; undefined if it is not a simple path. */
function parsePart(type: string, part: string, elements: ElementJson[]): ParsedPart[] | undefined {
  const p = part.trim();
  let m = /^\((\w+)\.([\w.]+) as (\w+)\)(?:\.([\w.]+))?$/.exec(p);
  if (m) {
    if (m[1] !== type) return [];
    const path = (m[2] as string).split(".");
    const last = `${path.pop()}${capital(m[3] as string)}`;
    return [{ path: [...path, last, ...(m[4] ? [m[4]] : [])].join(".") }];
  }
  m = /^(\w+)\.([\w.]+?)(?:\.where\((?:resolve\(\) is (\w+)|system='(\w+)')\))?$/.exec(p);
  if (!m) return undefined;
  if (m[1] !== type) return [];
  return expandChoices(type, m[2] as string, elements).map((path) => ({
    path,
    ...(m?.[3] ? { resolveIs: m[3] } : {}),
    ...(m?.[4] ? { system: m[4] } : {}),
  }));
}

/** The one-line documentation for `type` from a (possibly multi-resource) description. */
function documentationFor(type: string, description = ""): string {
  const line = description
    .split(/\r?\n/)
    .find((l) => l.startsWith(`* [${type}](`))
    ?.replace(/^\* \[\w+\]\([^)]*\): /, "");
  return (line ?? description).trim().replace(/\s+/g, " ");
}

/** Builds the rows per served type. */
export function buildSearchParams(root = process.cwd()): Record<string, Row[]> {
  const bundle = JSON.parse(readFileSync(join(root, PACKAGE, "Bundle-searchParams.json"), "utf8")) as {
    entry: { resource: SpJson }[];
  };
  const out: Record<string, Row[]> = {};
  for (const type of SERVED_TYPES) {
    const elements = elementsOf(type);
    const rows: Row[] = [];
    const narrowed = new Set<Row>();
    for (const { resource: sp } of bundle.entry) {
      if (!KEPT_TYPES.has(sp.type) || skipped(sp.code) || sp.xpathUsage !== "normal") continue;
      const onResource = sp.base.includes("Resource") || sp.base.includes("DomainResource");
      if (!sp.base.includes(type) && !(onResource && sp.code.startsWith("_"))) continue;
      const expression = onResource ? (sp.expression ?? "").replace(/\bResource\./g, `${type}.`) : sp.expression;
      if (!expression) continue;
      const parts = expression.split(" | ").map((part) => parsePart(type, part, elements));
      if (parts.some((p) => p === undefined)) continue;
      const parsed = (parts as ParsedPart[][]).flat();
      if (parsed.length === 0) continue;
      if (sp.type === "reference" && parsed.some((p) => isCanonical(type, p.path, elements))) continue;
      const systems = new Set(parsed.map((p) => p.system));
      if (systems.size > 1) continue;
      const resolveIs = [...new Set(parsed.map((p) => p.resolveIs).filter((t): t is string => !!t))];
      const targets = resolveIs.length > 0 ? resolveIs : (sp.target ?? []);
      const row: Row = {
        name: sp.code,
        type: sp.type,
        paths: [...new Set(parsed.map((p) => p.path))],
        url: onResource ? sp.url : `http://hl7.org/fhir/SearchParameter/${type}-${sp.code}`,
        documentation: documentationFor(type, sp.description),
      };
      // "Any resource" targets (more than 100 of them) are left open rather than listed.
      if (sp.type === "reference" && targets.length > 0 && targets.length < 100) row.targets = [...targets].sort();
      const system = parsed[0]?.system;
      if (system) row.system = system;
      if (sp.type === "token") {
        const codeSystems = new Set(row.paths.map((p) => implicitSystem(type, p, root)));
        const only = codeSystems.size === 1 ? [...codeSystems][0] : undefined;
        if (only) row.codeSystem = only;
      }
      if (resolveIs.length > 0) narrowed.add(row);
      rows.push(row);
    }
    // A parameter that only narrows another's targets (Observation `patient` = `subject` pointing at a
    // Patient) is answered from the other's index rows instead of repeating them.
    for (const row of narrowed) {
      const same = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
      const wider = rows.find(
        (r) =>
          r !== row &&
          !narrowed.has(r) &&
          r.type === "reference" &&
          same(r.paths, row.paths) &&
          (!r.targets || (row.targets ?? []).every((t) => r.targets?.includes(t))),
      );
      if (wider) row.indexedAs = wider.name;
    }
    out[type] = rows.sort((a, b) => a.name.localeCompare(b.name));
  }
  return out;
}

/** The generated TypeScript module text. */
export function renderSearchParams(table: Record<string, Row[]>): string {
  return `// Generated by scripts/build-search-params.ts from hl7.fhir.r4.examples 4.0.1 (Bundle-searchParams.json). Do not edit.
import type { SearchParamDef } from "./search-param-def.js";

/** R4 search parameters per served type, as simple element paths (besides \`_id\` and \`_lastUpdated\`). */
export const GENERATED_SEARCH_PARAMS: Record<string, SearchParamDef[]> = ${JSON.stringify(table, null, 2)};
`;
}

function main(args: string[]) {
  const text = renderSearchParams(buildSearchParams());
  if (args.includes("--check")) {
    if (readFileSync(OUT, "utf8") !== text) {
      console.error(`${OUT} is stale. Run: npm run build:search-params`);
      process.exit(1);
    }
    console.log(`${OUT} is up to date`);
    return;
  }
  writeFileSync(OUT, text);
  const table = buildSearchParams();
  const n = Object.values(table).reduce((s, r) => s + r.length, 0);
  console.log(`${OUT}: ${n} parameters over ${Object.keys(table).length} types`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
