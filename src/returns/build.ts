/** Placeholder until the builders land (replaced by the returns branch). */
import { GatewayError } from "../fhir/errors.js";
import type { ReturnBuilder } from "./port.js";

/** Builds a return of any kind. */
export const buildReturn: ReturnBuilder = async (request) => {
  throw new GatewayError(501, "not-implemented", [
    { severity: "error", code: "not-supported", diagnostics: `The ${request.kind} builder is not available` },
  ]);
};
