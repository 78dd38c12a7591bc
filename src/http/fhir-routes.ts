/** FHIR REST routes under /fhir: parse the request, call the ResourceService, render the response. */

import type { Bundle } from "fhir/r4";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { etagOf, historyBundle, searchsetBundle, transactionResponse, versionPath } from "../fhir/bundles.js";
import { capabilityStatement, type SoftwareInfo } from "../fhir/capability-statement.js";
import { badRequest, methodNotAllowed, notFound } from "../fhir/errors.js";
import { everythingQuery } from "../fhir/everything.js";
import { informational } from "../fhir/operation-outcome.js";
import { asResource, assertValidId } from "../fhir/resource-body.js";
import { parseIfMatch, type ResourceService } from "../fhir/resource-service.js";
import { runTransaction } from "../fhir/transaction.js";
import type { StoredVersion } from "../store/port.js";
import { requireJson } from "./accept.js";
import type { AppEnv } from "./context.js";
import { fhirJson, fhirResource, preferReturn, readFhirJson } from "./fhir-response.js";
import {
  historyHandler,
  OPERATION,
  patchHandler,
  readerOf,
  servedTypeGuard,
  unsupportedOperation,
} from "./interaction-routes.js";
import { publicBase } from "./public-base.js";
import { requestParams } from "./request-params.js";
import { VALIDATE_PATH, validateHandler } from "./validate-route.js";

/** What the FHIR routes need. */
export interface FhirRoutesDeps {
  service: ResourceService;
  software: SoftwareInfo;
  releaseDate: string;
  /** Fixed public base (e.g. `https://gw.example.nhs.uk/fhir`); derived from an allowed request host when absent. */
  baseUrl?: string;
  /** Hosts whose requests may build links when `baseUrl` is absent (src/http/public-base.ts). */
  allowedHosts: readonly string[];
}

/** The FHIR base URL for links, set by the public-base middleware. */
function baseOf(c: Context<AppEnv>): string {
  return c.get("base");
}

function versionHeaders(base: string, v: StoredVersion): Record<string, string> {
  return {
    ETag: etagOf(v),
    "Last-Modified": new Date(v.lastUpdated).toUTCString(),
    Location: `${base}/${versionPath(v)}`,
  };
}

function pagingOf(params: [string, string][], defaultCount: number, maxCount: number) {
  const get = (k: string) => params.find(([key]) => key === k)?.[1];
  const num = (k: string, d: number) => {
    const v = get(k);
    if (v === undefined) return d;
    if (!/^\d{1,9}$/.test(v)) throw badRequest(`${k} must be a non-negative integer below 1,000,000,000`, [k]);
    return Number(v);
  };
  return { count: Math.min(num("_count", defaultCount), maxCount), offset: num("_offset", 0) };
}

