/** The one error path: every failure becomes an OperationOutcome with the right status (DESIGN.md rule 4). */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { GatewayError, notFound } from "../fhir/errors.js";
import { operationOutcome } from "../fhir/operation-outcome.js";
import { StoreBusyError } from "../store/port.js";
import type { AppEnv } from "./context.js";
import { fhirJson } from "./fhir-response.js";

/**
 * Status recorded for a request whose client went away before it was answered (nginx's "client closed
 * request"): nobody receives the response, and it is not a server fault, so it is never logged as a 500.
 */
export const CLIENT_CLOSED = 499;

/** Hono `onError`: GatewayError → its status; anything else → 500 with no detail (the log has the cause). */
export function onError(err: Error, c: Context<AppEnv>): Response {
  if (c.req.raw.signal?.aborted) {
    // Reading the body failed (or work was cut short) because the client disconnected.
    c.get("logger")?.info({ requestId: c.get("requestId") }, "client disconnected before the response");
    return fhirJson(
      operationOutcome([{ severity: "error", code: "incomplete", diagnostics: "The client closed the connection" }]),
      CLIENT_CLOSED,
    );
  }
  if (err instanceof GatewayError) {
    return fhirJson(operationOutcome(err.issues), err.status, err.headers);
  }
  if (err instanceof StoreBusyError) {
    c.get("logger")?.warn({ requestId: c.get("requestId") }, "database busy with another writer: 503");
    return fhirJson(
      operationOutcome([
        {
          severity: "error",
          code: "transient",
          diagnostics: "The database is busy; nothing was written. Retry shortly",
        },
      ]),
      503,
      { "Retry-After": "5" },
    );
  }
  if (err instanceof HTTPException && err.status < 500) {
    return fhirJson(
      operationOutcome([{ severity: "error", code: "invalid", diagnostics: "The request could not be processed" }]),
      err.status,
    );
  }
  const logger = c.get("logger");
  logger?.error({ err, requestId: c.get("requestId") }, "unhandled error");
  return fhirJson(
    operationOutcome([
      {
        severity: "fatal",
        code: "exception",
        diagnostics: `Internal error; quote request id ${c.get("requestId") ?? "unknown"}`,
      },
    ]),
    500,
  );
}

/** Hono `notFound`: an unknown route is a 404 OperationOutcome. */
export function onNotFound(): Response {
  const e = notFound("No route matches this request");
  return fhirJson(operationOutcome(e.issues), 404);
}
