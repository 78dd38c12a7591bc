// TFG_INGEST_SUBMITTERS (README "Configuration"): a JSON object of submitter → owner codes; anything else is a clear ConfigError.
import { describe, expect, it } from "vitest";
import { ownershipRule } from "../../src/auth/ownership.js";
import { ConfigError, parseConfig } from "../../src/config.js";

describe("TFG_INGEST_SUBMITTERS", () => {
  it("defaults to none: an organisation writes only its own records", () => {
    const rule = ownershipRule(parseConfig({}).submitters);
    expect(rule("RX4", "RX4")).toBe(true);
    expect(rule("rx4", "RX4")).toBe(true);
    expect(rule("RXE", "RX4")).toBe(false);
    expect(rule(undefined, "RX4")).toBe(false);
  });

  it("lists the owners each submitter may send for, and only those", () => {
    const config = parseConfig({ TFG_INGEST_SUBMITTERS: '{"RX4":["RXE","rxg"]}' });
    expect(config.submitters).toEqual({ RX4: ["RXE", "rxg"] });
    const rule = ownershipRule(config.submitters);
    expect(rule("RX4", "RXE")).toBe(true);
    expect(rule("RX4", "RXG")).toBe(true);
    expect(rule("RXE", "RX4")).toBe(false);
    expect(rule("RX4", "N0852")).toBe(false);
  });

  it.each(["not json", '["RX4"]', '{"RX4":"RXE"}', '{"RX4":[]}', '{"RX 4":["RXE"]}'])(
    "refuses %s with a ConfigError naming the variable",
    (value) => {
      expect(() => parseConfig({ TFG_INGEST_SUBMITTERS: value })).toThrow(ConfigError);
      expect(() => parseConfig({ TFG_INGEST_SUBMITTERS: value })).toThrow(/TFG_INGEST_SUBMITTERS/);
    },
  );
});
