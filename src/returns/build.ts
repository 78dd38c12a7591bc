/** The return builder the jobs call: dispatches on `request.kind` to the builder of that return. */
import { badRequest } from "../fhir/errors.js";
import { buildCinCensus } from "./builders/cin-census.js";
import { buildHiddenHarm } from "./builders/hidden-harm.js";
import { buildMhChildren } from "./builders/mh-children.js";
import { buildNdtms } from "./builders/ndtms.js";
import { RETURN_KINDS, type ReturnBuilder } from "./port.js";

/** Builds any return kind (docs/RETURNS.md); 400 for an unknown kind. */
export const buildReturn: ReturnBuilder = async (request, context) => {
  switch (request.kind) {
    case "mh-children":
      return buildMhChildren(request, context);
    case "cin-census":
    case "cin-census-analytic":
      return buildCinCensus(request, context);
    case "ndtms":
      return buildNdtms(request, context);
    case "hidden-harm":
      return buildHiddenHarm(request, context);
    default:
      throw badRequest(`Unknown return kind; expected one of ${RETURN_KINDS.join(", ")}`, ["kind"]);
  }
};
