/**
 * Validation cost per resource on the golden mapping outputs (NDTMS, CPA, CIN): the generated ajv layers alone
 * vs the whole validateResource (plus ele-1/ext-1/surrogates and the FHIRPath invariants). Runs ÷ time.
 * `npx tsx bench/validation.ts` runs it alone; `npm run bench` includes it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { baseValidators, profileValidators } from "../src/fhir/validation/generated/validators.generated.js";
import { validateResource } from "../src/fhir/validation/index.js";

const GOLDEN: [string, string][] = [
  ["NDTMS", "tests/golden/ndtms/expected.json"],
  ["CPA", "tests/golden/cpa/expected.json"],
  ["CIN", "tests/golden/cin/expected-2026.json"],
];

type Json = Record<string, unknown>;

function resourcesOf(file: string): Json[] {
  const records = JSON.parse(readFileSync(file, "utf8")) as { resources?: { resource: Json }[] }[];
  return records.flatMap((r) => (r.resources ?? []).map((x) => x.resource));
}

/**
 * Microseconds per resource for `f` over `resources`: runs ÷ time over rounds of about `ms / 5` milliseconds,
 * alternating with the other task by the caller; the fastest round is reported (the machine is shared).
 */
function perResource(resources: Json[], f: (r: Json) => unknown, ms: number): number {
  for (const r of resources) f(r);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    let runs = 0;
    const started = performance.now();
    let elapsed = 0;
    do {
      for (const r of resources) f(r);
      runs += resources.length;
      elapsed = performance.now() - started;
    } while (elapsed < ms / 5);
    best = Math.min(best, (elapsed * 1000) / runs);
  }
  return best;
}

/** The ajv layers alone (base + claimed profiles): what validation cost before invariants were evaluated. */
function ajvLayers(r: Json): void {
  baseValidators[String(r.resourceType)]?.(r);
  for (const url of ((r.meta as Json | undefined)?.profile as string[] | undefined) ?? []) profileValidators[url]?.(r);
}

/** The Markdown table for docs/BENCHMARKS.md. */
export function validationBench(ms = Number(process.env.BENCH_TIME_MS ?? 1500)): string {
  const rows = [
    "\n### Validation per resource (golden mapping outputs; µs per resource = time ÷ runs, fastest of 15 rounds)\n",
    "| source | resources | ajv layers only µs | validateResource µs (+ ele-1/ext-1/surrogates + FHIRPath invariants) | added µs | added |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const [name, file] of GOLDEN) {
    const resources = resourcesOf(file);
    let before = Number.POSITIVE_INFINITY;
    let all = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      before = Math.min(before, perResource(resources, ajvLayers, ms / 3));
      all = Math.min(
        all,
        perResource(resources, (r) => validateResource(r), ms / 3),
      );
    }
    const added = all - before;
    rows.push(
      `| ${name} | ${resources.length} | ${before.toFixed(1)} | ${all.toFixed(1)} | ${added.toFixed(1)} | ${((added / before) * 100).toFixed(0)} % |`,
    );
  }
  return rows.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(validationBench());
