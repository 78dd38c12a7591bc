/** Runs the generated validators: the R4 base layer by resourceType, then each project profile the resource claims or is asked for. */
import type { FhirIssue, IssueCode } from "../errors.js";
import { type CatalogEntry, CORE_PROFILE_CATALOG, PROFILE_CATALOG } from "./generated/catalog.generated.js";
import { R4_RESOURCE_TYPES, r4Schemas } from "./generated/schemas.generated.js";
import { baseValidators, type GeneratedValidator, profileValidators } from "./generated/validators.generated.js";
import { checkInvariants } from "./invariants.js";
import { dedupe, type Layer, toIssues } from "./issues.js";
import { checkNative } from "./native-checks.js";
import { interpret } from "./schema-interpreter.js";

/** Options for {@link validateResource}. */
export interface ValidateOptions {
  /** A profile URL to validate against, in addition to those in `meta.profile` (a `|version` suffix is ignored). */
  profile?: string;
  /** Also report best-practice invariants (dom-6, narrative) as warnings, as `$validate` does. */
  bestPractice?: boolean;
}

/** Project profiles and the R4 core profiles of served types (vital signs and others) the build compiled. */
const profilesByUrl = new Map<string, CatalogEntry>(
  [...PROFILE_CATALOG, ...CORE_PROFILE_CATALOG].map((p) => [p.url, p]),
);

const error = (code: IssueCode, diagnostics: string, expression?: string): FhirIssue => ({
  severity: "error",
  code,
  diagnostics,
  ...(expression ? { expression: [expression] } : {}),
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function run(validate: GeneratedValidator, resource: Record<string, unknown>, layer: Layer, root: string): FhirIssue[] {
  let valid: boolean;
  try {
    valid = validate(resource);
  } catch {
    // Only a pathological input (e.g. extensions nested thousands deep) can exhaust the stack.
    return [error("structure", "The resource is nested too deeply to validate", root)];
  }
  return valid ? [] : toIssues(validate.errors ?? [], layer, root);
}

const R4_TYPES = new Set(R4_RESOURCE_TYPES);

/** True when `type` is an R4 resource type, so a resource of it can be validated (served or not). */
export const canValidate = (type: string): boolean => R4_TYPES.has(type);

/** The interpreted base layer of a type the gateway does not serve (same schemas, not compiled). */
const interpreted = (type: string): GeneratedValidator => {
  const v: GeneratedValidator = (data: unknown) => {
    v.errors = interpret(r4Schemas(), type, data);
    return v.errors.length === 0;
  };
  return v;
};

/** The profile entry for a canonical URL (version suffix ignored), if the gateway defines it. */
export function findProfile(url: string): CatalogEntry | undefined {
  return profilesByUrl.get(url.split("|")[0] as string);
}

/**
 * Checks `resource` against the FHIR R4 base definition of its type only (structure, types, cardinality,
 * primitive formats, required bindings that can be enumerated). See docs/VALIDATION.md.
 */
export function validateBase(resource: unknown): FhirIssue[] {
  if (!isObject(resource)) return [error("structure", "A resource must be a JSON object")];
  const type = resource.resourceType;
  if (typeof type !== "string") return [error("structure", "resourceType is missing or not a string", "resourceType")];
  if (!canValidate(type)) {
    return [error("not-supported", "The resource type is not one this gateway validates", "resourceType")];
  }
  const validator = Object.hasOwn(baseValidators, type)
    ? (baseValidators[type] as GeneratedValidator)
    : interpreted(type);
  const issues = run(validator, resource, { kind: "base" }, type);
  if (issues.some((i) => i.diagnostics.startsWith("The resource is nested too deeply"))) return issues;
  issues.push(...checkNative(resource, type));
  return dedupe(issues);
}

/**
 * Validates a FHIR resource (http://hl7.org/fhir/R4/validation.html): the R4 base layer for its `resourceType`,
 * then the profile layer for every URL in `meta.profile` and for `options.profile`. Collects every issue; an
 * empty array means valid. A profile URL the gateway does not define is an error issue (it cannot be checked).
 * Diagnostics never quote values from the resource.
 */
export function validateResource(resource: unknown, options: ValidateOptions = {}): FhirIssue[] {
  const issues = validateBase(resource);
  if (!isObject(resource) || typeof resource.resourceType !== "string") return issues;
  const type = resource.resourceType;
  if (!canValidate(type)) return issues;

  const claimed: { url: string; at?: string }[] = [];
  if (options.profile !== undefined) claimed.push({ url: options.profile });
  const meta = resource.meta;
  if (isObject(meta) && Array.isArray(meta.profile)) {
    meta.profile.forEach((url, i) => {
      if (typeof url === "string") claimed.push({ url, at: `${type}.meta.profile[${i}]` });
    });
  }
  const done = new Set<string>();
  const invariantProfiles: [string, string][] = [];
  for (const { url, at } of claimed) {
    const entry = findProfile(url);
    if (!entry) {
      issues.push(
        error(
          "not-supported",
          at
            ? "A profile in meta.profile is not defined by this gateway, so the resource cannot be checked against it"
            : "The requested profile is not defined by this gateway",
          at,
        ),
      );
      continue;
    }
    if (done.has(entry.url)) continue;
    done.add(entry.url);
    if (entry.type !== type) {
      issues.push(error("invalid", `Profile ${entry.id} is for ${entry.type} resources, not ${type}`, at ?? type));
      continue;
    }
    const validate = profileValidators[entry.url] as GeneratedValidator;
    issues.push(...run(validate, resource, { kind: "profile", id: entry.id }, type));
    invariantProfiles.push([entry.url, entry.id]);
  }
  if (!issues.some((i) => i.diagnostics.startsWith("The resource is nested too deeply"))) {
    issues.push(...checkInvariants(resource, invariantProfiles, { bestPractice: options.bestPractice === true }));
  }
  return dedupe(issues);
}
