/** Loads the FHIR definitions the validator build reads: the HL7 R4 package and the project's profiles/ folder. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CodeSystem, ElementDefinition, StructureDefinition, ValueSet } from "fhir/r4";

/** Where the pristine HL7 R4 definitions live (npm package hl7.fhir.r4.examples). */
export const R4_PACKAGE_DIR = "node_modules/hl7.fhir.r4.examples";
/** Canonical base of the R4 core StructureDefinitions. */
export const R4_SD_BASE = "http://hl7.org/fhir/StructureDefinition/";

/** Every definition the build can see, by canonical URL (R4 core and project). */
export interface Definitions {
  /** A StructureDefinition by canonical URL or, for R4 core types, by type name. */
  structureDefinition(urlOrType: string): StructureDefinition | undefined;
  valueSet(url: string): ValueSet | undefined;
  codeSystem(url: string): CodeSystem | undefined;
  /** The project's own StructureDefinitions (profiles and extensions), sorted by id. */
  projectStructureDefinitions: StructureDefinition[];
  /** The R4 core StructureDefinitions of the package, sorted by file name. */
  coreStructureDefinitions: StructureDefinition[];
  /** The project's ValueSets and CodeSystems, sorted by id. */
  projectValueSets: ValueSet[];
  projectCodeSystems: CodeSystem[];
}

type Canonical = StructureDefinition | ValueSet | CodeSystem;

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

/** Strips a `|version` suffix from a canonical reference. */
export const unversioned = (canonical: string) => canonical.split("|")[0] as string;

/** Loads R4 core definitions from `r4Dir` and the project's definitions from `profilesDir`. */
export function loadDefinitions(r4Dir: string, profilesDir: string): Definitions {
  const byUrl = new Map<string, Canonical>();
  const add = (resource: Canonical, file: string, project: boolean) => {
    if (!resource.url) throw new Error(`${file}: no url`);
    if (project && byUrl.has(resource.url)) throw new Error(`${file}: duplicate url ${resource.url}`);
    byUrl.set(resource.url, resource);
  };

  const coreSds: StructureDefinition[] = [];
  for (const file of readdirSync(r4Dir).sort()) {
    if (!/^(StructureDefinition|ValueSet|CodeSystem)-.*\.json$/.test(file)) continue;
    const resource = readJson(join(r4Dir, file)) as Canonical;
    add(resource, file, false);
    if (resource.resourceType === "StructureDefinition") coreSds.push(resource);
  }

  const projectSds: StructureDefinition[] = [];
  const projectVs: ValueSet[] = [];
  const projectCs: CodeSystem[] = [];
  for (const file of readdirSync(profilesDir).sort()) {
    if (!file.endsWith(".json")) continue;
    const resource = readJson(join(profilesDir, file)) as Canonical;
    const expected = `${resource.resourceType}-${resource.id}.json`;
    if (file !== expected) throw new Error(`profiles/${file}: name it ${expected} (resourceType-id.json)`);
    add(resource, `profiles/${file}`, true);
    if (resource.resourceType === "StructureDefinition") projectSds.push(resource);
    else if (resource.resourceType === "ValueSet") projectVs.push(resource);
    else if (resource.resourceType === "CodeSystem") projectCs.push(resource);
    else throw new Error(`profiles/${file}: unexpected resourceType`);
  }

  const get = <T extends Canonical>(type: T["resourceType"], url: string): T | undefined => {
    const r = byUrl.get(unversioned(url));
    return r && r.resourceType === type ? (r as T) : undefined;
  };
  return {
    structureDefinition: (urlOrType) =>
      get<StructureDefinition>("StructureDefinition", urlOrType.includes("/") ? urlOrType : R4_SD_BASE + urlOrType),
    valueSet: (url) => get<ValueSet>("ValueSet", url),
    codeSystem: (url) => get<CodeSystem>("CodeSystem", url),
    projectStructureDefinitions: projectSds,
    coreStructureDefinitions: coreSds,
    projectValueSets: projectVs,
    projectCodeSystems: projectCs,
  };
}

/** The snapshot elements of an R4 core type; throws when the type is unknown. */
export function snapshotOf(defs: Definitions, urlOrType: string): ElementDefinition[] {
  const sd = defs.structureDefinition(urlOrType);
  if (!sd?.snapshot) throw new Error(`No StructureDefinition snapshot for ${urlOrType}`);
  return sd.snapshot.element;
}
