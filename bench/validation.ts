/**
 * Validation cost per resource on the golden mapping outputs (NDTMS, CPA, CIN): the generated ajv layers alone
 * vs the whole validateResource (plus ele-1/ext-1/surrogates and the FHIRPath invariants). Runs ÷ time.
 * `npx tsx bench/validation.ts` runs it alone; `npm run bench` includes it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { validateResource } from "../src/fhir/validation/index.js";
import { checkInvariants } from "../src/fhir/validation/invariants.js";
import { checkNative } from "../src/fhir/validation/native-checks.js";

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

/** Microseconds per resource for `f` over `resources`, repeated for at least `ms` milliseconds. */
function perResource(resources: Json[], f: (r: Json) => unknown, ms: number): number {
  for (const r of resources) f(r);
  let runs = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (const r of resources) f(r);
    runs += resources.length;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  return (elapsed * 1000) / runs;
}

/** The Markdown table for docs/BENCHMARKS.md. */
export function validationBench(ms = Number(process.env.BENCH_TIME_MS ?? 1500)): string {
  const rows = [
    "\n### Validation per resource (golden mapping outputs; µs per resource = time ÷ runs)\n",
    "| source | resources | validateResource µs | of which invariants + ele-1/ext-1/surrogates µs | share |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const [name, file] of GOLDEN) {
    const resources = resourcesOf(file);
    const all = perResource(resources, (r) => validateResource(r), ms);
    const added = perResource(
      resources,
      (r) => {
        checkNative(r, String(r.resourceType));
        const profiles = ((r.meta as Json | undefined)?.profile as string[] | undefined) ?? [];
        checkInvariants(
          r,
          profiles.map((u) => [u, u]),
        );
      },
      ms,
    );
    rows.push(
      `| ${name} | ${resources.length} | ${all.toFixed(1)} | ${added.toFixed(1)} | ${((added / all) * 100).toFixed(0)} % |`,
    );
  }
  return rows.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(validationBench());
