// The URL shortcuts of the request path (issue 8, load) answer as parsing the whole URL would: `_format` found
// without parsing a URL that cannot hold it, and a request's base decided once per authority.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatParam } from "../../src/http/accept.js";
import { originKey } from "../../src/http/public-base.js";

const queryPart = fc.oneof(
  fc.constantFrom(
    "_format",
    "format",
    "_FORMAT",
    "%5Fformat",
    "_%66ormat",
    "%5F%66ormat",
    "=",
    "&",
    "?",
    "#",
    "+",
    "%",
  ),
  fc.constantFrom("json", "xml", "application/fhir+json", "x", "%2B", "%zz", " "),
  fc.string({ maxLength: 8 }),
);

describe("formatParam", () => {
  it("is what URLSearchParams gives for _format (property)", () => {
    fc.assert(
      fc.property(fc.array(queryPart, { maxLength: 10 }), fc.boolean(), (parts, withQuery) => {
        const url = `http://127.0.0.1:8787/fhir/Patient${withQuery ? "?" : ""}${parts.join("")}`;
        let expected: string | null;
        try {
          expected = new URL(url).searchParams.get("_format");
        } catch {
          return; // not a URL a request can have
        }
        expect(formatParam(url)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("originKey", () => {
  const hostPart = fc.oneof(
    fc.constantFrom(
      "localhost",
      "127.0.0.1",
      "[::1]",
      "GW.Example.nhs.uk",
      ":8787",
      ":80",
      "@",
      "\\",
      "evil.test",
      ".",
    ),
    fc.string({ maxLength: 6 }),
  );
  const pathPart = fc.constantFrom("/fhir/Patient/p-1", "/fhir", "/", "//x", "/fhir?_format=json", "/fhir#f");
  it("is given for this machine's and a configured host's URLs", () => {
    expect(originKey("http://127.0.0.1:8787/fhir/Patient/p-1")).toBe("http://127.0.0.1:8787");
    expect(originKey("https://gw.example.nhs.uk/fhir")).toBe("https://gw.example.nhs.uk");
    expect(originKey("http://[::1]:8787/fhir")).toBe("http://[::1]:8787");
    expect(originKey("http://\\/fhir/Patient")).toBeUndefined();
    expect(originKey("http://a@localhost/fhir")).toBeUndefined();
  });
  it("decides the same origin as the whole URL does (property)", () => {
    fc.assert(
      fc.property(fc.array(hostPart, { minLength: 1, maxLength: 4 }), pathPart, (host, path) => {
        const url = `http://${host.join("")}${path}`;
        let origin: string;
        try {
          origin = new URL(url).origin;
        } catch {
          return;
        }
        const key = originKey(url);
        if (key === undefined) return; // parsed whole every time
        const { origin: fromKey, host: keyHost } = new URL(key);
        expect(fromKey).toBe(origin);
        expect(keyHost).toBe(new URL(url).host);
        expect(url.startsWith(key)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