/** Builds the /fhir router. `auth` runs before everything except `GET /metadata`. */
export function fhirRoutes(deps: FhirRoutesDeps, auth: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
  const { service } = deps;
  const { defaultCount, maxCount } = service.deps.paging;
  const app = new Hono<AppEnv>({ strict: false });

  app.use("*", publicBase(deps.baseUrl, deps.allowedHosts));
  app.use("*", requireJson);
  app.get("/metadata", (c) => fhirJson(capabilityStatement(baseOf(c), deps.software, deps.releaseDate)));
  app.use("*", auth);
  app.use("/:type/*", servedTypeGuard);
  const reader = (c: Context<AppEnv>) => readerOf(service, c);
  const history = historyHandler(service, (c) => baseOf(c));
  app.get("/_history", history);
  app.get("/:type/_history", history);
  app.on(["POST", "PUT", "DELETE", "PATCH"], ["/_history", "/:type/_history", "/metadata"], () => {
    throw methodNotAllowed("This URL is read with GET");
  });
  app.all(`/:op${OPERATION}`, unsupportedOperation);

  const transaction = async (c: Context<AppEnv>) => {
    const body = await readFhirJson(c);
    if (!body || typeof body !== "object" || (body as { resourceType?: unknown }).resourceType !== "Bundle") {
      throw badRequest("POST to the base takes a Bundle", ["resourceType"]);
    }
    const bundle = body as Bundle;
    const base = baseOf(c);
    return fhirJson(transactionResponse(base, await runTransaction(service.as(c.get("actor")), bundle)));
  };
  app.post("/", transaction);

  const search = async (c: Context<AppEnv>, params: [string, string][]) => {
    const type = c.req.param("type") as string;
    const strict = /handling=strict/.test(c.req.header("Prefer") ?? "");
    const result = await reader(c).search(type, params, strict);
    const cursor = params.find(([k]) => k === "_cursor")?.[1];
    return fhirJson(
      searchsetBundle(baseOf(c), {
        type,
        ...result,
        count: result.request.count,
        ...(cursor ? { cursor } : {}),
      }),
    );
  };

  app.get("/:type", (c) => search(c, requestParams(c.req.url)));
  app.post("/:type/_search", async (c) => {
    const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim();
    if (type !== "application/x-www-form-urlencoded") {
      throw badRequest("POST _search takes an application/x-www-form-urlencoded body");
    }
    return search(c, requestParams(c.req.url, await c.req.text()));
  });

  app.post("/:type", async (c) => {
    const type = c.req.param("type");
    const resource = asResource(await readFhirJson(c), type);
    const v = await service.as(c.get("actor")).create(type, resource);
    return respondWrite(c, v, 201);
  });

  app.post(VALIDATE_PATH, validateHandler);
  app.get(`/Patient/:id/:op{(?:\\$|%24)everything}`, async (c) => {
    const id = c.req.param("id");
    assertValidId(id);
    const query = requestParams(c.req.url);
    const asked = everythingQuery(id, query);
    const result = await reader(c).search("Patient", asked.params);
    if (result.page.versions.length === 0) throw notFound(`Patient/${id} is not known`);
    const since = asked.since === undefined ? undefined : Date.parse(asked.since);
    const included =
      since === undefined ? result.included : result.included.filter((v) => Date.parse(v.lastUpdated) >= since);
    const full = result.included.length >= maxCount;
    const ignored = [
      ...asked.ignored,
      ...result.ignored.filter((i) => i.severity === "information"),
      ...(full
        ? [
            {
              severity: "warning" as const,
              code: "too-costly" as const,
              diagnostics: `More resources are in this patient's record than one answer holds (${maxCount}): narrow it with _type or _since`,
            },
          ]
        : []),
    ];
    const bundle = searchsetBundle(baseOf(c), { ...result, type: "Patient", count: 1, included, ignored });
    const self = new URL(`${baseOf(c)}/Patient/${id}/$everything`);
    for (const [k, v] of query) self.searchParams.append(k, v);
    return fhirJson({ ...bundle, total: 1 + included.length, link: [{ relation: "self", url: self.toString() }] });
  });
  app.all(`/:type/:op${OPERATION}`, unsupportedOperation);
  app.all(`/:type/:id/:op${OPERATION}`, unsupportedOperation);

  app.get("/:type/:id", async (c) => {
    const v = await reader(c).read(c.req.param("type"), c.req.param("id"));
    return fhirResource(v, 200, versionHeaders(baseOf(c), v));
  });

  app.put("/:type/:id", async (c) => {
    const type = c.req.param("type");
    const id = c.req.param("id");
    const resource = asResource(await readFhirJson(c), type);
    if (resource.id !== id) throw badRequest("The resource's id must match the id in the URL", ["id"]);
    const { version, created } = await service
      .as(c.get("actor"))
      .update(type, id, resource, parseIfMatch(c.req.header("If-Match")));
    return respondWrite(c, version, created ? 201 : 200);
  });

  app.delete("/:type/:id", async (c) => {
    await service
      .as(c.get("actor"))
      .delete(c.req.param("type"), c.req.param("id"), parseIfMatch(c.req.header("If-Match")));
    return c.body(null, 204);
  });

  app.get("/:type/:id/_history", async (c) => {
    const type = c.req.param("type");
    const id = c.req.param("id");
    const { count, offset } = pagingOf(requestParams(c.req.url), defaultCount, maxCount);
    const page = await reader(c).history(type, id, count, offset);
    return fhirJson(historyBundle(baseOf(c), type, id, page, count, offset));
  });

  app.get("/:type/:id/_history/:vid", async (c) => {
    const v = await reader(c).vread(c.req.param("type"), c.req.param("id"), c.req.param("vid"));
    return fhirResource(v, 200, versionHeaders(baseOf(c), v));
  });

  const patch = patchHandler(service);
  app.patch("/:type/:id", async (c) => respondWrite(c, await patch(c), 200));

  const notAllowed = () => {
    throw methodNotAllowed("This interaction is not supported on this URL");
  };
  app.on(["PUT", "DELETE", "PATCH"], "/", notAllowed);
  app.on(["PUT", "DELETE", "PATCH"], "/:type", notAllowed);
  app.on("POST", "/:type/:id", notAllowed);
  app.on(["POST", "PUT", "DELETE", "PATCH"], ["/:type/:id/_history", "/:type/:id/_history/:vid"], notAllowed);

  function respondWrite(c: Context<AppEnv>, v: StoredVersion, status: 200 | 201): Response {
    const headers = versionHeaders(baseOf(c), v);
    const prefer = preferReturn(c);
    if (prefer === "minimal") return new Response(null, { status, headers });
    if (prefer === "OperationOutcome") {
      return fhirJson(informational(`${v.resourceType}/${v.id} version ${v.versionId} stored`), status, headers);
    }
    return fhirResource(v, status, headers);
  }

  return app;
}
