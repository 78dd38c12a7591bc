/** JSON Patch (RFC 6902) for the FHIR patch interaction: checks the operations, applies them to a copy with fast-json-patch. */
// The default import works everywhere: Node loads the package's CommonJS build (no named ESM exports), bundlers
// (wrangler, vitest) its ESM build, whose default export carries the same functions.
import jsonpatch, { type Operation } from "fast-json-patch";
import { badRequest, GatewayError } from "./errors.js";
import { parseClientJson } from "./json-text.js";

/** The operations RFC 6902 defines (fast-json-patch also knows an internal `_get`, which a client may not send). */
const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/** Largest number of operations one patch may carry. */
export const MAX_PATCH_OPERATIONS = 1000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A JSON pointer as a FHIRPath-like location (`/name/0/family` → `Patient.name[0].family`) for issue expressions.
 * Segments that are not element names or indexes are left out, so no client-supplied value is echoed.
 */
export function pointerToExpression(resourceType: string, pointer: string): string {
  let out = resourceType;
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d{1,6}$/.test(seg)) out += `[${seg}]`;
    else if (seg === "-") out += "[last]";
    else if (/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(seg)) out += `.${seg}`;
    else return `${out}.(…)`;
  }
  return out;
}

/** The location of operation `i` for issues: the operation's index and, when readable, the element it names. */
function opIssue(status: number, code: string, i: number, op: unknown, resourceType: string, what: string) {
  const path = isObject(op) && typeof op.path === "string" ? op.path : undefined;
  const name = isObject(op) && typeof op.op === "string" && OPS.has(op.op) ? op.op : "operation";
  return new GatewayError(status, code, [
    {
      severity: "error",
      code: status === 400 ? "invalid" : "processing",
      diagnostics: `JSON Patch operation ${i} (${name}): ${what}`,
      expression: [path !== undefined ? pointerToExpression(resourceType, path) : resourceType],
    },
  ]);
}

/**
 * Checks that `body` is a JSON Patch document: an array of RFC 6902 operations, each with the members its op needs.
 * Throws 400 with the index of the first bad operation.
 */
export function parseJsonPatch(body: unknown, resourceType: string): Operation[] {
  if (!Array.isArray(body)) throw badRequest("A JSON Patch body is an array of operations (RFC 6902)");
  if (body.length > MAX_PATCH_OPERATIONS) {
    throw badRequest(`A JSON Patch may carry at most ${MAX_PATCH_OPERATIONS} operations`);
  }
  body.forEach((op: unknown, i) => {
    const bad = (what: string) => opIssue(400, "bad-request", i, op, resourceType, what);
    if (!isObject(op)) throw bad("is not an object");
    if (typeof op.op !== "string" || !OPS.has(op.op)) {
      throw bad("op must be add, remove, replace, move, copy or test");
    }
    if (typeof op.path !== "string" || (op.path !== "" && !op.path.startsWith("/"))) {
      throw bad("path must be a JSON pointer ('' or starting with '/')");
    }
    if ((op.op === "move" || op.op === "copy") && (typeof op.from !== "string" || !/^(\/|$)/.test(op.from))) {
      throw bad("from must be a JSON pointer");
    }
    if ((op.op === "add" || op.op === "replace" || op.op === "test") && !("value" in op)) {
      throw bad("value is required");
    }
  });
  return body as Operation[];
}

/**
 * Applies `ops` to a deep copy of `resource` and returns the result; `resource` is never changed. A failed `test`,
 * a path that does not exist or a change of `resourceType` or `id` is a 422 naming the operation.
 */
export function applyJsonPatch(resource: Record<string, unknown>, ops: Operation[]): Record<string, unknown> {
  const type = String(resource.resourceType);
  let result: unknown;
  try {
    // Validate each operation against the document as it is applied; the copy (not the stored resource) changes.
    result = jsonpatch.applyPatch(
      jsonpatch.deepClone(resource),
      jsonpatch.deepClone(ops),
      true,
      true,
      true,
    ).newDocument;
  } catch (err) {
    if (err instanceof jsonpatch.JsonPatchError) {
      const i = typeof err.index === "number" ? err.index : 0;
      const what =
        err.name === "TEST_OPERATION_FAILED"
          ? "the test failed: the element does not have the given value"
          : err.name === "OPERATION_FROM_UNRESOLVABLE"
            ? "from names an element that does not exist"
            : err.name === "OPERATION_VALUE_OUT_OF_BOUNDS" || err.name === "OPERATION_PATH_ILLEGAL_ARRAY_INDEX"
              ? "the array index is out of range or not a number"
              : "path names an element that does not exist";
      throw opIssue(422, "patch-failed", i, ops[i], type, what);
    }
    if (err instanceof TypeError) {
      // fast-json-patch refuses __proto__ / constructor.prototype paths with a TypeError.
      throw badRequest("JSON Patch may not touch __proto__ or constructor.prototype");
    }
    throw err;
  }
  if (!isObject(result)) {
    throw new GatewayError(422, "patch-failed", [
      { severity: "error", code: "processing", diagnostics: "The patch does not leave a resource (a JSON object)" },
    ]);
  }
  const changed = (key: "resourceType" | "id") => result[key] !== resource[key];
  if (changed("resourceType") || changed("id")) {
    const key = changed("resourceType") ? "resourceType" : "id";
    const i = ops.findIndex((o) => o.path === "" || o.path === `/${key}` || ("from" in o && o.from === `/${key}`));
    throw opIssue(
      422,
      "patch-changes-identity",
      Math.max(0, i),
      ops[Math.max(0, i)],
      type,
      `a patch may not change ${key}`,
    );
  }
  return result;
}

/**
 * The JSON Patch carried by a transaction entry (http://hl7.org/fhir/R4/http.html#patch): a Binary resource whose
 * `contentType` is `application/json-patch+json` and whose `data` is the base64 patch document. `where` locates
 * the entry in issues (e.g. `Bundle.entry[2].resource`).
 */
export function jsonPatchFromBinary(binary: unknown, resourceType: string, where: string): Operation[] {
  const bad = (what: string, at = where) => badRequest(what, [at]);
  if (!isObject(binary) || binary.resourceType !== "Binary") {
    throw bad("A PATCH entry carries its JSON Patch as a Binary resource");
  }
  const contentType = typeof binary.contentType === "string" ? binary.contentType.split(";")[0]?.trim() : undefined;
  if (contentType !== "application/json-patch+json") {
    throw bad(
      "The Binary's contentType must be application/json-patch+json (FHIRPath Patch is not supported)",
      `${where}.contentType`,
    );
  }
  if (typeof binary.data !== "string") throw bad("The Binary must carry the patch in data (base64)", `${where}.data`);
  let text: string;
  try {
    const bytes = Uint8Array.from(atob(binary.data.replace(/\s+/g, "")), (ch) => ch.charCodeAt(0));
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw bad("The Binary's data is not base64 of a UTF-8 JSON document", `${where}.data`);
  }
  const ops = parseClientJson(text, "The Binary's data", [`${where}.data`]);
  try {
    return parseJsonPatch(ops, resourceType);
  } catch (err) {
    if (err instanceof GatewayError) {
      throw new GatewayError(
        err.status,
        err.code,
        err.issues.map((i) => ({ ...i, diagnostics: `${where}: ${i.diagnostics}` })),
      );
    }
    throw err;
  }
}
