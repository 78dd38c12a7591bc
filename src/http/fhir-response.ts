/** Helpers to read FHIR JSON request bodies and write FHIR JSON responses. */
import type { Context } from "hono";
import { badRequest, unsupportedMediaType } from "../fhir/errors.js";
import { parseClientJson } from "../fhir/json-text.js";
import type { StoredVersion } from "../store/port.js";

/** The media type of every FHIR response. */
export const FHIR_JSON = "application/fhir+json; charset=utf-8";

const ACCEPTED = new Set(["application/fhir+json", "application/json", "application/json+fhir"]);

/** Sends a FHIR JSON body with `status` and extra headers. */
export function fhirJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": FHIR_JSON, ...headers } });
}

/** Sends a stored resource: its stored JSON as it is when the store has it, without parsing and re-serialising. */
export function fhirResource(v: StoredVersion, status = 200, headers: Record<string, string> = {}): Response {
  const body = v.json ?? JSON.stringify(v.resource);
  return new Response(body as ConstructorParameters<typeof Response>[0], {
    status,
    headers: { "Content-Type": FHIR_JSON, ...headers },
  });
}

/** Reads and parses a FHIR JSON body: 415 for another media type, 400 for malformed or too deeply nested JSON. */
export async function readFhirJson(c: Context): Promise<unknown> {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (!ACCEPTED.has(type)) {
    throw unsupportedMediaType("Send the body as application/fhir+json or application/json");
  }
  const text = await c.req.text();
  if (text.trim() === "") throw badRequest("The request body is empty");
  return parseClientJson(text);
}

/** The client's `Prefer: return=` choice. */
export function preferReturn(c: Context): "minimal" | "representation" | "OperationOutcome" {
  const m = /return=(minimal|representation|OperationOutcome)/.exec(c.req.header("Prefer") ?? "");
  return (m?.[1] as "minimal" | "representation" | "OperationOutcome" | undefined) ?? "representation";
}
