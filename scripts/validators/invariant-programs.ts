/**
 * Translates the simple FHIRPath invariants (paths with exists(), empty(), count(), not(), = and != against a
 * literal, and the boolean operators) into small data programs that src/fhir/validation/invariant-programs.ts
 * interprets without the FHIRPath engine. Anything else stays with fhirpath.js only.
 */
import fhirpath from "fhirpath";
import type { Program } from "../../src/fhir/validation/invariant-types.js";

interface Ast {
  type: string;
  text?: string;
  children?: Ast[];
}

class Unsupported extends Error {}
const no = (): never => {
  throw new Unsupported();
};

const kids = (n: Ast): Ast[] => n.children ?? [];
const only = (n: Ast): Ast => {
  const c = kids(n);
  if (c.length !== 1) no();
  return c[0] as Ast;
};
const memberName = (n: Ast): string => {
  const name = (n.text ?? "").replace(/^`|`$/g, "");
  if (!/^[a-z][A-Za-z0-9]*$/.test(name)) no();
  return name;
};

/** A path of member names from the focus, e.g. `identifier.system` → ["identifier", "system"]. */
function path(n: Ast): string[] {
  if (n.type === "TermExpression") {
    const term = only(n);
    if (term.type === "InvocationTerm") {
      const inv = only(term);
      if (inv.type !== "MemberInvocation") no();
      return [memberName(inv)];
    }
    if (term.type === "ParenthesizedTerm") return path(only(term));
    return no();
  }
  if (n.type === "InvocationExpression") {
    const [left, right] = kids(n) as [Ast, Ast];
    if (right.type !== "MemberInvocation") no();
    return [...path(left), memberName(right)];
  }
  return no();
}

function literal(n: Ast): string | number | boolean {
  if (n.type !== "TermExpression") no();
  const term = only(n);
  if (term.type !== "LiteralTerm") no();
  const lit = only(term);
  const text = lit.text ?? "";
  if (lit.type === "StringLiteral" && /^'[^'\\]*'$/.test(text)) return text.slice(1, -1);
  if (lit.type === "BooleanLiteral") return text === "true";
  if (lit.type === "NumberLiteral" && /^\d+$/.test(text)) return Number(text);
  return no();
}

const OPERATORS: Record<string, "and" | "or" | "xor" | "implies"> = {
  AndExpression: "and",
  OrExpression: "or",
  ImpliesExpression: "implies",
};

function program(n: Ast): Program {
  switch (n.type) {
    case "EntireExpression":
      return program(only(n));
    case "TermExpression": {
      const term = only(n);
      if (term.type === "ParenthesizedTerm") return program(only(term));
      if (term.type === "LiteralTerm" && only(term).type === "BooleanLiteral") return ["lit", literal(n) as boolean];
      return no();
    }
    case "AndExpression":
    case "OrExpression":
    case "ImpliesExpression": {
      const [a, b] = kids(n) as [Ast, Ast];
      return [OPERATORS[n.type] as "and", program(a), program(b)];
    }
    case "EqualityExpression": {
      if (n.text !== "=" && n.text !== "!=") no();
      const [a, b] = kids(n) as [Ast, Ast];
      return [n.text === "=" ? "eq" : "ne", path(a), literal(b)];
    }
    case "InequalityExpression": {
      const [a, b] = kids(n) as [Ast, Ast];
      if (a.type !== "InvocationExpression") no();
      const [left, fn] = kids(a) as [Ast, Ast];
      if (fn.type !== "FunctionInvocation" || fn.text !== "count" || kids(only(fn)).length !== 1) no();
      const bound = literal(b);
      if (typeof bound !== "number") no();
      return ["count", path(left), n.text as ">", bound as number];
    }
    case "InvocationExpression": {
      const [left, fn] = kids(n) as [Ast, Ast];
      if (fn.type !== "FunctionInvocation") no();
      const f = only(fn);
      if (kids(f).length !== 1) no(); // arguments
      if (fn.text === "exists") return ["exists", path(left)];
      if (fn.text === "empty") return ["empty", path(left)];
      if (fn.text === "not") return ["not", program(left)];
      return no();
    }
    default:
      return no();
  }
}

/** The program for `expression`, or undefined when it uses anything beyond the supported subset. */
export function toProgram(expression: string): Program | undefined {
  try {
    const p = program(fhirpath.parse(expression) as Ast);
    if (p[0] === "eq" || p[0] === "ne" || p[0] === "count" || p[0] === "lit") return undefined; // not boolean-rooted
    return p;
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}
