// Stored-body codec: any JSON text survives encode → decode, and the compressed form is standard raw DEFLATE with the preset dictionary (zlib reads it).
import { readFileSync } from "node:fs";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildAuditEvent } from "../../src/audit/audit-event.js";
import type { Actor } from "../../src/auth/actor.js";
import { JSON_DICTIONARY_2 } from "../../src/store/sql/audit-dictionary.generated.js";
import { decodeBody, encodeBody } from "../../src/store/sql/body-codec.js";
import { JSON_DICTIONARY_1 } from "../../src/store/sql/json-dictionary.generated.js";

const golden = (file: string) =>
  (JSON.parse(readFileSync(`tests/golden/${file}`, "utf8")) as { resources: { resource: unknown }[] }[]).flatMap((r) =>
    r.resources.map((x) => JSON.stringify(x.resource)),
  );

/** zlib's own inflater over the DEFLATE part (after the tag and the length varint), with the tag's dictionary. */
function zlibDecode(body: Uint8Array): string {
  let i = 1;
  while ((body[i] as number) & 0x80) i++;
  const dictionary = Buffer.from(body[0] === 2 ? JSON_DICTIONARY_2 : JSON_DICTIONARY_1);
  return inflateRawSync(body.subarray(i + 1), { dictionary }).toString("utf8");
}

const actor: Actor = {
  subject: "practitioner-1",
  issuer: "https://idp.test.invalid",
  org: "RX4",
  orgType: "mh-trust",
  role: "practitioner",
  purposeOfUse: "direct-care",
  tokenId: { kind: "jti", value: "t-1" },
};
/** The AuditEvent a read leaves, as the store is given it (resourceType first). */
const readAudit = (n: number) =>
  JSON.stringify(
    buildAuditEvent({
      id: crypto.randomUUID(),
      recorded: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
      actor,
      access: { interaction: "read", resourceType: "Patient", resource: `Patient/p-${n}`, patient: `Patient/p-${n}` },
      decision: { effect: "permit", level: "sensitive", rule: "recording-organisation", legalBasis: "basis" },
      source: { name: "Think Family Gateway" },
    }),
  );

describe("stored body codec", () => {
  it("round-trips any JSON value, and zlib decodes what it compressed", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const json = JSON.stringify({ resourceType: "Basic", value });
        const body = encodeBody(json);
        expect(decodeBody(body)).toBe(json);
        if (body[0] !== 0x7b) expect(zlibDecode(body)).toBe(json);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips long repetitive and unicode text (matches across the whole 32 KiB window)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), fc.integer({ min: 1, max: 3000 }), (s, n) => {
        const json = JSON.stringify({ resourceType: "Basic", text: s.repeat(n), more: Array(n % 50).fill(s) });
        const body = encodeBody(json);
        expect(decodeBody(body)).toBe(json);
        if (body[0] !== 0x7b) expect(zlibDecode(body)).toBe(json);
      }),
      { numRuns: 60 },
    );
  });

  it("stores the mapped FHIR resources of every source in well under half their JSON size", () => {
    for (const file of ["ndtms/expected.json", "cpa/expected.json", "cin/expected-2026.json"]) {
      const all = golden(file);
      const raw = all.reduce((n, j) => n + Buffer.byteLength(j), 0);
      const stored = all.reduce((n, j) => n + encodeBody(j).length, 0);
      for (const j of all) expect(decodeBody(encodeBody(j))).toBe(j);
      expect(stored / raw).toBeLessThan(0.5);
    }
  });

  it("stores AuditEvents with their own dictionary (format 2): any content round-trips and zlib decodes it", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const json = JSON.stringify({ resourceType: "AuditEvent", value });
        const body = encodeBody(json);
        expect(decodeBody(body)).toBe(json);
        if (body[0] !== 0x7b) {
          expect(body[0]).toBe(2);
          expect(zlibDecode(body)).toBe(json);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("stores a read's AuditEvent in under a tenth of its JSON size", () => {
    for (let n = 0; n < 20; n++) {
      const json = readAudit(n);
      const body = encodeBody(json);
      expect(body[0]).toBe(2);
      expect(zlibDecode(body)).toBe(json);
      expect(body.length / Buffer.byteLength(json)).toBeLessThan(0.1);
    }
  });

  it("keeps JSON that compression would not shrink as it is", () => {
    const json = "{}";
    expect(Array.from(encodeBody(json))).toEqual([0x7b, 0x7d]);
    expect(decodeBody(encodeBody(json))).toBe(json);
  });

  it("reads any standard DEFLATE stream made with the dictionary (dynamic Huffman blocks too)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        const json = JSON.stringify({ resourceType: "Basic", value });
        const raw = new TextEncoder().encode(json);
        const packed = deflateRawSync(raw, { dictionary: Buffer.from(JSON_DICTIONARY_1) });
        const varint: number[] = [];
        let n = raw.length;
        for (; n >= 0x80; n >>>= 7) varint.push((n & 0x7f) | 0x80);
        varint.push(n);
        expect(decodeBody(new Uint8Array([1, ...varint, ...packed]))).toBe(json);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a damaged body rather than return wrong JSON", () => {
    const body = encodeBody(golden("ndtms/expected.json")[0] as string);
    expect(body[0]).toBe(1);
    expect(() => decodeBody(body.subarray(0, body.length - 20))).toThrow();
  });

  it("refuses a body in a format it does not know", () => {
    expect(() => decodeBody(new Uint8Array([9, 1, 2]))).toThrow(/format/);
  });
});
