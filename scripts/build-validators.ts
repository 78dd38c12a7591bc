/**
 * Build step: profiles/ + the HL7 R4 snapshots → JSON Schemas → ajv standalone validators in
 * src/fhir/validation/generated/ (no code generation at run time; DESIGN.md rule 2).
 *
 *   npm run build:validators          regenerate the committed files
 *   npm run check:generated           regenerate into a temporary folder and fail if the committed files differ
 *   tsx scripts/build-validators.ts --out <dir> [--verbose]
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RESOURCE_TYPES } from "../src/fhir/resource-types.js";
import { buildBaseLayer } from "./validators/base-schemas.js";
import { loadDefinitions, R4_PACKAGE_DIR } from "./validators/definitions.js";
import { emit, emitInvariants, emitSchemas, type GeneratedFiles } from "./validators/emit.js";
import { buildInvariantTable, r4TypeNames } from "./validators/invariants.js";
import { buildProfileLayer } from "./validators/profile-schemas.js";

const GENERATED_DIR = "src/fhir/validation/generated";

/** Runs the whole build and returns the files and a summary. */
export function buildValidators(root = process.cwd()) {
  const started = performance.now();
  const defs = loadDefinitions(join(root, R4_PACKAGE_DIR), join(root, "profiles"));
  const { resources, complex } = r4TypeNames(defs, defs.coreStructureDefinitions);
  for (const t of RESOURCE_TYPES) if (!resources.includes(t)) throw new Error(`${t} is not an R4 resource type`);
  // Served types: compiled by ajv. Every R4 type ($validate works for all): the same schemas, as data.
  const base = buildBaseLayer(defs, RESOURCE_TYPES);
  const everyType = buildBaseLayer(defs, resources);
  const profiles = buildProfileLayer(defs, RESOURCE_TYPES);
  const invariants = buildInvariantTable(
    defs,
    [...complex, ...resources],
    [...profiles.coreProfiles, ...defs.projectStructureDefinitions],
  );
  const files = {
    ...emit(base, profiles, RESOURCE_TYPES),
    ...emitInvariants(invariants),
    ...emitSchemas(everyType, resources),
  };
  return { files, base, profiles, invariants, resources, ms: Math.round(performance.now() - started) };
}

function write(dir: string, files: GeneratedFiles) {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

function main(args: string[]) {
  const check = args.includes("--check");
  const verbose = args.includes("--verbose");
  const outAt = args.indexOf("--out");
  const { files, base, profiles, invariants, resources, ms } = buildValidators();
  const kb = (s: string) => `${(Buffer.byteLength(s) / 1024).toFixed(0)} KiB`;

  if (check) {
    const temp = mkdtempSync(join(tmpdir(), "tfg-validators-"));
    try {
      write(temp, files);
      const committed = existsSync(GENERATED_DIR) ? readdirSync(GENERATED_DIR).sort() : [];
      const problems: string[] = [];
      for (const name of Object.keys(files).sort()) {
        const path = join(GENERATED_DIR, name);
        if (!existsSync(path)) problems.push(`${path} is missing`);
        else if (readFileSync(path, "utf8") !== readFileSync(join(temp, name), "utf8"))
          problems.push(`${path} is stale`);
      }
      for (const name of committed)
        if (!(name in files)) problems.push(`${join(GENERATED_DIR, name)} is not generated`);
      if (problems.length) {
        console.error(
          `Generated validators differ from profiles/:\n  ${problems.join("\n  ")}\nRun: npm run build:validators`,
        );
        process.exit(1);
      }
      console.log(`generated validators: up to date (${Object.keys(files).length} files, checked in ${ms} ms)`);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
    return;
  }

  const dir = outAt >= 0 ? (args[outAt + 1] as string) : GENERATED_DIR;
  write(dir, files);
  console.log(`validators written to ${dir} in ${ms} ms`);
  for (const [name, text] of Object.entries(files)) console.log(`  ${name}: ${kb(text)}`);
  console.log(
    `  base layer: ${RESOURCE_TYPES.length} served resource types compiled, ${resources.length} R4 types as schemas, ${Object.keys(base.definitions).length} definitions, ` +
      `${base.checkedBindings.length} required bindings checked, ${base.uncheckedBindings.length} not enumerable`,
  );
  console.log(
    `  profile layer: ${profiles.profiles.length} profiles, ${profiles.extensions.length} extensions, ${profiles.coreCatalog.length} R4 core profiles`,
  );
  console.log(
    `  invariants: ${invariants.invariants.length} evaluated by FHIRPath, ${invariants.skipped.length} not evaluated (--verbose lists them)`,
  );
  if (verbose) {
    console.log(`\nRequired bindings not checked (base):\n  ${base.uncheckedBindings.join("\n  ")}`);
    console.log(`\nProfile content not checked:\n  ${profiles.notChecked.join("\n  ")}`);
    console.log(`\nInvariants not evaluated:\n  ${invariants.skipped.join("\n  ")}`);
  }
}

main(process.argv.slice(2));
