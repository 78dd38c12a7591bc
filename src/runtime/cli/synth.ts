/**
 * `npm run synth -- --households N --seed S --out DIR [--cin-year 2024|2025|2026] [--invalid-nhs]`:
 * writes a synthetic population in the CPA, NDTMS and CIN formats plus ground truth and a
 * manifest (docs/SYNTH.md). Same options, same bytes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { CIN_YEARS, type CinYear, DEFAULT_OPTIONS } from "../../synth/config.js";
import { generate } from "../../synth/generate.js";

const USAGE = `Usage: npm run synth -- --households N [--seed S] [--out DIR] [--cin-year 2024|2025|2026] [--invalid-nhs]
  --households N      number of households (1 or more)
  --seed S            any text; the same seed and options give byte-identical files (default ${DEFAULT_OPTIONS.seed})
  --out DIR           output folder, created if needed (default ./synth-out)
  --cin-year YEAR     CIN census collection year and schema (default ${DEFAULT_OPTIONS.cinYear}); fixes the reference date 31 March YEAR
  --invalid-nhs       make mistyped NHS numbers fail the check digit (the gateway rejects those records);
                      by default a mistype is a wrong number that passes it, and every record ingests`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function main(): void {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse().values;
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const households = Number(values.households);
  if (!values.households || !Number.isInteger(households) || households < 1)
    fail("--households must be a whole number of at least 1");
  const cinYear = Number(values["cin-year"] ?? DEFAULT_OPTIONS.cinYear) as CinYear;
  if (!CIN_YEARS.includes(cinYear)) fail(`--cin-year must be one of ${CIN_YEARS.join(", ")}`);
  const out = values.out ?? "synth-out";
  const started = performance.now();
  const result = generate({
    households,
    seed: values.seed ?? DEFAULT_OPTIONS.seed,
    cinYear,
    invalidNhs: values["invalid-nhs"] === true,
  });
  for (const file of result.files) {
    const path = join(out, ...file.path.split("/"));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${result.summary}; ${result.files.length} files in ${out} (${seconds} s)`);
}

function parse() {
  return parseArgs({
    options: {
      households: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      "cin-year": { type: "string" },
      "invalid-nhs": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
}

main();
