// Loading the sharing protocol (issue 10 scope 2): the baseline file is valid and built in unchanged; a bad file
// fails with a message naming the file, the line and what is wrong, whatever the mistake.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generatedModule } from "../../scripts/build-policy.js";
import { BASELINE_POLICY_FILE, BASELINE_POLICY_TEXT } from "../../src/policy/baseline.generated.js";
import { baselinePolicy } from "../../src/policy/baseline.js";
import { loadPolicy, PolicyLoadError } from "../../src/policy/load.js";

const FILE = "policies/sharing-protocol.yaml";
const TEXT = readFileSync(FILE, "utf8");

/** The 1-based line of the last line of `text` containing `needle`. */
const lineOf = (text: string, needle: string) => text.split("\n").findLastIndex((l) => l.includes(needle)) + 1;

function failure(text: string): PolicyLoadError {
  try {
    loadPolicy(text, "area.yaml");
  } catch (e) {
    if (e instanceof PolicyLoadError) return e;
    throw e;
  }
  throw new Error("loaded a bad file");
}

describe("sharing protocol file", () => {
  it("the baseline loads, each rule with its line", () => {
    const p = baselinePolicy();
    expect(p.rules.length).toBeGreaterThanOrEqual(10);
    for (const r of p.rules) expect(TEXT.split("\n")[(r.line as number) - 1]).toContain(`id: ${r.id}`);
    expect(p.breakGlassExpiresAfter).toBe("PT4H");
  });

  it("docs/POLICY.md explains every rule of the file", () => {
    const doc = readFileSync("docs/POLICY.md", "utf8");
    for (const r of baselinePolicy().rules) expect(doc, r.id).toContain(`\`${r.id}\``);
  });

  it("the built-in module is the file as it is (scripts/build-policy.ts --check)", () => {
    expect(BASELINE_POLICY_FILE).toBe(FILE);
    expect(BASELINE_POLICY_TEXT).toBe(TEXT);
    expect(readFileSync("src/policy/baseline.generated.ts", "utf8")).toBe(generatedModule(TEXT));
  });

  const cases: [string, string, string, string][] = [
    // name, edit (from → to), the text on the line to be named, what the message says
    [
      "a misspelt key",
      "      purpose: [statistics]|      purpse: [statistics]",
      "purpse: [statistics]",
      'unknown key "purpse"',
    ],
    ["an unknown level", "    level: contact|    level: everything", "level: everything", "level"],
    [
      "an unknown purpose",
      "      purpose: [child-in-need-s17]\n      subject: [adult]\n      relationship: [household-of-open-child]\n      consent: [permit]|      purpose: [child-in-need]\n      subject: [adult]\n      relationship: [household-of-open-child]\n      consent: [permit]",
      "purpose: [child-in-need]",
      "purpose",
    ],
    [
      "a bad duration",
      "break-glass-expires-after: PT4H|break-glass-expires-after: four hours",
      "break-glass-expires-after",
      "ISO 8601 duration",
    ],
    [
      "a duplicate rule id",
      "  - id: s17-without-consent|  - id: s17-with-consent",
      "id: s17-with-consent",
      "duplicate rule id",
    ],
    ["a YAML syntax error", "      purpose: [statistics]|      purpose: [statistics", "purpose: [statistics", ""],
    [
      "a permit without a legal basis",
      "    legal-basis: Children Act 1989 s17, with the person's consent\n|",
      "  - id: s17-with-consent",
      "legal-basis",
    ],
    [
      "an obligation that does not exist",
      "    obligations: [tell-caller-consent-needed]|    obligations: [tell-everyone]",
      "obligations: [tell-everyone]",
      "obligations",
    ],
    [
      "a deny with a level",
      "    effect: deny\n|    effect: deny\n    level: summary # on a deny\n",
      "# on a deny",
      'unknown key "level"',
    ],
    ["reason-given false", "      reason-given: true|      reason-given: false", "reason-given: false", "reason-given"],
  ];

  it.each(cases)("%s fails naming the file and the line", (_name, edit, onLine, says) => {
    const [from, to] = edit.split("|") as [string, string];
    expect(TEXT).toContain(from);
    const bad = TEXT.replace(from, to);
    const e = failure(bad);
    // A YAML syntax error is found where the parser notices it: an unclosed list on the line after.
    const line = lineOf(bad, onLine);
    const found = e.problems[0]?.line ?? 0;
    expect(found === line || (says === "" && found === line + 1), e.message).toBe(true);
    expect(e.message.split("\n")[0]).toMatch(new RegExp(`^area\\.yaml:${found}:\\d+: `));
    expect(e.message).toContain(says);
  });

  it("an empty file and a file of the wrong shape fail at line 1", () => {
    for (const text of ["", "just text", "[1, 2]"]) {
      const e = failure(text);
      expect(e.message).toMatch(/^area\.yaml:1:\d+: /);
    }
  });
});
