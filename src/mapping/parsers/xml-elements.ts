/**
 * Streaming XML into plain records with saxes (a non-validating parser that never fetches or
 * expands external entities). A DOCTYPE is refused outright, so no DTD or entity definition is
 * ever read. Elements at a chosen depth become records: child elements become keys, repeated or
 * listed elements become arrays, text becomes strings; attributes are ignored.
 */
import { SaxesParser } from "saxes";
import type { FhirIssue } from "../../fhir/errors.js";
import { type ByteSource, decoded } from "./text.js";

/** What the XML reader yields. */
export type XmlEvent =
  | { kind: "header"; value: Record<string, unknown> }
  | { kind: "element"; index: number; value: Record<string, unknown> }
  | { kind: "fatal"; issue: FhirIssue };

/** Which elements to collect. */
export interface XmlShape {
  /** Root element name, e.g. `Message`. */
  root: string;
  /** Element path (from the root) of a header to capture whole, e.g. `Message/Header`. */
  header?: string;
  /** Element path of the repeated records, e.g. `Message/Children/Child`. */
  record: string;
  /** Element names that always become arrays, even when they occur once. */
  arrays: ReadonlySet<string>;
}

interface Frame {
  name: string;
  value: Record<string, unknown>;
  text: string;
  hasChildren: boolean;
}

/**
 * The kind of a saxes well-formedness error, without what follows its first colon: saxes names the
 * offending tag there ("unclosed tag: X"), and a tag name can carry data from the file.
 */
export function describeSaxError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const kind = message
    .replace(/^(?:[^:]*:)?\d+:\d+:\s*/, "")
    .split(":")[0]
    ?.replace(/[.\s]+$/, "")
    .slice(0, 60);
  return kind || "syntax error";
}

/** Streams records out of an XML document of the given shape. */
export async function* readXmlElements(source: ByteSource, shape: XmlShape): AsyncGenerator<XmlEvent> {
  const parser = new SaxesParser({ position: true });
  const ready: XmlEvent[] = [];
  const stack: Frame[] = [];
  let failure: FhirIssue | undefined;
  let count = 0;
  let sawRoot = false;
  const path = () => stack.map((f) => f.name).join("/");
  const fail = (diagnostics: string) => {
    failure ??= { severity: "fatal", code: "structure", diagnostics, expression: [`line ${parser.line}`] };
  };

  parser.on("doctype", () => fail("A DOCTYPE is not accepted: DTDs and entity definitions are refused"));
  parser.on("error", (err) => fail(`The file is not well-formed XML (${describeSaxError(err)})`));
  parser.on("opentag", (tag) => {
    if (stack.length === 0) {
      sawRoot = true;
      if (tag.name !== shape.root) fail(`The root element must be ${shape.root}`);
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.hasChildren = true;
    stack.push({ name: tag.name, value: {}, text: "", hasChildren: false });
  });
  parser.on("text", (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on("cdata", (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on("closetag", () => {
    if (failure) return;
    const where = path();
    const frame = stack.pop() as Frame;
    const value: unknown = frame.hasChildren ? frame.value : frame.text.trim();
    if (where === shape.record) {
      count++;
      ready.push({ kind: "element", index: count, value: frame.value });
      return;
    }
    if (where === shape.header) {
      ready.push({ kind: "header", value: frame.value });
      return;
    }
    const parent = stack[stack.length - 1];
    if (!parent || path() === shape.record.split("/").slice(0, -1).join("/")) return;
    const existing = parent.value[frame.name];
    if (shape.arrays.has(frame.name)) {
      parent.value[frame.name] = [...((existing as unknown[] | undefined) ?? []), value];
    } else if (existing !== undefined) {
      parent.value[frame.name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    } else {
      parent.value[frame.name] = value;
    }
  });

  for await (const chunk of decoded(source)) {
    try {
      parser.write(chunk);
    } catch {
      fail("The file is not well-formed XML");
    }
    yield* ready.splice(0);
    if (failure) {
      yield { kind: "fatal", issue: failure };
      return;
    }
  }
  try {
    parser.close();
  } catch {
    fail("The file is not well-formed XML");
  }
  yield* ready.splice(0);
  if (!failure && !sawRoot) fail("The file is empty");
  if (failure) yield { kind: "fatal", issue: failure };
}
