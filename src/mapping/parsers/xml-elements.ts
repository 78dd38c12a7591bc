/**
 * Streaming XML into plain records with saxes (a non-validating parser that never fetches or
 * expands external entities). A DOCTYPE is refused outright, so no DTD or entity definition is
 * ever read. Elements at a chosen depth become records: child elements become keys, repeated or
 * listed elements become arrays, text becomes strings; attributes are ignored. Only the header and
 * the records are built; anything else is read and dropped. Linear in the input: a record nested
 * deeper than the limit, longer than the limit, or holding invalid UTF-8 is rejected alone (the rest of
 * it is read without being built), and nesting past the limit outside a record stops the file.
 */
import { SaxesParser } from "saxes";
import type { FhirIssue } from "../../fhir/errors.js";
import { READER_LIMITS, REPLACEMENT_CHAR, type ReaderLimits } from "./limits.js";
import { type ByteSource, decoded, PARSER_PIECE_CHARS } from "./text.js";

/** Why a record was not built: what was wrong, and where inside it (`CINdetails[1]/Assessments[2]`, "" for the record itself). */
export interface XmlProblem {
  diagnostics: string;
  path: string;
}

/** What the XML reader yields. An element with a `problem` was not built (its `value` is empty). */
export type XmlEvent =
  | { kind: "header"; value: Record<string, unknown> }
  | { kind: "element"; index: number; value: Record<string, unknown>; problem?: XmlProblem }
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
  /** Outside a capture: the plain element path from the root. Inside: the path from the captured element, with 1-based positions. */
  path: string;
  value: Record<string, unknown>;
  text: string;
  hasChildren: boolean;
  /** How many children of each name opened so far (inside a capture only), for positions in problem paths. */
  seen?: Map<string, number>;
}

/** The header or a record being built. */
interface Capture {
  kind: "header" | "record";
  /** Index in the stack of the captured element. */
  at: number;
  chars: number;
  problem?: XmlProblem;
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

/** Sets an own member, even one named `__proto__` (a valid XML name), which plain assignment would turn into a prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/** Streams records out of an XML document of the given shape. */
export async function* readXmlElements(
  source: ByteSource,
  shape: XmlShape,
  limits: ReaderLimits = READER_LIMITS,
): AsyncGenerator<XmlEvent> {
  const parser = new SaxesParser({ position: true });
  const ready: XmlEvent[] = [];
  const stack: Frame[] = [];
  let failure: FhirIssue | undefined;
  let count = 0;
  let sawRoot = false;
  let capture: Capture | undefined;
  /** Elements open below the depth limit inside a rejected record: counted, not built. */
  let skipped = 0;
  const fail = (diagnostics: string) => {
    failure ??= { severity: "fatal", code: "structure", diagnostics, expression: [`line ${parser.line}`] };
  };
  const problem = (diagnostics: string, path: string) => {
    if (capture && !capture.problem) capture.problem = { diagnostics, path };
  };
  const addChars = (n: number, path: string) => {
    if (!capture) return;
    capture.chars += n;
    if (capture.chars > limits.recordChars)
      problem(`The element is longer than ${limits.recordChars} characters`, path);
  };

  // Characters given to saxes since it last reported anything. saxes holds a text node, comment, tag or
  // attribute whole until it ends, so one longer than a record may be stops the file instead of growing.
  let sinceEvent = 0;
  const heard = () => {
    sinceEvent = 0;
  };
  parser.on("comment", heard);
  parser.on("processinginstruction", heard);
  parser.on("doctype", () => fail("A DOCTYPE is not accepted: DTDs and entity definitions are refused"));
  parser.on("error", (err) => fail(`The file is not well-formed XML (${describeSaxError(err)})`));
  parser.on("opentag", (tag) => {
    heard();
    if (failure) return;
    if (skipped > 0) {
      skipped++;
      return;
    }
    const parent = stack[stack.length - 1];
    if (!parent) {
      sawRoot = true;
      if (tag.name !== shape.root) fail(`The root element must be ${shape.root}`);
    }
    if (stack.length >= limits.depth) {
      if (!capture) {
        fail(`Elements are nested deeper than ${limits.depth} levels`);
        return;
      }
      problem(`Elements are nested deeper than ${limits.depth} levels`, parent?.path ?? "");
      skipped = 1;
      return;
    }
    let path: string;
    if (capture && parent) {
      let seen = parent.seen;
      if (!seen) {
        seen = new Map<string, number>();
        parent.seen = seen;
      }
      const n = (seen.get(tag.name) ?? 0) + 1;
      seen.set(tag.name, n);
      const step = `${tag.name}[${n}]`;
      path = parent.path ? `${parent.path}/${step}` : step;
      addChars(tag.name.length, path);
    } else {
      path = parent ? `${parent.path}/${tag.name}` : tag.name;
      if (path === shape.record) capture = { kind: "record", at: stack.length, chars: 0 };
      else if (path === shape.header) capture = { kind: "header", at: stack.length, chars: 0 };
      if (capture) path = "";
    }
    if (parent) parent.hasChildren = true;
    stack.push({ name: tag.name, path, value: {}, text: "", hasChildren: false });
  });
  const onText = (t: string) => {
    heard();
    if (skipped > 0 || !capture || capture.problem) return;
    const top = stack[stack.length - 1];
    if (!top) return;
    if (t.includes(REPLACEMENT_CHAR)) problem("The text is not valid UTF-8", top.path);
    addChars(t.length, top.path);
    if (!capture.problem) top.text += t;
  };
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("closetag", () => {
    heard();
    if (failure) return;
    if (skipped > 0) {
      skipped--;
      return;
    }
    const frame = stack.pop() as Frame;
    if (!capture) return;
    if (stack.length === capture.at) {
      const done = capture;
      capture = undefined;
      if (done.kind === "header") {
        if (done.problem) fail(`The header cannot be read: ${done.problem.diagnostics.toLowerCase()}`);
        else ready.push({ kind: "header", value: frame.value });
        return;
      }
      count++;
      ready.push(
        done.problem
          ? { kind: "element", index: count, value: {}, problem: done.problem }
          : { kind: "element", index: count, value: frame.value },
      );
      return;
    }
    if (capture.problem) return;
    const parent = stack[stack.length - 1] as Frame;
    const value: unknown = frame.hasChildren ? frame.value : frame.text.trim();
    const existing = Object.hasOwn(parent.value, frame.name) ? parent.value[frame.name] : undefined;
    if (Array.isArray(existing)) existing.push(value);
    else if (existing !== undefined) setOwn(parent.value, frame.name, [existing, value]);
    else setOwn(parent.value, frame.name, shape.arrays.has(frame.name) ? [value] : value);
  });

  for await (const chunk of decoded(source, PARSER_PIECE_CHARS)) {
    sinceEvent += chunk.length;
    try {
      parser.write(chunk);
    } catch {
      fail("The file is not well-formed XML");
    }
    if (sinceEvent > limits.recordChars) fail(`A text, comment or tag is longer than ${limits.recordChars} characters`);
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
