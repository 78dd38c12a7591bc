/**
 * The child identifiers `$household-check` accepts (docs/LOOKUPS.md): a FHIR Parameters body with `nhsNumber`, or
 * `laChildId`, or `name` + `birthDate` + `postcode`. Bad input is a 400 naming the parameter; no message ever
 * repeats a value the caller sent.
 */
import { badRequest } from "../fhir/errors.js";
import { normaliseNhsNumber } from "../fhir/nhs-number.js";

/** How the child is identified. */
export type ChildQuery =
  | { kind: "nhs-number"; nhsNumber: string }
  | { kind: "la-child-id"; value: string }
  | { kind: "demographics"; family: string; given?: string; birthDate: string; postcode: string };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;

/** The parameter names the operation reads. */
export const CHILD_QUERY_PARAMS = ["nhsNumber", "laChildId", "name", "birthDate", "postcode"] as const;

const POSTCODE = /^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/;

/** The one string value of parameter `name` (valueString, valueIdentifier.value, valueDate, or a HumanName's text). */
function parameterValue(p: Json, name: string): string | HumanNameValue {
  const where = [`Parameters.parameter[name=${name}]`];
  const keys = Object.keys(p).filter((k) => k.startsWith("value"));
  if (keys.length !== 1) throw badRequest(`Parameter ${name} must have exactly one value[x]`, where);
  const key = keys[0] as string;
  const v = p[key];
  if (key === "valueString" || key === "valueDate" || key === "valueCode") {
    if (typeof v !== "string" || v.trim() === "") throw badRequest(`Parameter ${name} is empty`, where);
    return v.trim();
  }
  if (key === "valueIdentifier") {
    const value = obj(v)?.value;
    if (typeof value !== "string" || value.trim() === "")
      throw badRequest(`Parameter ${name} has no identifier value`, where);
    return value.trim();
  }
  if (key === "valueHumanName") {
    const n = obj(v);
    const family = typeof n?.family === "string" ? n.family.trim() : "";
    const given = Array.isArray(n?.given) && typeof n.given[0] === "string" ? n.given[0].trim() : "";
    if (!family) throw badRequest(`Parameter ${name} needs a family name`, where);
    return { family, ...(given ? { given } : {}) };
  }
  throw badRequest(`Parameter ${name} has an unsupported type (${key})`, where);
}

interface HumanNameValue {
  family: string;
  given?: string;
}

/** Reads a `$household-check` Parameters body into a {@link ChildQuery}, or throws a 400 naming the parameter. */
export function parseChildQuery(body: unknown): ChildQuery {
  const params = obj(body);
  if (params?.resourceType !== "Parameters")
    throw badRequest("The body must be a FHIR Parameters resource", ["Parameters"]);
  const list = params.parameter;
  if (list !== undefined && !Array.isArray(list))
    throw badRequest("Parameters.parameter must be an array", ["Parameters.parameter"]);
  const seen = new Map<string, string | HumanNameValue>();
  for (const [i, raw] of (list ?? []).entries()) {
    const p = obj(raw);
    const name = p?.name;
    if (typeof name !== "string" || !(CHILD_QUERY_PARAMS as readonly string[]).includes(name))
      throw badRequest(`Parameters.parameter[${i}] is not one of ${CHILD_QUERY_PARAMS.join(", ")}`, [
        `Parameters.parameter[${i}].name`,
      ]);
    if (seen.has(name))
      throw badRequest(`Parameter ${name} is given more than once`, [`Parameters.parameter[name=${name}]`]);
    seen.set(name, parameterValue(p as Json, name));
  }
  const text = (name: string): string | undefined => {
    const v = seen.get(name);
    if (v !== undefined && typeof v !== "string")
      throw badRequest(`Parameter ${name} must be a string`, [`Parameters.parameter[name=${name}]`]);
    return v;
  };
  const nhs = text("nhsNumber");
  if (nhs !== undefined) {
    const n = normaliseNhsNumber(nhs);
    if (!n)
      throw badRequest("Parameter nhsNumber is not a valid NHS number (10 digits with a valid check digit)", [
        "Parameters.parameter[name=nhsNumber]",
      ]);
    return { kind: "nhs-number", nhsNumber: n };
  }
  const la = text("laChildId");
  if (la !== undefined) {
    if (la.length > 64)
      throw badRequest("Parameter laChildId is longer than 64 characters", ["Parameters.parameter[name=laChildId]"]);
    return { kind: "la-child-id", value: la };
  }
  if (seen.has("name") || seen.has("birthDate") || seen.has("postcode")) {
    for (const n of ["name", "birthDate", "postcode"])
      if (!seen.has(n))
        throw badRequest(`Parameter ${n} is required with name, birthDate and postcode`, [
          `Parameters.parameter[name=${n}]`,
        ]);
    const rawName = seen.get("name") as string | HumanNameValue;
    const name: HumanNameValue = typeof rawName === "string" ? { family: rawName } : rawName;
    const birthDate = text("birthDate") as string;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(birthDate) || Number.isNaN(Date.parse(birthDate)))
      throw badRequest("Parameter birthDate must be a full date YYYY-MM-DD", ["Parameters.parameter[name=birthDate]"]);
    const postcode = (text("postcode") as string).toUpperCase().replace(/\s+/g, " ");
    if (!POSTCODE.test(postcode))
      throw badRequest("Parameter postcode is not a UK postcode", ["Parameters.parameter[name=postcode]"]);
    const spaced = postcode.includes(" ") ? postcode : `${postcode.slice(0, -3)} ${postcode.slice(-3)}`;
    return { kind: "demographics", ...name, birthDate, postcode: spaced };
  }
  throw badRequest("Give nhsNumber, or laChildId, or name with birthDate and postcode", ["Parameters.parameter"]);
}
